//! RF626 `sigma-double-wildcard`: A value contains consecutive `*` wildcards.
//!
//! pySigma counterpart: DoubleWildcardIssue (double_wildcard).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF626",
    name: "sigma-double-wildcard",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A value contains consecutive `*` wildcards",
    explanation: "`**` matches the same as `*` but costs more in some backends, and often hides a slip (a value glued to a `contains` that already adds wildcards). Use a single `*`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        // Cheap reject: no `**` in the raw text, no consecutive wildcards.
        if !v.raw.contains("**") || !sc::plain_string_item(item) {
            continue;
        }
        let parts = crate::sigma::string_parts(&v.raw);
        if parts
            .windows(2)
            .any(|w| w[0] == Err('*') && w[1] == Err('*'))
        {
            let at = v.raw.find("**").unwrap_or(0);
            out.push(sc::diag(
                cx,
                &RULE,
                sc::span_in(cx, &v.spanned(), at, 2),
                format!("consecutive `*` wildcards in the value of {}", item.label()),
            ));
        }
    }
}
