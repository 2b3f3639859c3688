//! The views harness: every view built through the app from loopback
//! servers (`screens`), the answers they serve (`bodies`, `served`), and a
//! terminal that records and replays what is drawn (`terminal`). Declared
//! by the tests that use it, beside `support`:
//!
//! ```ignore
//! mod support;
//! #[path = "support/harness/mod.rs"]
//! mod harness;
//! ```
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod bodies;
pub mod screens;
pub mod served;
pub mod terminal;
