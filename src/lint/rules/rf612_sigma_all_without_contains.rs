//! RF612 `sigma-all-without-contains`: The `all` modifier is used without `contains`.
//!
//! pySigma counterpart: AllWithoutContainsModifierIssue (invalid_modifier_combinations).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF612",
    name: "sigma-all-without-contains",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "The `all` modifier is used without `contains`",
    explanation: "With `all`, every listed value must match the same field. Without `contains` each value must equal the whole field, so two different values can never both match: the rule is dead. Add `contains` (`CommandLine|contains|all`), or drop `all` if any value should match.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.field.is_some() && item.has("all") && !item.has("contains") {
            let m = item
                .modifiers
                .iter()
                .find(|m| m.value == "all")
                .expect("has all");
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                format!(
                    "`all` without `contains` on {}: one field value cannot equal several values",
                    item.label()
                ),
            ));
        }
    }
}
