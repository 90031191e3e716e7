//! ruleforge: validate, lint, format, test, diff and package YAML indicator rules.
//!
//! The library follows the data: [`load`] (files or git trees) → [`yaml`] (YAML with spans)
//! → [`rule`], [`sigma`] (typed models; [`kind`] decides which a file holds) → [`schema`]
//! (JSON Schema) → [`lint`] (checks) → [`report`] (text, JSON, SARIF, GitHub). Modules only
//! import the layers below them; [`diagnostic`] is a leaf. The `ruleforge` binary is a thin
//! layer over it. What a scanner needs lives in two small crates of the workspace, re-exported
//! here: `ruleforge-bundle` (bundle format, verification; in [`bundle`]) and `ruleforge-match`
//! (the reference matcher, [`indicator`], [`condition`]; in [`matcher`]).

pub mod benign;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod diagnostic;
pub mod diff;
pub mod dist;
pub mod export;
pub mod format;
pub mod fsutil;
pub mod git;
pub mod import;
pub mod init;
pub mod kind;
pub mod lint;
pub mod load;
pub mod lsp;
pub mod matcher;
pub mod policy;
pub mod progress;
pub mod report;
pub mod rule;
pub mod schema;
pub mod sigma;
pub mod source;
pub mod suppress;
pub mod timings;
pub mod yaml;
pub mod yaml_json;

/// The indicator types and the condition language are the `ruleforge-match` crate's (the
/// matcher needs them and a scanner should not need this crate).
pub use ruleforge_match::{condition, indicator};

/// Drops `value` on another thread. Freeing a large rule set (millions of small
/// allocations) takes most of a second; a command that is about to finish need not wait
/// for it. If the process exits first, the memory goes back with it.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
    // No thread to be had: the value was dropped with the failed spawn's closure.
    let _ = spawned;
}

pub use diagnostic::{Diagnostic, Severity, Span};
