//! RF301 `condition-syntax-error`: The condition does not parse.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF301",
    name: "condition-syntax-error",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The condition does not parse",
    explanation: "`condition` is a boolean expression over group names: `and`, `or`, `not`, parentheses, `1 of prefix*`, `all of prefix*`, `1 of them`, `all of them`. A condition that does not parse makes the rule unusable; the diagnostic points at the column where parsing failed.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(c) = &cx.rule.condition else { return };
    if let Err(e) = cx.rule.condition_expr() {
        let span = condition_span(cx, c, e.offset, e.len.max(1));
        out.push(RULE.diagnostic(
            cx.path,
            Some(span),
            format!(
                "condition does not parse at column {}: {}",
                e.offset + 1,
                e.message
            ),
        ));
    }
}
