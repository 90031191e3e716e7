//! RF627 `sigma-number-as-string`: A number is written as a quoted string.
//!
//! pySigma counterpart: NumberAsStringIssue (number_as_string).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF627",
    name: "sigma-number-as-string",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A number is written as a quoted string",
    explanation: "Quoting a number (`EventID: '4688'`) makes it a string: backends then compare text instead of numbers, which misses `04688` or breaks on numeric fields. Write the number unquoted.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        if !sc::plain_string_item(item)
            || item.modifiers.iter().any(|m| {
                matches!(
                    m.value.as_str(),
                    "contains"
                        | "startswith"
                        | "endswith"
                        | "windash"
                        | "base64"
                        | "base64offset"
                        | "wide"
                        | "utf16"
                        | "utf16be"
                        | "expand"
                )
            })
        {
            continue;
        }
        let digits = v.raw.strip_prefix(['-', '+']).unwrap_or(&v.raw);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.push(sc::diag(
                cx,
                &RULE,
                v.span,
                format!(
                    "`{}` for {} is a number written as a string: drop the quotes",
                    v.raw,
                    item.label()
                ),
            ));
        }
    }
}
