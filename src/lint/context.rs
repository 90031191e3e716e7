//! What checks see: one rule file, or the whole rule set.

use crate::diagnostic::Span;
use crate::indicator::IndicatorType;
use crate::rule::{Rule, Spanned};
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

/// The facts repository-wide checks need about each rule, kept small so a large rule set
/// fits in memory after the per-file pass.
#[derive(Debug, Clone)]
pub struct RuleSummary {
    pub path: String,
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub deprecated: bool,
    pub related: Vec<Spanned<String>>,
    /// Distinct (type, canonical value) pairs with the span of their first occurrence.
    pub values: Vec<(IndicatorType, String, Span)>,
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
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values,
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
    pub rules: &'a [RuleSummary],
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, fmt).ok()
}
