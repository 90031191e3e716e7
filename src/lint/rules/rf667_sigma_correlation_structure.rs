//! RF667 `sigma-correlation-structure`: A correlation rule lacks `group-by`, or a temporal one correlates fewer than two rules.
//!
//! pySigma counterpart: SigmahqCorrelationRulesMinimumIssue, SigmahqCorrelationGroupByExistenceIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF667",
    name: "sigma-correlation-structure",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "A correlation rule lacks `group-by`, or a temporal one correlates fewer than two rules",
    explanation: "`event_count`, `value_count`, `temporal` and `temporal_ordered` correlations count or order events per group: without `group-by` they aggregate everything together, which is almost never meant. A temporal correlation needs at least two rules to relate.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(c) = &cx.rule.correlation else {
        return;
    };
    let Some(ty) = &c.ty else { return };
    let temporal = matches!(ty.value.as_str(), "temporal" | "temporal_ordered");
    if temporal && c.rules.len() < 2 {
        out.push(sc::diag(
            cx,
            &RULE,
            ty.span,
            format!("a `{}` correlation relates at least two rules", ty.value),
        ));
    }
    if (temporal || matches!(ty.value.as_str(), "event_count" | "value_count"))
        && c.group_by.is_empty()
    {
        out.push(sc::diag(
            cx,
            &RULE,
            c.span,
            format!("a `{}` correlation needs `group-by`", ty.value),
        ));
    }
}
