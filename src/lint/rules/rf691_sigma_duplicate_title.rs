//! RF691 `sigma-duplicate-title`: Two Sigma documents have the same title.
//!
//! pySigma counterpart: DuplicateTitleIssue (duplicate_title).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

pub const RULE: LintRule = LintRule {
    code: "RF691",
    name: "sigma-duplicate-title",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma documents have the same title",
    explanation: "Titles are what analysts see in alert lists: two rules with one title cannot be told apart there. Make each title say what distinguishes the rule (the log source, the technique variant).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let titles = cx.sigma.iter().filter_map(|r| {
        r.title
            .as_ref()
            .map(|t| (rc::title_key(&t.value), (r, Some(t.span))))
    });
    for (_, group) in rc::duplicates(titles) {
        rc::report_duplicates(&RULE, "title", &group, own_title, out);
    }
}

fn own_title(r: &RuleSummary) -> &str {
    r.title.as_ref().map_or("", |t| t.value.as_str())
}
