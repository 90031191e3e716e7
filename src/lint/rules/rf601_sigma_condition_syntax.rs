//! RF601 `sigma-condition-syntax`: The Sigma condition does not parse.
//!
//! pySigma counterpart: SigmaConditionError (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF601",
    name: "sigma-condition-syntax",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The Sigma condition does not parse",
    explanation: "A Sigma condition combines selection names with lower-case `and`, `or`, `not`, parentheses and the quantifiers `1 of`, `any of`, `all of` over a name pattern or `them`. A condition that does not parse makes the whole rule unusable in every backend. The diagnostic points at the column where parsing failed and says what was expected there.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    for (c, r) in sc::conditions(d) {
        if c.value.contains('|') {
            continue; // RF602
        }
        if let Err(e) = r {
            out.push(sc::diag(
                cx,
                &RULE,
                sc::span_in(cx, c, e.offset, e.len.max(1)),
                format!(
                    "condition does not parse at column {}: {}",
                    e.offset + 1,
                    e.message
                ),
            ));
        }
    }
}
