//! Pure data: deliveries, events and TwiML. Nothing here knows about HTTP or terminals.

pub mod callback;
pub mod delivery;
pub mod event;
pub mod flow;
pub mod lint;
pub mod twiml;

pub use event::{CallSid, Event, EventKind, Family, Signature, TimeSource};
