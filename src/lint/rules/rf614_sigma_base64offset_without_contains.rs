//! RF614 `sigma-base64offset-without-contains`: The `base64offset` modifier is used without `contains`.
//!
//! pySigma counterpart: Base64OffsetWithoutContainsModifierIssue (invalid_modifier_combinations).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF614",
    name: "sigma-base64offset-without-contains",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "The `base64offset` modifier is used without `contains`",
    explanation: "`base64offset` produces the three base64 encodings of a value at each byte offset; they only occur inside a longer encoded string, so they must be matched with `contains`. Write `field|base64offset|contains`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.has("base64offset") && !item.has("contains") {
            let m = item
                .modifiers
                .iter()
                .find(|m| m.value == "base64offset")
                .expect("has base64offset");
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                format!(
                    "`base64offset` without `contains` on {}: add `|contains`",
                    item.label()
                ),
            ));
        }
    }
}
