//! How the screen is coloured: the theme in use and how the user asked for it. Plain data; the
//! palettes are in `ui::theme`, the terminal's answer is read in `tui`.

use std::fmt;
use std::str::FromStr;

/// A palette for the terminal's background, or none at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Light text on a dark background (the default).
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
    /// No colours: every cue is an attribute (reverse, bold, underline) or a mark.
    NoColor,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::NoColor];

    /// The name the user types (`--theme`, `:theme`).
    pub fn name(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::NoColor => "none",
        }
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Theme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dark" => Ok(Theme::Dark),
            "light" => Ok(Theme::Light),
            "none" | "no-color" | "nocolor" | "mono" => Ok(Theme::NoColor),
            other => Err(format!(
                "unknown theme {other:?}: expected dark, light or none"
            )),
        }
    }
}

/// What the user asked for: a theme, or `Auto` (`NO_COLOR`, then the terminal's background).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    #[default]
    Auto,
    Fixed(Theme),
}

/// A column of the event table. The table shows [`Column::DEFAULT`] unless told otherwise,
/// and drops columns by [`Column::priority`] when the terminal is too narrow for them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Time,
    Type,
    Call,
    Request,
    Code,
    Duration,
    Marks,
}

impl Column {
    pub const DEFAULT: [Column; 7] = [
        Column::Time,
        Column::Type,
        Column::Call,
        Column::Request,
        Column::Code,
        Column::Duration,
        Column::Marks,
    ];

    /// Higher stays longer: what happened first, then whether it went wrong, then to whom.
    pub fn priority(self) -> u8 {
        match self {
            Column::Type => 10,
            Column::Request => 9,
            Column::Code => 8,
            Column::Duration => 7,
            Column::Time => 6,
            Column::Marks => 5,
            Column::Call => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn names_round_trip_and_bad_names_say_what_is_expected() {
        for t in Theme::ALL {
            assert_eq!(t.name().parse::<Theme>(), Ok(t));
        }
        assert_eq!(" Light ".parse::<Theme>(), Ok(Theme::Light));
        let err = "solarized".parse::<Theme>().unwrap_err();
        assert!(
            err.contains("\"solarized\"") && err.contains("dark, light or none"),
            "{err}"
        );
    }
}
