//! RF616 `sigma-repeated-modifier`: The same modifier appears twice on one field.
//!
//! pySigma counterpart: ModifierAppliedMultipleIssue (invalid_modifier_combinations).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF616",
    name: "sigma-repeated-modifier",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "The same modifier appears twice on one field",
    explanation: "Applying a modifier twice (`contains|contains`) is a typo or a copy-paste slip; it does nothing useful (`base64` is the exception: double encoding is legitimate). Remove the repetition.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        for (i, m) in item.modifiers.iter().enumerate() {
            if m.value != "base64" && item.modifiers[..i].iter().any(|p| p.value == m.value) {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    m.span,
                    format!(
                        "modifier `{}` is applied twice on {}",
                        m.value,
                        item.label()
                    ),
                ));
            }
        }
    }
}
