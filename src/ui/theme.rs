//! Colours, in one place: families of event types, calls, status codes, durations, TwiML tokens.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::twiml::TokenKind;
use crate::domain::{CallSid, EventKind, Family};

pub fn family(kind: EventKind) -> Color {
    match kind.family() {
        Family::Call => Color::Cyan,
        Family::Gather => Color::Magenta,
        Family::Dial => Color::Blue,
        Family::Enqueue => Color::LightBlue,
        Family::Record => Color::Yellow,
        Family::Failure => Color::Red,
        Family::Meta => Color::DarkGray,
    }
}

/// Call colours avoid green, yellow and red: those mean 2xx, slow and failure here.
const CALL_PALETTE: [Color; 8] = [
    Color::Indexed(75),  // sky blue
    Color::Indexed(141), // lavender
    Color::Indexed(180), // tan
    Color::Indexed(117), // light cyan
    Color::Indexed(213), // pink
    Color::Indexed(110), // steel blue
    Color::Indexed(176), // orchid
    Color::Indexed(153), // pale blue
];

/// The same colour for the same call, everywhere.
pub fn call(sid: &CallSid) -> Color {
    // FNV-1a: stable across runs and platforms (snapshots depend on it).
    let h = sid
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    CALL_PALETTE[(h % CALL_PALETTE.len() as u64) as usize]
}

pub fn status_code(code: u16) -> Style {
    match code {
        200..=299 => Style::new().fg(Color::Green),
        300..=399 => Style::new().fg(Color::Yellow),
        _ => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

/// Yellow over 1 s, red over 5 s (Twilio gives up on TwiML after 15 s).
pub fn duration(ms: u32) -> Style {
    match ms {
        0..=1000 => Style::new(),
        1001..=5000 => Style::new().fg(Color::Yellow),
        _ => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

#[allow(clippy::match_same_arms)] // one arm per token kind, even where colours coincide
pub fn token(kind: TokenKind) -> Style {
    match kind {
        TokenKind::Punct => Style::new().fg(Color::DarkGray),
        TokenKind::Tag => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        TokenKind::AttrName => Style::new().fg(Color::Yellow),
        TokenKind::AttrValue => Style::new().fg(Color::Green),
        TokenKind::Text => Style::new(),
        TokenKind::Comment | TokenKind::Declaration => Style::new().fg(Color::DarkGray),
        TokenKind::Error => Style::new().fg(Color::White).bg(Color::Red),
    }
}

/// Good news: a valid signature, the listener up, following.
pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

/// Worth a look, not a fault: warnings, slow-ish steps, paused, unsigned, redelivered.
pub fn warning() -> Style {
    Style::new().fg(Color::Yellow)
}

/// Emphasis without judgement: the stats' bars, the legs' numbers.
pub fn accent() -> Style {
    Style::new().fg(Color::Cyan)
}

/// A mode that changes what is shown (masking).
pub fn notice() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn problem() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn selected_row() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn key() -> Style {
    Style::new().fg(Color::Black).bg(Color::Gray)
}

pub fn active_chip() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// A line only the left (older) answer of a diff has.
pub fn diff_removed() -> Style {
    Style::new().fg(Color::Red)
}

/// A line only the right (newer) answer of a diff has.
pub fn diff_added() -> Style {
    Style::new().fg(Color::Green)
}
