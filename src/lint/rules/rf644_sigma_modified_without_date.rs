//! RF644 `sigma-modified-without-date`: `modified` is set but `date` is missing.
//!
//! pySigma counterpart: SigmahqModifiedWithoutDateIssue (sigmahq_modified_without_date).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF644",
    name: "sigma-modified-without-date",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "`modified` is set but `date` is missing",
    explanation: "A rule records its creation in `date` and later changes in `modified`. A rule with only `modified` lost its creation date; a new rule has only `date`. Add `date`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    if let (None, Some(m)) = (&cx.rule.date, &cx.rule.modified) {
        if cx.node.get("date").is_none() {
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                "`modified` is set but `date` is missing",
            ));
        }
    }
}
