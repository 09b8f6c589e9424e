//! Text for people: terminal-safe strings ([`safe`]), masking for screen sharing ([`mask`]),
//! and the shared words of screen, markdown and NDJSON ([`format`]).

pub mod format;
pub mod mask;
pub mod safe;
