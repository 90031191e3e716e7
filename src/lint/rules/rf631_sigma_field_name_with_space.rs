//! RF631 `sigma-field-name-with-space`: A field name contains a space.
//!
//! pySigma counterpart: SigmahqSpaceFieldNameIssue (sigmahq_space_field_name).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF631",
    name: "sigma-field-name-with-space",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A field name contains a space",
    explanation: "Field names with spaces (`Process Name`) come from display names, not from the log schema, and no backend field mapping knows them. Use the field name of the log source (`ProcessName`, `process_name`).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if let (Some(f), Some(span)) = (&item.field, item.field_span) {
            if f.contains(' ') {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    span,
                    format!("field name `{f}` contains a space"),
                ));
            }
        }
    }
}
