//! RF622 `sigma-empty-value`: An empty value matches everything or nothing.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF622",
    name: "sigma-empty-value",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "An empty value matches everything or nothing",
    explanation: "An empty string with `contains`, `startswith` or `endswith` matches every value of the field, and an empty or null keyword matches nothing useful; both usually come from a value that was deleted or never filled in. (`Field: ''` without modifiers, matching an empty field, is fine.)",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        let wildcard = item.has("contains") || item.has("startswith") || item.has("endswith");
        for v in &item.values {
            if v.nested {
                continue;
            }
            let empty_str = v.ty == VType::Str && v.raw.is_empty();
            if item.field.is_none() && (empty_str || v.ty == VType::Null) {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    "empty keyword: it matches nothing useful",
                ));
            } else if wildcard && empty_str {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!(
                        "empty value with a wildcard modifier on {}: it matches every value",
                        item.label()
                    ),
                ));
            }
        }
    }
}
