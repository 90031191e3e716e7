//! RF403 `unknown-related-id`: A `related` entry points at an id that no rule has.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

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
    for (r, rel) in rc::unknown_related(cx.rules) {
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
