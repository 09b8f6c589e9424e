//! Pure data and rules: deliveries, events, TwiML and its checks, a call's story. Nothing here
//! knows about HTTP, terminals, files or clocks.

pub mod call;
pub mod callback;
pub mod check;
pub mod codes;
pub mod delivery;
pub mod diff;
pub mod event;
pub mod exchange;
pub mod family;
pub mod feed;
pub mod filter;
pub mod lint;
pub mod params;
pub mod twiml;

pub use event::{CallSid, Event, EventKind, Family, Signature, TimeSource, TwimlMark};
