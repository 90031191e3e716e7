//! RF624 `sigma-escaped-wildcard`: A value contains an escaped wildcard.
//!
//! pySigma counterpart: EscapedWildcardIssue (escaped_wildcard).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF624",
    name: "sigma-escaped-wildcard",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A value contains an escaped wildcard",
    explanation: "In Sigma strings `\\*` and `\\?` are a literal asterisk and question mark. Often the backslash was meant as a path separator before a wildcard (`C:\\Temp\\*`), which then silently matches a literal `*`. Write `\\\\*` for a backslash followed by a wildcard; keep `\\*` only when a literal asterisk is meant (and suppress this finding there).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        if !sc::plain_string_item(item) {
            continue;
        }
        if let Some(at) = escaped_wildcard(&v.raw) {
            out.push(sc::diag(
                cx,
                &RULE,
                sc::span_in(cx, &v.spanned(), at, 2),
                format!(
                    "`{}` in the value of {} is a literal `{}`, not a wildcard: write `\\\\{}` for a backslash followed by a wildcard",
                    &v.raw[at..at + 2],
                    item.label(),
                    &v.raw[at + 1..at + 2],
                    &v.raw[at + 1..at + 2]
                ),
            ));
        }
    }
}

/// Byte offset of the first escaped wildcard (`\*` or `\?` after an even run of backslashes).
pub fn escaped_wildcard(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\\' {
            run += 1;
            continue;
        }
        if (c == b'*' || c == b'?') && run % 2 == 1 {
            return Some(i - 1);
        }
        run = 0;
    }
    None
}
