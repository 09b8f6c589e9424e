//! The sample files on disk (`assets/samples/`), as `twimon send` walks them.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `assets/samples/`.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples")
}

/// Every `.json` file below `dir` as `twimon send` walks it: recursively, each folder in name
/// order. For the whole folder: `events/`, `flows/`, `seed/`, 18 files.
pub fn sample_files(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for e in entries {
        if e.is_dir() {
            out.extend(sample_files(&e));
        } else if e.extension().is_some_and(|x| x == "json") {
            out.push(e);
        }
    }
    out
}

/// The `.json` files of one folder of the samples (`"events"`, `"flows"`, `"seed"`).
pub fn files_in(folder: &str) -> Vec<PathBuf> {
    sample_files(&samples_dir().join(folder))
}

/// A body's CloudEvents as plain JSON: the elements of an array, or one bare object.
pub fn elements(body: &[u8]) -> Vec<Value> {
    match serde_json::from_slice(body).expect("a sample is JSON") {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        other => panic!("a sample is an array or an object, not {other}"),
    }
}

/// [`elements`] of a file.
pub fn read_elements(path: &Path) -> Vec<Value> {
    elements(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// `(type, id)` of a CloudEvent read as plain JSON.
pub fn type_and_id(ev: &Value) -> (String, String) {
    (
        ev["type"].as_str().expect("a type").to_owned(),
        ev["id"].as_str().expect("an id").to_owned(),
    )
}

/// Deliveries as NDJSON, one compact event a line (what `twimon read` takes).
pub fn ndjson(bodies: &[&str]) -> String {
    let mut out = String::new();
    for v in bodies.iter().flat_map(|b| elements(b.as_bytes())) {
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
