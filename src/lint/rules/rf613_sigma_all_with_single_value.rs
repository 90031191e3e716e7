//! RF613 `sigma-all-with-single-value`: The `all` modifier is applied to a single value.
//!
//! pySigma counterpart: SigmahqInvalidAllModifierIssue (sigmahq_invalid_all_modifier).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF613",
    name: "sigma-all-with-single-value",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "The `all` modifier is applied to a single value",
    explanation: "`all` makes every value of a list match; with one value it does nothing, which usually means values were lost or the list was written as a single string. List the values or drop `all`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.field.is_some() && item.has("all") && item.values.len() < 2 {
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
                    "`all` on {} with a single value has no effect",
                    item.label()
                ),
            ));
        }
    }
}
