//! RF607 `sigma-empty-detection`: The detection defines no selection, or a selection is empty.
//!
//! pySigma counterpart: SigmaDetectionError "Detection is empty" / "No detections defined" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF607",
    name: "sigma-empty-detection",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The detection defines no selection, or a selection is empty",
    explanation: "A selection defined as an empty list or mapping matches nothing (pySigma rejects it: \"Detection is empty\"), and a detection without any selection has nothing to match. Fill in the selection or remove it.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    if d.selections.is_empty() && cx.rule.doc_type == DocType::Rule {
        out.push(sc::diag(
            cx,
            &RULE,
            d.span,
            "the detection defines no selection",
        ));
    }
    for s in &d.selections {
        if s.empty {
            out.push(sc::diag(
                cx,
                &RULE,
                s.value_span,
                format!("selection `{}` is empty", s.name),
            ));
        }
    }
}
