//! RF693 `sigma-unknown-related-id`: A `related` entry names an id no Sigma document in the repository has.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

pub const RULE: LintRule = LintRule {
    code: "RF693",
    name: "sigma-unknown-related-id",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "A `related` entry names an id no Sigma document in the repository has",
    explanation: "`related` links (derived, obsolete, merged, renamed, similar) are followed by people and tools; a link to an id that exists nowhere is a typo or points at a rule that was deleted instead of deprecated. Fix the id, or keep the old rule with `status: deprecated`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    for (r, rel) in rc::unknown_related(cx.sigma) {
        out.push(RULE.diagnostic(
            &r.path,
            Some(rel.span),
            format!(
                "related id `{}` is not the id of any Sigma rule in the repository",
                rel.value
            ),
        ));
    }
}
