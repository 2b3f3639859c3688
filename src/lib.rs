//! triage: a terminal UI for on-call cluster triage across Loki, Tempo,
//! Prometheus and Kubernetes. See DESIGN.md in the shared folder for the
//! architecture: one owner of state, pure update and views, effects with
//! request ids, text sanitised where it enters.

pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod demo;
pub mod domain;
pub mod history;
pub mod secret;
pub mod terminal;
pub mod ui;
