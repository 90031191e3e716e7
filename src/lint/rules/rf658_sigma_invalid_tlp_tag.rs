//! RF658 `sigma-invalid-tlp-tag`: A `tlp.` tag is not a TLP 2.0 label.
//!
//! pySigma counterpart: InvalidTLPTagIssue (tlpv2_tag).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF658",
    name: "sigma-invalid-tlp-tag",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A `tlp.` tag is not a TLP 2.0 label",
    explanation: "Traffic Light Protocol 2.0 labels are `tlp.clear`, `tlp.green`, `tlp.amber`, `tlp.amber-strict` and `tlp.red` (`white` was renamed `clear`). Use one of them.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        let Some(name) = t.value.strip_prefix("tlp.") else {
            continue;
        };
        if !matches!(name, "clear" | "green" | "amber" | "amber-strict" | "red") {
            out.push(sc::diag(
                cx,
                &RULE,
                t.span,
                format!(
                    "`{}` is not a TLP 2.0 label (clear, green, amber, amber-strict, red)",
                    t.value
                ),
            ));
        }
    }
}
