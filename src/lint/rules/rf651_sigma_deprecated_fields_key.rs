//! RF651 `sigma-deprecated-fields-key`: The rule uses the deprecated `fields` key.
//!
//! pySigma counterpart: SigmahqFieldsExistenceIssue (sigmahq_fields_existence).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF651",
    name: "sigma-deprecated-fields-key",
    severity: Severity::Warning,
    category: Category::Structure,
    summary: "The rule uses the deprecated `fields` key",
    explanation: "The `fields` list (fields to show with a hit) is deprecated in SigmaHQ: backends ignore it and it drifts out of date. Remove it.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(span) = cx.rule.fields_key {
        out.push(sc::diag(
            cx,
            &RULE,
            span,
            "`fields` is deprecated: remove it",
        ));
    }
}
