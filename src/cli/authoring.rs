//! Pieces shared by the authoring commands (`fmt`, `new`, `test`, `match`).

use crate::diagnostic::{Diagnostic, Span};
use crate::load::{self, Input};
use crate::matcher::RuleSpec;
use crate::rule::RuleFile;
use crate::source::SourceFile;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The workspace (root, configuration, options), and the paths to work on (`paths`, or the
/// rule roots of `ruleforge.toml` when empty).
pub fn targets(paths: &[PathBuf]) -> anyhow::Result<(super::Workspace, Vec<PathBuf>)> {
    let ws = super::Workspace::open(None, &Default::default())?;
    let paths = if paths.is_empty() {
        ws.config
            .lint
            .roots
            .iter()
            .map(|r| ws.root.join(r))
            .collect()
    } else {
        paths.to_vec()
    };
    Ok((ws, paths))
}

/// `path:line:col: CODE message`, as lint prints it.
pub fn diag_line(d: &Diagnostic, src: Option<&SourceFile>) -> String {
    let loc = crate::report::location(d, src);
    format!(
        "{}:{}:{}: {} {}",
        d.path, loc.line, loc.column, d.code, d.message
    )
}

/// The diagnostic for a file that does not load (YAML error).
pub fn load_error(file: &RuleFile) -> Option<Diagnostic> {
    let e = file.parsed.as_ref().err()?;
    Some(crate::lint::load_diagnostic(&file.source, e))
}

/// The line for a file that is read but not usable as text (too large, not UTF-8).
pub fn content_line(e: &load::ContentError, src: &SourceFile) -> String {
    diag_line(&crate::lint::content_diagnostic(&src.path, e), Some(src))
}

/// A rule file read and parsed, or the one-line reason it could not be.
pub enum Loaded {
    Rule(Box<RuleFile>),
    Error(String),
}

/// Reads and parses `inputs` in parallel (order kept).
pub fn load_all(inputs: &[Input], max_size: u64) -> anyhow::Result<Vec<Loaded>> {
    inputs
        .par_iter()
        .map(|input| {
            Ok(match load::read(input, max_size)? {
                Err((e, src)) => Loaded::Error(content_line(&e, &src)),
                Ok(src) => {
                    let file = RuleFile::parse(src);
                    match load_error(&file) {
                        Some(d) => Loaded::Error(diag_line(&d, Some(&file.source))),
                        None => Loaded::Rule(Box::new(file)),
                    }
                }
            })
        })
        .collect::<Result<Vec<_>, load::IoError>>()
        .map_err(anyhow::Error::from)
}

/// The rule of a loaded file as a matcher spec, or a one-line error when its condition does
/// not parse.
pub fn spec_of(file: &RuleFile) -> Result<RuleSpec, String> {
    let rule = file.rule().expect("parsed");
    if let Err(e) = rule.parsed_condition() {
        let c = rule.condition.as_ref().expect("a condition failed");
        let span = condition_error_span(&file.source, c.span, &c.value, e.offset);
        let d = crate::lint::rules::rf301_condition_syntax::RULE.diagnostic(
            &file.source.path,
            Some(span),
            format!("condition does not parse: {}", e.message),
        );
        return Err(diag_line(&d, Some(&file.source)));
    }
    Ok(RuleSpec::from(rule))
}

/// Where a condition error is in the file (the whole condition when it is not written on one
/// line as is).
fn condition_error_span(src: &SourceFile, span: Span, value: &str, offset: usize) -> Span {
    let raw = src.slice(span);
    let inner = usize::from(raw.starts_with('\'') || raw.starts_with('"'));
    if raw.get(inner..inner + value.len()) == Some(value) {
        Span::empty(span.start + inner + offset.min(value.len()))
    } else {
        span
    }
}

/// `path` shown relative to the current folder when it is below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    shown.display().to_string()
}
