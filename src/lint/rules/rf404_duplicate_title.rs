//! RF404 `duplicate-title`: Two rules have the same title.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF404",
    name: "duplicate-title",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "Two rules have the same title",
    explanation: "Titles are what people see in alerts and changelogs. Two rules with one title cannot be told apart there, and the second is often an accidental copy. Make each title say what distinguishes its rule.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_title: FxHashMap<String, Vec<&RuleSummary>> = FxHashMap::default();
    for r in cx.rules {
        if let Some(t) = &r.title {
            by_title
                .entry(t.value.trim().to_lowercase())
                .or_default()
                .push(r);
        }
    }
    for rules in by_title.values().filter(|v| v.len() > 1) {
        for r in rules {
            let others: Vec<&str> = rules
                .iter()
                .filter(|o| o.path != r.path)
                .map(|o| o.path.as_str())
                .collect();
            out.push(RULE.diagnostic(
                &r.path,
                r.title.as_ref().map(|t| t.span),
                format!("the same title is used by {}", others.join(", ")),
            ));
        }
    }
}
