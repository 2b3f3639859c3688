//! triage's engine: what triage knows (domain), how things relate
//! (correlate), how it asks (backend: one client per source, wire formats
//! stop there), what it is told to do (config) and the secrets it holds.
//! No terminal and no UI: the compiler keeps ratatui and crossterm out.

pub mod backend;
pub mod config;
pub mod correlate;
pub mod domain;
pub mod secret;
