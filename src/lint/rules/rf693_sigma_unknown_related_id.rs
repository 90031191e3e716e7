//! RF693 `sigma-unknown-related-id`: A `related` entry names an id no Sigma document in the repository has.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

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
    rc::run_keyed::<Keys>(cx.sigma, out);
}

/// RF693 by key: an id, which rules have and `related` entries name.
pub type Keys = rc::UnknownRelated<Scope>;

/// The check and the rules [`Keys`] serves.
pub struct Scope;

impl rc::Scope for Scope {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const NOUN: &'static str = "Sigma rule";
}
