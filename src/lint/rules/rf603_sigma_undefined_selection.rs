//! RF603 `sigma-undefined-selection`: The condition refers to a selection that is not defined.
//!
//! pySigma counterpart: DanglingConditionIssue (dangling_condition).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF603",
    name: "sigma-undefined-selection",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The condition refers to a selection that is not defined",
    explanation: "Every name in the condition must be a search identifier defined under `detection`, and every `1 of`/`all of` pattern must match at least one of them (patterns do not match names starting with `_` unless they start with `_` themselves). A misspelt or deleted selection makes the rule fail to convert or silently match nothing. Define the selection or fix the name.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::condition::{pattern_matches, Expr};

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    for (c, r) in sc::conditions(d) {
        let Ok(e) = r else { continue };
        e.leaves(&mut |leaf| match leaf {
            Expr::Ident { name, offset } if d.selection(name).is_none() => {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    sc::span_in(cx, c, *offset, name.len()),
                    format!("the condition refers to `{name}`, which no selection defines"),
                ));
            }
            Expr::Of {
                pattern, offset, ..
            } if !d
                .selections
                .iter()
                .any(|s| pattern_matches(pattern, &s.name)) =>
            {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    sc::span_in(cx, c, *offset, pattern.len()),
                    format!("the pattern `{pattern}` matches no selection"),
                ));
            }
            _ => {}
        });
    }
}
