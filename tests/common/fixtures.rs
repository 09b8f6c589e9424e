//! The sample deliveries as text, and the sequence number each event gets when they are pushed
//! in order: all of `events/` (in file order), then the IVR flow, then the failed call.
//!
//! The library's own tests include this file too (`src/app/tests.rs`, through `#[path]`), so
//! it holds plain constants only: no crate paths, which differ on the two sides.

/// Every delivery is stamped with this arrival time, so nothing depends on the clock.
pub const ARRIVAL: &str = "2026-11-28T14:00:00Z";

/// `events/`: one event per type, each from its own call (seqs 0–7).
pub const EVENTS: [&str; 8] = [
    include_str!("../../assets/samples/events/01-call-requested.json"),
    include_str!("../../assets/samples/events/02-call-redirected.json"),
    include_str!("../../assets/samples/events/03-call-transferred.json"),
    include_str!("../../assets/samples/events/04-gather-finished.json"),
    include_str!("../../assets/samples/events/05-dial-finished.json"),
    include_str!("../../assets/samples/events/06-enqueue-finished.json"),
    include_str!("../../assets/samples/events/07-record-finished.json"),
    include_str!("../../assets/samples/events/08-request-failed.json"),
];
/// `flows/ivr-sales-call.json`: five events of one call (seqs 8–12).
pub const IVR: &str = include_str!("../../assets/samples/flows/ivr-sales-call.json");
/// `flows/failed-call.json`: three events of one call (seqs 13–15).
pub const FAILED: &str = include_str!("../../assets/samples/flows/failed-call.json");

pub const IVR_SID: &str = "CA866a9ca9f30dd8f84f9984ce99a9ca31";
pub const FAILED_SID: &str = "CA8c8593018149d855bcf81c2b69f3db99";

pub const EV_REQUESTED: u64 = 0;
pub const EV_REDIRECTED: u64 = 1;
pub const EV_GATHER: u64 = 3;
pub const EV_DIAL: u64 = 4;
pub const EV_ENQUEUE: u64 = 5;
pub const EV_FAILED: u64 = 7;
pub const IVR_REQUESTED: u64 = 8;
pub const IVR_GATHER: u64 = 9;
pub const IVR_REDIRECTED: u64 = 10;
pub const IVR_DIAL: u64 = 11;
pub const IVR_RECORD: u64 = 12;
pub const FC_REQUESTED: u64 = 13;
pub const FC_GATHER: u64 = 14;
pub const FC_FAILED: u64 = 15;
/// All of the above: 16 events.
pub const TOTAL: usize = 16;
