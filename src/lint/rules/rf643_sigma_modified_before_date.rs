//! RF643 `sigma-modified-before-date`: `modified` is earlier than `date`.
//!
//! pySigma counterpart: SigmahqModifiedDateOrderIssue (sigmahq_modified_date_order).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF643",
    name: "sigma-modified-before-date",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "`modified` is earlier than `date`",
    explanation: "`date` is when the rule was created and `modified` when it last changed, so `modified` cannot be earlier. The dates were probably swapped or mistyped.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(d), Some(m)) = (&cx.rule.date, &cx.rule.modified) else {
        return;
    };
    if let (Some(dd), Some(md)) = (parse_date(&d.value), parse_date(&m.value)) {
        if md < dd {
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                format!("modified {} is earlier than date {}", m.value, d.value),
            ));
        }
    }
}
