//! RF623 `sigma-wildcard-only-value`: A value consists only of wildcards.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF623",
    name: "sigma-wildcard-only-value",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A value consists only of wildcards",
    explanation: "A value such as `*` matches any value of the field, so the selection only tests that the field is present, and expensively. Say that with `Field|exists: true`, or write the value you meant.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        if !sc::plain_string_item(item) || v.raw.is_empty() {
            continue;
        }
        // Only `*` wildcards: any other character, or a backslash escaping a `*`, is
        // literal text.
        if v.raw.bytes().all(|c| c == b'*') {
            out.push(sc::diag(
                cx,
                &RULE,
                v.span,
                format!(
                    "the value of {} is only wildcards: use `|exists: true`",
                    item.label()
                ),
            ));
        }
    }
}
