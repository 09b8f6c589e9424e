//! twimon: a live terminal monitor for Twilio Voice TwiML events.
//!
//! Data flows one way: `ingest` (HTTP) → `domain` (parse) → a bounded channel → the consumer
//! (`tui` or `headless`) which owns the [`store::Store`].

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod demo;
pub mod domain;
pub mod export;
pub mod headless;
pub mod ingest;
pub mod logging;
pub mod mask;
pub mod run;
pub mod safe;
pub mod send;
pub mod stats;
pub mod store;
pub mod tui;
pub mod ui;
