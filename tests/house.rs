//! The house: which room may use which. Each folder (or top-level file) of `src/` is a room;
//! a room may name only the rooms below it, so arrows point down and no two rooms import each
//! other. Read from the code itself: every `crate::room` a source file names outside comments
//! and its `#[cfg(test)]` module. Pure rooms also may not reach the world (I/O, clocks,
//! terminals, HTTP).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each room and the rooms it may use (lower floors only).
const ROOMS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("text", &["domain"]),
    ("store", &["domain", "text"]),
    ("source", &["domain", "text"]),
    ("app", &["domain", "store", "text"]),
    ("export", &["domain", "store", "text"]),
    ("headless", &["domain", "source", "store", "text"]),
    ("ui", &["app", "domain", "store", "text"]),
    (
        "tui",
        &["app", "domain", "export", "source", "store", "text", "ui"],
    ),
    ("cli", &["domain", "source", "store"]),
    (
        "cmd",
        &[
            "app", "cli", "domain", "export", "headless", "source", "store", "text", "tui", "ui",
        ],
    ),
];

/// What a pure room must not use: the world.
const WORLDLY: &[&str] = &[
    "tokio::",
    "axum::",
    "reqwest::",
    "ratatui::",
    "crossterm::",
    "std::fs",
    "std::net",
    "std::io::stdout",
    "std::io::stdin",
    "Instant::now",
    "SystemTime",
    "Timestamp::now",
    "std::env",
    "std::process",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The room a file belongs to: its top folder under `src/`, or its own name.
fn room_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The code of a file that the program is built from: comments and the test module left out.
fn program_lines(path: &Path) -> Vec<(usize, String)> {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

/// Every `crate::room` a line names.
fn rooms_named(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .map(|(i, m)| {
            line[i + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

fn files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    files
}

#[test]
fn arrows_point_down_only() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ROOMS
        .iter()
        .map(|(room, may)| (*room, may.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    for file in files() {
        let room = room_of(&file);
        if room == "main" || room == "lib" {
            continue;
        }
        let Some(may) = allowed.get(room.as_str()) else {
            wrong.push(format!(
                "{}: a room the house does not know",
                file.display()
            ));
            continue;
        };
        for (n, line) in program_lines(&file) {
            for named in rooms_named(&line) {
                if named != room && !may.contains(named.as_str()) {
                    wrong.push(format!("{}:{n}: {room} → {named}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that climb or cross:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_rooms_table_has_no_circle() {
    // Each room may use only rooms listed before it: the table is a floor plan.
    for (i, (room, may)) in ROOMS.iter().enumerate() {
        let below: BTreeSet<&str> = ROOMS[..i].iter().map(|(r, _)| *r).collect();
        for m in *may {
            assert!(
                below.contains(m),
                "{room} may use {m}, which is not below it"
            );
        }
    }
}

#[test]
fn pure_rooms_do_not_reach_the_world() {
    let mut wrong = Vec::new();
    for file in files() {
        let room = room_of(&file);
        // The app may read key events (crossterm's types) but does no I/O either.
        let banned: Vec<&str> = match room.as_str() {
            "domain" | "text" | "store" => WORLDLY.to_vec(),
            "app" => WORLDLY
                .iter()
                .copied()
                .filter(|w| *w != "crossterm::")
                .collect(),
            _ => continue,
        };
        for (n, line) in program_lines(&file) {
            for w in &banned {
                if line.contains(w) {
                    wrong.push(format!("{}:{n}: {room} uses {w}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "pure rooms reaching the world:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    // A guard on the guard: the reader finds the arrows that do exist.
    let app = src().join("app").join("mod.rs");
    let named: BTreeSet<String> = program_lines(&app)
        .iter()
        .flat_map(|(_, l)| rooms_named(l))
        .collect();
    assert!(
        named.contains("store") && named.contains("domain"),
        "{named:?}"
    );
    assert_eq!(rooms_named("use crate::a::b; crate::c"), ["a", "c"]);
    assert_eq!(room_of(&src().join("ui").join("pane.rs")), "ui");
    assert_eq!(room_of(&src().join("cli.rs")), "cli");
}
