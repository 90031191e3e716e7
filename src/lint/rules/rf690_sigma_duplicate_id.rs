//! RF690 `sigma-duplicate-id`: Two Sigma documents have the same id.
//!
//! pySigma counterpart: IdentifierCollisionIssue (identifier_uniqueness).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

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
    rc::run_keyed::<Keys>(cx.sigma, out);
}

/// RF690 by key: the id.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const ALONE: bool = false;
    type Key<'a> = &'a str;

    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>) {
        out.extend(r.id.as_ref().map(|id| id.value.as_str()));
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let group = rc::holders_of(holders, |r| {
            r.id.as_ref()
                .filter(|id| id.value == *key)
                .map(|id| Some(id.span))
        });
        if group.len() > 1 {
            rc::report_duplicates(&RULE, "id", &group, |_| key, out);
        }
    }
}
