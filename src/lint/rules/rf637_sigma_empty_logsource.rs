//! RF637 `sigma-empty-logsource`: `logsource` names no category, product or service.
//!
//! pySigma counterpart: SigmaLogsourceError "Sigma log source can't be empty" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF637",
    name: "sigma-empty-logsource",
    severity: Severity::Error,
    category: Category::Logsource,
    summary: "`logsource` names no category, product or service",
    explanation: "Backends choose the index, table or event type from `category`, `product` and `service`; a log source with none of them (only a `definition`, or nothing) cannot be converted and pySigma rejects it. Name at least one.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ls) = &cx.rule.logsource else { return };
    if ls.category.is_none() && ls.product.is_none() && ls.service.is_none() {
        out.push(sc::diag(
            cx,
            &RULE,
            ls.span,
            "the log source names no category, product or service",
        ));
    }
}
