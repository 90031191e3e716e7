//! RF104 `expired-rule`: `expires` is in the past on a rule that is not deprecated.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF104",
    name: "expired-rule",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "`expires` is in the past on a rule that is not deprecated",
    explanation: "Network indicators age quickly: infrastructure is abandoned and reassigned to innocent owners. `expires` says when a rule stops being trustworthy. Once the date has passed the rule is left out of bundles (by default) and should be reviewed: extend `expires` with fresh evidence, or set `status: deprecated`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(e) = &cx.rule.expires else { return };
    if cx.rule.is_deprecated() {
        return;
    }
    if let Some(date) = parse_date(&e.value) {
        if date < cx.today {
            out.push(RULE.diagnostic(
                cx.path,
                Some(e.span),
                format!(
                    "the rule expired on {}: review it, extend `expires` or deprecate it",
                    e.value
                ),
            ));
        }
    }
}
