//! RF404 `duplicate-title`: Two rules have the same title.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

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
    let titles = cx.rules.iter().filter_map(|r| {
        r.title
            .as_ref()
            .map(|t| (rc::title_key(&t.value), (r, Some(t.span))))
    });
    for (_, group) in rc::duplicates(titles) {
        for ((r, span), others) in rc::with_others(&group) {
            let paths: Vec<&str> = others.iter().map(|(o, _)| o.path.as_str()).collect();
            out.push(RULE.diagnostic(
                &r.path,
                *span,
                format!("the same title is used by {}", paths.join(", ")),
            ));
        }
    }
}
