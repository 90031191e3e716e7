//! RF503 `deleted-without-deprecation`: A rule was deleted without being deprecated first.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF503",
    name: "deleted-without-deprecation",
    severity: Severity::Error,
    category: Category::Policy,
    summary: "A rule was deleted without first being deprecated",
    explanation: "Compared with the base revision, a rule file is gone (its id is nowhere in the rule set) but in the base revision its status was not `deprecated`. Scanners that alert on the rule lose it without notice. Deprecate it first (`status: deprecated`, ideally with a `related` link to its replacement), ship that in a bundle, and delete it in a later change. Turn the policy off with `[policy] require-deprecation-before-delete = false` in `ruleforge.toml`.",
    fixable: false,
    default_enabled: true,
};
