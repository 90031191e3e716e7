//! RF403 `unknown-related-id`: A `related` entry points at an id that no rule has.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF403",
    name: "unknown-related-id",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "A `related` entry points at an id that no rule has",
    explanation: "`related` links rules (a replacement, the rule this one was derived from). A link to an id that exists in no rule file is a typo or points at a rule that was deleted; either way the reader cannot follow it. Fix the id or remove the entry.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let ids: FxHashSet<&str> = cx
        .rules
        .iter()
        .filter_map(|r| r.id.as_ref().map(|i| i.value.as_str()))
        .collect();
    for r in cx.rules {
        for rel in &r.related {
            if !ids.contains(rel.value.as_str()) {
                out.push(RULE.diagnostic(
                    &r.path,
                    Some(rel.span),
                    format!(
                        "related id `{}` is not the id of any rule in the repository",
                        rel.value
                    ),
                ));
            }
        }
    }
}
