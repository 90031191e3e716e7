//! RF504 `created-changed`: A rule's `created` date changed.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF504",
    name: "created-changed",
    severity: Severity::Error,
    category: Category::Policy,
    summary: "A rule's `created` date was changed",
    explanation: "`created` records when the rule was first written and never changes; the date of a change goes in `modified`. Compared with the base revision, this rule's `created` is different. Restore the original date (`ruleforge lint --base REV --fix` does it) and set `modified` instead.",
    fixable: true,
    default_enabled: true,
};
