//! Rendering diagnostics: one file per output format. Renderers never decide anything;
//! they print what the checks found.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::source::SourceFile;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// 1-based start and end positions of a diagnostic (line 1, column 1 for file-level ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn location(d: &Diagnostic, src: Option<&SourceFile>) -> Location {
    match (d.span, src) {
        (Some(span), Some(src)) => {
            let s = src.line_col(span.start);
            let e = src.line_col(span.end.max(span.start));
            Location {
                line: s.line,
                column: s.column,
                end_line: e.line,
                end_column: e.column,
            }
        }
        _ => Location {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        },
    }
}

pub type Sources = HashMap<String, Arc<SourceFile>>;

/// Summary counts for the closing line.
pub struct Counts {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub fixed: usize,
    pub fixable: usize,
}

impl Counts {
    /// The counts of a lint run: findings by severity, fixes applied, and findings a safe fix
    /// could still repair.
    pub fn of(outcome: &crate::lint::Outcome) -> Counts {
        Counts {
            files: outcome.files_checked,
            errors: outcome.count(Severity::Error),
            warnings: outcome.count(Severity::Warning),
            infos: outcome.count(Severity::Info),
            fixed: outcome.fixed,
            fixable: outcome
                .diagnostics
                .iter()
                .filter(|d| {
                    d.fix
                        .as_ref()
                        .is_some_and(|f| f.applicability == Applicability::Safe)
                })
                .count(),
        }
    }

    /// Whether the run fails (exit 1): an error was found, or a warning while warnings are
    /// denied (`--deny-warnings`, `lint.deny-warnings`).
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.errors > 0 || (deny_warnings && self.warnings > 0)
    }
}
