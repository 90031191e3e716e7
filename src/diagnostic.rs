//! The one diagnostic type used by every check and every output format, and the
//! self-description of the lint rule that emits it.
//!
//! This module is a leaf: it imports nothing from the crate. A diagnostic is made from its
//! rule's entry (`RULE.diagnostic(path, span, message)`), so the code and default severity
//! come from one place, a mistyped code does not compile, and nothing is looked up at run
//! time. The registry of every rule (`lint::registry`) lists these entries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open byte range into a source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }
}

/// Whether a fix may be applied without a human reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Preserves the meaning the author intended; applied by `--fix`.
    Safe,
    /// Changes meaning; shown but never applied automatically.
    Unsafe,
}

/// One text replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A fix: a description and the edits that implement it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(message: impl Into<String>, span: Span, replacement: impl Into<String>) -> Self {
        Fix {
            message: message.into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                span,
                replacement: replacement.into(),
            }],
        }
    }

    pub fn unsafe_(message: impl Into<String>, span: Span, replacement: impl Into<String>) -> Self {
        Fix {
            applicability: Applicability::Unsafe,
            ..Fix::safe(message, span, replacement)
        }
    }
}

/// A secondary location (e.g. the other file that holds a duplicate id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub path: String,
    pub span: Option<Span>,
    pub message: String,
}

/// What a lint rule is about: the category SARIF output tags a rule with
/// (`tool.driver.rules[].properties.tags`) and `ruleforge rule` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The file as a document: reading, YAML, schema, keys (RF0xx, RF600, RF650, RF651,
    /// RF667).
    Structure,
    /// Descriptive fields: id, title, dates, status, description, tags, references, file
    /// names (RF1xx, RF64x, RF65x, RF66x).
    Metadata,
    /// Indicator values of native rules (RF2xx).
    Indicators,
    /// The condition over groups or selections (RF3xx, RF601..RF607).
    Condition,
    /// Sigma detection items: field modifiers and values (RF610..RF632).
    Detection,
    /// The Sigma `logsource` (RF635..RF637).
    Logsource,
    /// Checks across the whole rule set (RF4xx, RF69x).
    Repository,
    /// Checks against a base revision (RF5xx).
    Policy,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Structure => "structure",
            Category::Metadata => "metadata",
            Category::Indicators => "indicators",
            Category::Condition => "condition",
            Category::Detection => "detection",
            Category::Logsource => "logsource",
            Category::Repository => "repository",
            Category::Policy => "policy",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lint rule's self-description: its entry in the registry. Each rule file declares one
/// as `pub const RULE: LintRule`.
#[derive(Debug, PartialEq, Eq)]
pub struct LintRule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// One paragraph: why it matters and what to do, shown by `ruleforge rule CODE`.
    pub explanation: &'static str,
    /// Whether `--fix` can repair findings (safe fixes).
    pub fixable: bool,
    /// Enabled without `--select`.
    pub default_enabled: bool,
}

impl LintRule {
    /// A finding of this rule, with its default severity.
    pub fn diagnostic(
        &self,
        path: &str,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: self.code,
            severity: self.severity,
            message: message.into(),
            path: path.to_string(),
            span,
            fix: None,
            related: Vec::new(),
        }
    }
}

/// A finding: code, severity, message, place and optional fix. Made by
/// [`LintRule::diagnostic`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    pub span: Option<Span>,
    pub fix: Option<Fix>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }
}
