//! RF605 `sigma-all-of-them`: The condition uses `all of them`.
//!
//! pySigma counterpart: AllOfThemConditionIssue (all_of_them_condition).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF605",
    name: "sigma-all-of-them",
    severity: Severity::Warning,
    category: Category::Condition,
    summary: "The condition uses `all of them`",
    explanation: "With `all of them`, every selection must match, including selections added later as filters: adding `filter_legit` to the rule would then require the filter to match instead of excluding it. Name what must match explicitly: `all of selection_*`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::condition::Expr;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    for (c, r) in sc::conditions(d) {
        let Ok(e) = r else { continue };
        e.leaves(&mut |leaf| {
            if let Expr::Of {
                all: true,
                pattern,
                offset,
            } = leaf
            {
                if pattern == "them" {
                    out.push(sc::diag(
                        cx,
                        &RULE,
                        sc::span_in(cx, c, *offset, 4),
                        "`all of them` also requires every selection added later: write `all of selection_*`",
                    ));
                }
            }
        });
    }
}
