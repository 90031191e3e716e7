//! RF625 `sigma-dangling-backslash`: A value ends with an odd run of backslashes after escaped ones.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF625",
    name: "sigma-dangling-backslash",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "A value ends with an odd run of backslashes after escaped ones",
    explanation: "In Sigma strings `\\\\` is one literal backslash and a lone backslash before an ordinary character stands for itself, so a value ending in three backslashes (`C:\\\\\\`) mixes both conventions: it means two backslashes, not the one or three the author may have intended. Write backslashes consistently (doubled only before wildcards).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        if !sc::plain_string_item(item) {
            continue;
        }
        let run = v.raw.len() - v.raw.trim_end_matches('\\').len();
        if run >= 3 && run % 2 == 1 {
            out.push(sc::diag(
                cx,
                &RULE,
                sc::span_in(cx, &v.spanned(), v.raw.len() - run, run),
                format!(
                    "the value of {} ends with {run} backslashes, which Sigma reads as {}",
                    item.label(),
                    run / 2 + 1
                ),
            ));
        }
    }
}
