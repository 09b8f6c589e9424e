//! twimon: a live terminal monitor for Twilio Voice TwiML events.
//!
//! The rooms, from the top down (arrows point down only):
//! - [`cmd`]: one file per subcommand; the command line's clap structs ([`cli`]) stop there.
//! - [`tui`], [`headless`], [`export`]: the consumers of a feed.
//! - [`ui`]: rendering only, over the [`app`] state machine.
//! - [`app`]: the monitor's state; keys in, effects out, no I/O.
//! - [`source`]: where deliveries come from (listener, replay, Kinesis, NDJSON input), all
//!   ending in one `Feed`.
//! - [`store`]: retained events, indexes, running aggregates.
//! - [`text`]: terminal-safe strings, masking, shared formats.
//! - [`domain`]: pure data and rules.

pub mod app;
pub mod cli;
pub mod cmd;
pub mod domain;
pub mod export;
pub mod headless;
pub mod source;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
