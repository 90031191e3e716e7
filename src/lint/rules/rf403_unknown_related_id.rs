//! RF403 `unknown-related-id`: A `related` entry points at an id that no rule has.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

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
    rc::run_keyed::<Keys>(cx.rules, out);
}

/// RF403 by key: an id, which rules have and `related` entries name.
pub type Keys = rc::UnknownRelated<Scope>;

/// The check and the rules [`Keys`] serves.
pub struct Scope;

impl rc::Scope for Scope {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Native;
    const NOUN: &'static str = "rule";
}
