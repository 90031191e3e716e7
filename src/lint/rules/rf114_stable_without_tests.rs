//! RF114 `stable-without-tests`: A stable rule has no tests.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF114",
    name: "stable-without-tests",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A stable rule has no tests",
    explanation: "`status: stable` promises that the rule does what it says. That promise is only checkable with `tests`: at least one event it must match and one it must not, run by `ruleforge test` with the reference matcher. Add tests or lower the status to `test`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(s) = &cx.rule.status else { return };
    if s.value != "stable" {
        return;
    }
    let has_match = cx.rule.tests.iter().any(|t| t.expect_match == Some(true));
    let has_no_match = cx.rule.tests.iter().any(|t| t.expect_match == Some(false));
    if !has_match || !has_no_match {
        let missing = match (has_match, has_no_match) {
            (false, false) => "has no tests",
            (false, true) => "has no `match` test",
            _ => "has no `no_match` test",
        };
        out.push(RULE.diagnostic(cx.path, Some(s.span), format!("stable rule {missing}")));
    }
}
