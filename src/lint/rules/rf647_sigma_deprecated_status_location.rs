//! RF647 `sigma-deprecated-status-location`: A deprecated or unsupported rule is outside a `deprecated/` or `unsupported/` folder.
//!
//! pySigma counterpart: SigmahqStatusIssue (sigmahq_status).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF647",
    name: "sigma-deprecated-status-location",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "A deprecated or unsupported rule is outside a `deprecated/` or `unsupported/` folder",
    explanation: "SigmaHQ keeps rules with `status: deprecated` or `status: unsupported` in the `deprecated/` and `unsupported/` folders, which conversion pipelines skip. Elsewhere such a rule is still converted and deployed. Move the file (its `id` stays).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(s) = &cx.rule.status else { return };
    if !matches!(s.value.as_str(), "deprecated" | "unsupported") {
        return;
    }
    let folder = cx
        .path
        .split('/')
        .rev()
        .skip(1)
        .any(|c| c == "deprecated" || c == "unsupported");
    if !folder {
        out.push(sc::diag(
            cx,
            &RULE,
            s.span,
            format!(
                "`status: {}` outside a `deprecated/` or `unsupported/` folder",
                s.value
            ),
        ));
    }
}
