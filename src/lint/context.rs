//! What checks see: one rule file, or the whole rule set.

use crate::diagnostic::Span;
use crate::indicator::IndicatorType;
use crate::kind::RuleKind;
use crate::rule::{Rule, Spanned};
use crate::sigma::{DocType, SigmaRule};
use crate::source::SourceFile;
use crate::yaml::Node;
use time::Date;

/// One parsed rule file.
pub struct FileContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a Rule,
    pub today: Date,
}

/// One Sigma document (a file may hold several: see `src/sigma/mod.rs`).
pub struct SigmaContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a SigmaRule,
    /// The document's index in its file (file-level checks run on document 0 only).
    pub doc_index: usize,
    pub today: Date,
}

impl SigmaContext<'_> {
    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// The facts repository-wide checks need about each rule, kept small so a large rule set
/// fits in memory after the per-file pass.
#[derive(Debug, Clone)]
pub struct RuleSummary {
    pub kind: RuleKind,
    pub path: String,
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub deprecated: bool,
    pub related: Vec<Spanned<String>>,
    /// Distinct (type, canonical value) pairs with the span of their first occurrence.
    pub values: Vec<(IndicatorType, String, Span)>,
    /// Sigma only: the document type, its `name`, and the rules it refers to by id or name
    /// (a correlation's `rules`, a filter's `rules`).
    pub sigma: Option<SigmaFacts>,
}

/// What repository-wide Sigma checks need beyond the common facts.
#[derive(Debug, Clone)]
pub struct SigmaFacts {
    pub doc_type: DocType,
    pub name: Option<Spanned<String>>,
    pub refs: Vec<Spanned<String>>,
    /// The span to point at for the document as a whole (its title, else its start).
    pub anchor: Span,
}

impl RuleSummary {
    pub fn from_rule(path: &str, rule: &Rule) -> Self {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut values = Vec::new();
        for (_, t, v) in rule.values() {
            if let Some(ty) = t.ty {
                if seen.insert((ty, v.canonical())) {
                    values.push((ty, v.canonical().to_string(), v.span));
                }
            }
        }
        RuleSummary {
            kind: RuleKind::Native,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values,
            sigma: None,
        }
    }

    pub fn from_sigma(path: &str, rule: &SigmaRule) -> Self {
        let mut refs = rule.filter_rules.clone();
        if let Some(c) = &rule.correlation {
            refs.extend(c.rules.iter().cloned());
        }
        RuleSummary {
            kind: RuleKind::Sigma,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values: Vec::new(),
            sigma: Some(SigmaFacts {
                doc_type: rule.doc_type,
                name: rule.name.clone(),
                refs,
                anchor: rule.anchor(),
            }),
        }
    }

    /// `path (title)` for messages.
    pub fn label(&self) -> String {
        match &self.title {
            Some(t) => format!("{} ({})", self.path, t.value),
            None => self.path.clone(),
        }
    }
}

/// The whole rule set.
pub struct RepoContext<'a> {
    /// Native indicator rules.
    pub rules: &'a [RuleSummary],
    /// Sigma documents (one summary per document).
    pub sigma: &'a [RuleSummary],
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, fmt).ok()
}
