//! Colours, in one place: families of event types, calls, status codes, durations, TwiML tokens,
//! for each [`Theme`]. The palettes use xterm's 256-colour cube and grey ramp, whose values
//! terminals agree on (unlike the 16 named colours, which every scheme redefines), so the
//! contrast of each style against the theme's assumed background can be computed and tested.
//!
//! The theme is set per frame by [`with`]: styles are asked for deep inside widgets, and
//! passing the theme through every one of them would change every signature for one value.

use std::cell::Cell;

use ratatui::style::{Color, Modifier, Style};

pub use crate::app::look::{Theme, ThemeChoice};
use crate::domain::twiml::TokenKind;
use crate::domain::{CallSid, EventKind, Family};

thread_local! {
    static CURRENT: Cell<Theme> = const { Cell::new(Theme::Dark) };
}

/// Runs `draw` with `theme` as the theme every style here reads.
pub fn with<R>(theme: Theme, draw: impl FnOnce() -> R) -> R {
    let previous = CURRENT.replace(theme);
    let out = draw();
    CURRENT.set(previous);
    out
}

/// The theme of the frame being drawn.
pub fn current() -> Theme {
    CURRENT.get()
}

/// The colours of one theme. `bg` is the background the palette is made for (the terminal's
/// own background is not known; these are what contrast is measured against).
struct Palette {
    bg: (u8, u8, u8),
    ok: u8,
    warning: u8,
    problem: u8,
    accent: u8,
    notice: u8,
    dim: u8,
    families: [u8; 7],
    calls: [u8; 8],
    /// Key badges and active chips: (foreground, background).
    key: (u8, u8),
    chip: (u8, u8),
    /// TwiML syntax errors: (foreground, background).
    error: (u8, u8),
}

/// Family colours, in the order of [`Family`] below (call, gather, dial, enqueue, record,
/// failure, meta). Call colours avoid green, yellow and red: those mean 2xx, slow and failure.
const DARK: Palette = Palette {
    bg: (0x1c, 0x1c, 0x1c),
    ok: 114,
    warning: 221,
    problem: 203,
    accent: 80,
    notice: 213,
    dim: 246,
    families: [80, 177, 111, 117, 221, 203, 246],
    // sky blue, lavender, tan, light cyan, pink, steel blue, orchid, pale blue
    calls: [75, 141, 180, 117, 213, 110, 176, 153],
    key: (16, 250),
    chip: (16, 80),
    error: (231, 160),
};

const LIGHT: Palette = Palette {
    bg: (0xff, 0xff, 0xff),
    ok: 28,
    warning: 130,
    problem: 160,
    accent: 24,
    notice: 127,
    dim: 242,
    families: [24, 127, 25, 61, 130, 160, 242],
    // blue, purple, brown, teal, pink, slate, plum, navy
    calls: [25, 91, 94, 23, 162, 60, 96, 18],
    key: (16, 252),
    chip: (231, 24),
    error: (231, 160),
};

fn palette() -> Option<&'static Palette> {
    match current() {
        Theme::Dark => Some(&DARK),
        Theme::Light => Some(&LIGHT),
        Theme::NoColor => None,
    }
}

/// A 256-colour index, or no colour at all under [`Theme::NoColor`].
fn colour(pick: impl FnOnce(&Palette) -> u8) -> Color {
    palette().map_or(Color::Reset, |p| Color::Indexed(pick(p)))
}

fn fg(pick: impl FnOnce(&Palette) -> u8) -> Style {
    Style::new().fg(colour(pick))
}

fn fg_bg(pick: impl FnOnce(&Palette) -> (u8, u8)) -> Style {
    match palette() {
        Some(p) => {
            let (f, b) = pick(p);
            Style::new().fg(Color::Indexed(f)).bg(Color::Indexed(b))
        }
        None => Style::new(),
    }
}

pub fn family(kind: EventKind) -> Color {
    let i = match kind.family() {
        Family::Call => 0,
        Family::Gather => 1,
        Family::Dial => 2,
        Family::Enqueue => 3,
        Family::Record => 4,
        Family::Failure => 5,
        Family::Meta => 6,
    };
    colour(|p| p.families[i])
}

/// The same colour for the same call, everywhere.
pub fn call(sid: &CallSid) -> Color {
    // FNV-1a: stable across runs and platforms (snapshots depend on it).
    let h = sid
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    colour(|p| p.calls[(h % p.calls.len() as u64) as usize])
}

pub fn status_code(code: u16) -> Style {
    match code {
        200..=299 => ok(),
        300..=399 => warning(),
        _ => problem(),
    }
}

/// Warning over 1 s, a problem over 5 s (Twilio gives up on TwiML after 15 s). Without
/// colour, slow steps are bold.
pub fn duration(ms: u32) -> Style {
    match ms {
        0..=1000 => Style::new(),
        1001..=5000 => warning(),
        _ => problem(),
    }
}

#[allow(clippy::match_same_arms)] // one arm per token kind, even where styles coincide
pub fn token(kind: TokenKind) -> Style {
    match kind {
        TokenKind::Punct => dim(),
        TokenKind::Tag => accent().add_modifier(Modifier::BOLD),
        TokenKind::AttrName => fg(|p| p.warning),
        TokenKind::AttrValue => ok(),
        TokenKind::Text => Style::new(),
        TokenKind::Comment | TokenKind::Declaration => dim(),
        TokenKind::Error => fg_bg(|p| p.error).add_modifier(Modifier::UNDERLINED),
    }
}

/// Good news: a valid signature, the listener up, following.
pub fn ok() -> Style {
    fg(|p| p.ok)
}

/// Worth a look, not a fault: warnings, slow-ish steps, paused, unsigned, redelivered.
pub fn warning() -> Style {
    let style = fg(|p| p.warning);
    if palette().is_none() {
        style.add_modifier(Modifier::BOLD)
    } else {
        style
    }
}

/// Emphasis without judgement: the stats' bars, the legs' numbers.
pub fn accent() -> Style {
    fg(|p| p.accent)
}

/// A mode that changes what is shown (masking).
pub fn notice() -> Style {
    fg(|p| p.notice).add_modifier(Modifier::BOLD)
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    fg(|p| p.dim)
}

pub fn problem() -> Style {
    fg(|p| p.problem).add_modifier(Modifier::BOLD)
}

/// A line only the left (older) answer of a diff has (its `-` says so without colour).
pub fn diff_removed() -> Style {
    fg(|p| p.problem)
}

/// A line only the right (newer) answer of a diff has (its `+` says so without colour).
pub fn diff_added() -> Style {
    fg(|p| p.ok)
}

/// Reverse video in every theme: the selection must not depend on colour.
pub fn selected_row() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn key() -> Style {
    match palette() {
        Some(_) => fg_bg(|p| p.key),
        None => Style::new().add_modifier(Modifier::REVERSED),
    }
}

/// An active filter or the shown pane's tab: bold (and reversed without colour) so it stands
/// out where colour does not.
pub fn active_chip() -> Style {
    match palette() {
        Some(_) => fg_bg(|p| p.chip).add_modifier(Modifier::BOLD),
        None => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
    }
}

/// Which theme `auto` means here: `NO_COLOR` set to anything but the empty string turns colour
/// off (no-color.org); else the background the terminal reported (an OSC 11 answer) decides;
/// else dark. An explicit choice wins over both.
pub fn resolve(choice: ThemeChoice, no_color: Option<&str>, osc11: Option<&[u8]>) -> Theme {
    match choice {
        ThemeChoice::Fixed(theme) => theme,
        ThemeChoice::Auto if no_color.is_some_and(|v| !v.is_empty()) => Theme::NoColor,
        ThemeChoice::Auto => match osc11.and_then(parse_osc11) {
            Some(rgb) if luminance(rgb) > 0.5 => Theme::Light,
            _ => Theme::Dark,
        },
    }
}

/// Whether `resolve` would look at the terminal's answer: only then is it worth asking.
pub fn needs_background(choice: ThemeChoice, no_color: Option<&str>) -> bool {
    choice == ThemeChoice::Auto && no_color.is_none_or(str::is_empty)
}

/// The colour in an OSC 11 answer: `ESC ] 11 ; rgb:RRRR/GGGG/BBBB` ended by BEL or ST, with
/// 1 to 4 hex digits a channel (xterm's forms). Anything else in `answer` (other replies
/// that arrived with it) is skipped.
pub fn parse_osc11(answer: &[u8]) -> Option<(u8, u8, u8)> {
    let start = answer.windows(9).position(|w| w == b"\x1b]11;rgb:")? + 9;
    let rest = &answer[start..];
    let end = rest.iter().position(|b| *b == 0x07 || *b == 0x1b)?;
    let text = std::str::from_utf8(&rest[..end]).ok()?;
    let mut channels = text.split('/').map(|c| {
        if c.is_empty() || c.len() > 4 {
            return None;
        }
        let v = u32::from_str_radix(c, 16).ok()?;
        let max = (1_u32 << (4 * c.len())) - 1;
        u8::try_from((v * 255 + max / 2) / max).ok()
    });
    let rgb = (channels.next()??, channels.next()??, channels.next()??);
    channels.next().is_none().then_some(rgb)
}

/// WCAG 2 relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio, 1 to 21.
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The sRGB value of an xterm 256-colour index from 16 up (the cube and the grey ramp).
pub fn xterm_rgb(index: u8) -> Option<(u8, u8, u8)> {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match index {
        0..=15 => None,
        16..=231 => {
            let i = usize::from(index - 16);
            Some((LEVELS[i / 36], LEVELS[i / 6 % 6], LEVELS[i % 6]))
        }
        232..=255 => {
            let v = 8 + 10 * (index - 232);
            Some((v, v, v))
        }
    }
}

/// The background a theme's palette is made for, when it has colours.
pub fn assumed_background(theme: Theme) -> Option<(u8, u8, u8)> {
    match theme {
        Theme::Dark => Some(DARK.bg),
        Theme::Light => Some(LIGHT.bg),
        Theme::NoColor => None,
    }
}

/// Every style text is drawn in, by name: what the contrast test measures.
pub fn all_styles() -> Vec<(String, Style)> {
    let mut out: Vec<(String, Style)> = vec![
        ("ok".into(), ok()),
        ("warning".into(), warning()),
        ("accent".into(), accent()),
        ("notice".into(), notice()),
        ("dim".into(), dim()),
        ("problem".into(), problem()),
        ("key".into(), key()),
        ("active_chip".into(), active_chip()),
        ("status 200".into(), status_code(200)),
        ("status 302".into(), status_code(302)),
        ("status 500".into(), status_code(500)),
        ("duration 2s".into(), duration(2000)),
        ("duration 9s".into(), duration(9000)),
    ];
    for kind in [
        TokenKind::Punct,
        TokenKind::Tag,
        TokenKind::AttrName,
        TokenKind::AttrValue,
        TokenKind::Comment,
        TokenKind::Error,
    ] {
        out.push((format!("token {kind:?}"), token(kind)));
    }
    for kind in EventKind::TWIML.into_iter().chain([EventKind::Other]) {
        out.push((format!("family {kind:?}"), Style::new().fg(family(kind))));
    }
    if let Some(p) = palette() {
        for (i, c) in p.calls.iter().enumerate() {
            out.push((
                format!("call colour {i}"),
                Style::new().fg(Color::Indexed(*c)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_has_at_least_4_5_to_1_contrast_on_its_themes_background() {
        let mut failures = Vec::new();
        for theme in [Theme::Dark, Theme::Light] {
            let bg = assumed_background(theme).unwrap();
            with(theme, || {
                for (name, style) in all_styles() {
                    let Some(Color::Indexed(f)) = style.fg else {
                        failures.push(format!("{theme} {name}: no computable foreground"));
                        continue;
                    };
                    let back = match style.bg {
                        Some(Color::Indexed(b)) => xterm_rgb(b).unwrap(),
                        None => bg,
                        Some(other) => panic!("{theme} {name}: background {other:?}"),
                    };
                    let ratio = contrast(xterm_rgb(f).unwrap(), back);
                    if ratio < 4.5 {
                        failures.push(format!("{theme} {name}: {ratio:.2}:1"));
                    }
                }
            });
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn no_color_theme_has_no_colours_and_keeps_its_cues() {
        with(Theme::NoColor, || {
            for (name, style) in all_styles() {
                let none = |c: Option<Color>| c.is_none_or(|c| c == Color::Reset);
                assert!(none(style.fg) && none(style.bg), "{name}: {style:?}");
            }
            assert!(selected_row().add_modifier.contains(Modifier::REVERSED));
            assert!(active_chip().add_modifier.contains(Modifier::REVERSED));
            assert!(problem().add_modifier.contains(Modifier::BOLD));
        });
    }

    #[test]
    fn themes_differ_and_with_restores_the_previous_theme() {
        let dark = with(Theme::Dark, ok);
        let light = with(Theme::Light, || {
            assert_eq!(with(Theme::NoColor, current), Theme::NoColor);
            assert_eq!(current(), Theme::Light);
            ok()
        });
        assert_ne!(dark, light);
        assert_eq!(current(), Theme::Dark);
    }

    #[test]
    fn wcag_figures() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((9, 9, 9), (9, 9, 9)) - 1.0).abs() < 1e-9);
        assert_eq!(xterm_rgb(16), Some((0, 0, 0)));
        assert_eq!(xterm_rgb(231), Some((255, 255, 255)));
        assert_eq!(xterm_rgb(75), Some((95, 175, 255)));
        assert_eq!(xterm_rgb(244), Some((128, 128, 128)));
        assert_eq!(xterm_rgb(9), None);
    }

    #[test]
    fn osc11_answers_in_xterm_forms() {
        assert_eq!(
            parse_osc11(b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\"),
            Some((255, 255, 255))
        );
        assert_eq!(
            parse_osc11(b"\x1b]11;rgb:1e1e/1e1e/1e1e\x07"),
            Some((30, 30, 30))
        );
        assert_eq!(
            parse_osc11(b"\x1b]11;rgb:fd/f6/e3\x07"),
            Some((253, 246, 227))
        );
        assert_eq!(parse_osc11(b"\x1b]11;rgb:f/0/8\x07"), Some((255, 0, 136)));
        // The device-attributes reply that bounds the wait may come before or after it.
        assert_eq!(
            parse_osc11(b"\x1b[?62;22c\x1b]11;rgb:0000/0000/0000\x07"),
            Some((0, 0, 0))
        );
        for bad in [
            &b"\x1b[?62;22c"[..],
            b"\x1b]11;rgb:ffff/ffff\x07",
            b"\x1b]11;rgb:ffff/ffff/ffff/ffff\x07",
            b"\x1b]11;rgb:gggg/0/0\x07",
            b"\x1b]11;rgb:12345/0/0\x07",
            b"\x1b]11;rgb:ffff/ffff/ffff",
            b"",
        ] {
            assert_eq!(parse_osc11(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn auto_follows_no_color_then_the_background_then_defaults_to_dark() {
        let white = Some(&b"\x1b]11;rgb:ffff/ffff/ffff\x07"[..]);
        let black = Some(&b"\x1b]11;rgb:0000/0000/0000\x07"[..]);
        let auto = ThemeChoice::Auto;
        assert_eq!(resolve(auto, None, None), Theme::Dark);
        assert_eq!(resolve(auto, None, white), Theme::Light);
        assert_eq!(resolve(auto, None, black), Theme::Dark);
        assert_eq!(resolve(auto, None, Some(b"garbage")), Theme::Dark);
        assert_eq!(resolve(auto, Some("1"), white), Theme::NoColor);
        // no-color.org: an empty NO_COLOR does not count.
        assert_eq!(resolve(auto, Some(""), white), Theme::Light);
        // An explicit choice wins over NO_COLOR and the terminal.
        let light = ThemeChoice::Fixed(Theme::Light);
        assert_eq!(resolve(light, Some("1"), black), Theme::Light);
        assert_eq!(
            resolve(ThemeChoice::Fixed(Theme::NoColor), None, white),
            Theme::NoColor
        );
        assert!(needs_background(auto, None));
        assert!(needs_background(auto, Some("")));
        assert!(!needs_background(auto, Some("1")));
        assert!(!needs_background(light, None));
    }
}
