//! RF690 `sigma-duplicate-id`: Two Sigma documents have the same id.
//!
//! pySigma counterpart: IdentifierCollisionIssue (identifier_uniqueness).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

pub const RULE: LintRule = LintRule {
    code: "RF690",
    name: "sigma-duplicate-id",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma documents have the same id",
    explanation: "Ids identify Sigma rules in correlations, filters, `related` links and every SIEM that imports them: two documents with one id overwrite each other. Usually a file was copied to start a new rule; give the copy a fresh UUID.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let ids = cx.sigma.iter().filter_map(|r| {
        r.id.as_ref()
            .map(|id| (id.value.as_str(), (r, Some(id.span))))
    });
    for (id, group) in rc::duplicates(ids) {
        rc::report_duplicates(&RULE, "id", &group, |_| id, out);
    }
}
