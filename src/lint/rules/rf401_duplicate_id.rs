//! RF401 `duplicate-id`: Two rule files have the same id.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

pub const RULE: LintRule = LintRule {
    code: "RF401",
    name: "duplicate-id",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two rule files have the same id",
    explanation: "Ids identify rules across the repository, bundles and scanners: two files with the same id make one of them invisible to diffs and overwrite each other in a bundle. This usually happens when a file is copied to start a new rule. Give the copy a fresh id (`ruleforge new --from` does that and records the relation).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    rc::run_keyed::<Keys>(cx.rules, out);
}

/// RF401 by key: the id.
pub type Keys = rc::SameId<Scope>;

/// The check and the rules [`Keys`] serves.
pub struct Scope;

impl rc::Scope for Scope {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Native;
    const NOUN: &'static str = "rule";
}
