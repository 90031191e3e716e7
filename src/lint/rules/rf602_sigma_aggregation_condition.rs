//! RF602 `sigma-aggregation-condition`: The condition uses the deprecated `|` aggregation syntax.
//!
//! pySigma counterpart: SigmaConditionError "The pipe syntax in Sigma conditions has been deprecated".

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF602",
    name: "sigma-aggregation-condition",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The condition uses the deprecated `|` aggregation syntax",
    explanation: "Sigma 1 expressed aggregations inside the condition (`selection | count() by host > 10`). The syntax was replaced by correlation rules, and pySigma and its backends reject it. Move the aggregation into a correlation rule (`correlation: {type: event_count, rules: [...], group-by: [...], timespan: ..., condition: {gte: ...}}`) that refers to this rule by `name` or `id`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    for c in &d.conditions {
        if let Some(at) = c.value.find('|') {
            out.push(sc::diag(
                cx,
                &RULE,
                sc::span_in(cx, c, at, c.value.trim_end().len() - at),
                "the `|` aggregation syntax was replaced by correlation rules: move the aggregation into a correlation rule",
            ));
        }
    }
}
