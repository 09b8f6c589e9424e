//! What the integration tests share: one copy of each helper. `tests/README.md` says which file
//! holds which cases.
//!
//! Every file in `tests/` is its own crate and uses only some of these helpers, so the rest
//! would be dead code there; the allow below covers that and nothing else.
#![allow(dead_code)]

pub mod app;
pub mod bin;
pub mod fixtures;
pub mod http;
pub mod ivr;
pub mod samples;
pub mod screen;
pub mod temp;
