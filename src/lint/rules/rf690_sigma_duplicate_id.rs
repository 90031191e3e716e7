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
pub type Keys = rc::SameId<Scope>;

/// The check and the rules [`Keys`] serves.
pub struct Scope;

impl rc::Scope for Scope {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const NOUN: &'static str = "Sigma rule";
}
