//! RF646 `sigma-invalid-date`: `date` or `modified` is not a real calendar date.
//!
//! pySigma counterpart: SigmaDateError "Rule date is invalid, use yyyy-mm-dd" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF646",
    name: "sigma-invalid-date",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "`date` or `modified` is not a real calendar date",
    explanation: "Sigma dates are `YYYY-MM-DD`. The schema checks the shape; this rule checks that the date exists (`2024-02-30` does not) — pySigma rejects such a rule.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for f in [&cx.rule.date, &cx.rule.modified].into_iter().flatten() {
        let shaped = f.value.len() == 10
            && f.value.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if shaped && parse_date(&f.value).is_none() {
            out.push(sc::diag(
                cx,
                &RULE,
                f.span,
                format!("`{}` is not a calendar date", f.value),
            ));
        }
    }
}
