//! RF606 `sigma-them-single-selection`: The condition uses `them` but there is only one selection.
//!
//! pySigma counterpart: ThemConditionWithSingleDetectionIssue (them_condition_with_single_detection).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF606",
    name: "sigma-them-single-selection",
    severity: Severity::Warning,
    category: Category::Condition,
    summary: "The condition uses `them` but there is only one selection",
    explanation: "`1 of them` or `all of them` over a single selection is just that selection, written in a way that changes meaning as soon as a second selection (for example a filter) is added. Name the selection.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::condition::Expr;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    if d.selections.len() != 1 {
        return;
    }
    for (c, r) in sc::conditions(d) {
        let Ok(e) = r else { continue };
        e.leaves(&mut |leaf| {
            if let Expr::Of {
                pattern, offset, ..
            } = leaf
            {
                if pattern == "them" {
                    out.push(sc::diag(
                        cx,
                        &RULE,
                        sc::span_in(cx, c, *offset, 4),
                        format!(
                            "`them` stands for the only selection here: write `{}`",
                            d.selections[0].name
                        ),
                    ));
                }
            }
        });
    }
}
