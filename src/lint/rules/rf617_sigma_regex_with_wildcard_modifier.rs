//! RF617 `sigma-regex-with-wildcard-modifier`: A regular expression is combined with `contains`, `startswith` or `endswith`.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF617",
    name: "sigma-regex-with-wildcard-modifier",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A regular expression is combined with `contains`, `startswith` or `endswith`",
    explanation: "A `re` value is a regular expression: `contains`, `startswith` and `endswith` only pad it with `.*`, which backends handle inconsistently and readers misread as wildcard matching. Say it in the expression itself (`^...`, `...$`, or no anchor) and drop the extra modifier.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if !item.has("re") {
            continue;
        }
        for m in &item.modifiers {
            if matches!(m.value.as_str(), "contains" | "startswith" | "endswith") {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    m.span,
                    format!(
                        "`{}` on the regular expression of {}: anchor the expression instead",
                        m.value,
                        item.label()
                    ),
                ));
            }
        }
    }
}
