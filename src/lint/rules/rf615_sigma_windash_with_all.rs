//! RF615 `sigma-windash-with-all`: The `windash` modifier is combined with `all`.
//!
//! pySigma counterpart: WindowsDashCombinedWithAllModifierIssue (invalid_modifier_combinations).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF615",
    name: "sigma-windash-with-all",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "The `windash` modifier is combined with `all`",
    explanation: "`windash` expands each value into variants with `-`, `/` and other dashes, meant as alternatives; with `all` every variant would have to match at once, which never happens. Drop `all` or `windash`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.has("windash") && item.has("all") {
            let m = item
                .modifiers
                .iter()
                .find(|m| m.value == "windash")
                .expect("has windash");
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                format!(
                    "`windash` with `all` on {}: the dash variants can never all match",
                    item.label()
                ),
            ));
        }
    }
}
