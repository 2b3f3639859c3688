//! triage: a terminal UI for on-call cluster triage across Loki, Tempo,
//! Prometheus and Kubernetes. The engine (domain, correlation, backends,
//! configuration) is the `triage-core` crate; this one is the program:
//! the app (state, update, one module per view), the UI and the terminal.
//! See DESIGN.md for the architecture.

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod config_command;
pub mod event_loop;
pub mod history;
pub mod terminal;
pub mod ui;
