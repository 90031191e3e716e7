//! RF635 `sigma-logsource-unknown-key`: `logsource` has a key other than category, product, service and definition.
//!
//! pySigma counterpart: FieldnameLogsourceIssue (fieldname_logsource).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF635",
    name: "sigma-logsource-unknown-key",
    severity: Severity::Error,
    category: Category::Logsource,
    summary: "`logsource` has a key other than category, product, service and definition",
    explanation: "A log source is identified by `category`, `product` and `service` (plus a free-text `definition`). Other keys are ignored by every backend, so the rule may run against the wrong logs. Move the information into `definition` or a standard key.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ls) = &cx.rule.logsource else { return };
    for k in &ls.extra {
        out.push(sc::diag(
            cx,
            &RULE,
            k.span,
            format!(
                "`{}` is not a log source key (category, product, service, definition)",
                k.value
            ),
        ));
    }
}
