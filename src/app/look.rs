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
/// Besides the built-in columns, any request parameter can be one (`Digits`, `DialCallStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Time,
    Type,
    Call,
    Request,
    Code,
    Duration,
    Marks,
    /// A request parameter, by name as Twilio spells it (matched ignoring case and
    /// underscores, as the filter language's `Digits=2` is).
    Param(Box<str>),
}

/// The built-in columns by the names `:columns` and the config take, the first the one shown.
const BUILT_IN: [(&str, &[&str], Column); 7] = [
    ("time", &[], Column::Time),
    ("type", &[], Column::Type),
    ("call", &["sid"], Column::Call),
    ("request", &["req", "url"], Column::Request),
    ("code", &["res"], Column::Code),
    ("dur", &["duration", "ms"], Column::Duration),
    ("marks", &["sig"], Column::Marks),
];

/// Most columns a table can be asked for: more never fit a terminal.
pub const MAX_COLUMNS: usize = 16;

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
    /// A parameter the user asked for stays longer than the time, the marks and the call.
    pub fn priority(&self) -> u8 {
        match self {
            Column::Type => 10,
            Column::Request => 9,
            Column::Code => 8,
            Column::Duration | Column::Param(_) => 7,
            Column::Time => 6,
            Column::Marks => 5,
            Column::Call => 4,
        }
    }

    /// The name `:columns` and the config take for it.
    pub fn name(&self) -> &str {
        match self {
            Column::Param(name) => name,
            built_in => BUILT_IN
                .iter()
                .find(|(_, _, c)| c == built_in)
                .map_or("", |(n, _, _)| n),
        }
    }

    /// The names Tab offers after `:columns`: the built-in columns, then the parameters that
    /// tell a call's story.
    pub fn names() -> Vec<&'static str> {
        BUILT_IN
            .iter()
            .map(|(n, _, _)| *n)
            .chain(crate::domain::params::KNOWN.iter().copied())
            .collect()
    }

    /// A column by name: a built-in one (ASCII case ignored), else a request parameter, in
    /// Twilio's spelling when it is one twimon knows (`digits` is `Digits`).
    pub fn named(name: &str) -> Result<Column, String> {
        let name = name.trim();
        if let Some((_, _, c)) = BUILT_IN.iter().find(|(n, aliases, _)| {
            n.eq_ignore_ascii_case(name) || aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        }) {
            return Ok(c.clone());
        }
        if name.eq_ignore_ascii_case("default") {
            return Err("`default` is the whole list, not one of its columns".into());
        }
        if !crate::domain::params::is_name(name) {
            return Err(format!(
                "not a column: {:?} (a column is one of {}, or a request parameter such as \
                 Digits or DialCallStatus: letters, digits and _)",
                crate::text::safe::line(name),
                BUILT_IN
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let known = crate::domain::params::KNOWN
            .iter()
            .find(|k| crate::domain::event::key_eq(k, name));
        Ok(Column::Param(known.copied().unwrap_or(name).into()))
    }

    /// A list as `:columns` and `--columns` take it: names separated by commas or spaces,
    /// each once, at most [`MAX_COLUMNS`]; `default` alone is the default list.
    pub fn list(text: &str) -> Result<Vec<Column>, String> {
        if text.trim().eq_ignore_ascii_case("default") {
            return Ok(Column::DEFAULT.to_vec());
        }
        let mut columns: Vec<Column> = Vec::new();
        for name in text.split([',', ' ']).filter(|n| !n.trim().is_empty()) {
            let column = Column::named(name)?;
            if columns.iter().any(|c| c.same(&column)) {
                return Err(format!("column {} is listed twice", column.name()));
            }
            columns.push(column);
        }
        if columns.is_empty() {
            return Err("no columns: name at least one (or `default`)".into());
        }
        if columns.len() > MAX_COLUMNS {
            return Err(format!(
                "{} columns: at most {MAX_COLUMNS} fit a table",
                columns.len()
            ));
        }
        Ok(columns)
    }

    /// The same column (parameters compared as their names are matched).
    fn same(&self, other: &Column) -> bool {
        match (self, other) {
            (Column::Param(a), Column::Param(b)) => crate::domain::event::key_eq(a, b),
            (a, b) => a == b,
        }
    }

    /// A list as `:columns` shows it and takes it back.
    pub fn list_text(columns: &[Column]) -> String {
        columns
            .iter()
            .map(Column::name)
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::{Column, Theme};

    #[test]
    fn columns_are_built_in_names_or_parameters() {
        let list = Column::list("Time, type,digits DialCallStatus answered_by Custom_1").unwrap();
        assert_eq!(
            list,
            [
                Column::Time,
                Column::Type,
                Column::Param("Digits".into()),
                Column::Param("DialCallStatus".into()),
                Column::Param("AnsweredBy".into()),
                Column::Param("Custom_1".into()),
            ]
        );
        assert_eq!(
            Column::list_text(&list),
            "time,type,Digits,DialCallStatus,AnsweredBy,Custom_1"
        );
        assert_eq!(Column::list(&Column::list_text(&list)).unwrap(), list);
        assert_eq!(Column::list(" DEFAULT ").unwrap(), Column::DEFAULT);
        assert_eq!(
            Column::list("res,ms").unwrap(),
            [Column::Code, Column::Duration]
        );
    }

    #[test]
    fn bad_column_lists_say_why() {
        let err = Column::list("time,ti;me").unwrap_err();
        assert!(
            err.contains("\"ti;me\"") && err.contains("time, type, call"),
            "{err}"
        );
        assert!(Column::list("1st").unwrap_err().contains("not a column"));
        assert!(
            Column::list("digits,Digits")
                .unwrap_err()
                .contains("Digits is listed twice")
        );
        assert!(Column::list(" , ").unwrap_err().contains("no columns"));
        let many = (0..17)
            .map(|i| format!("P{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(Column::list(&many).unwrap_err().contains("at most 16"));
    }

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
