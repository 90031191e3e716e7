//! RF645 `sigma-redundant-modified`: `modified` equals `date`.
//!
//! pySigma counterpart: SigmahqRedundantModifiedIssue (sigmahq_redundant_modified).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF645",
    name: "sigma-redundant-modified",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "`modified` equals `date`",
    explanation: "A `modified` equal to `date` says nothing: the rule was not modified after it was created. Remove `modified` until the rule changes.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    if let (Some(d), Some(m)) = (&cx.rule.date, &cx.rule.modified) {
        if d.value == m.value {
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                "`modified` equals `date`: remove it",
            ));
        }
    }
}
