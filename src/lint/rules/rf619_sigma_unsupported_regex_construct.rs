//! RF619 `sigma-unsupported-regex-construct`: A regular expression uses look-around or an atomic group.
//!
//! pySigma counterpart: SigmahqUnsupportedRegexGroupConstructIssue (sigmahq_unsupported_regex_group_construct).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF619",
    name: "sigma-unsupported-regex-construct",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A regular expression uses look-around or an atomic group",
    explanation: "Many SIEM query languages cannot express look-ahead `(?=`, `(?!`, look-behind `(?<=`, `(?<!` or atomic groups `(?>`: backends reject or mistranslate such rules. Rewrite the expression without them (often with a second selection and `and not`).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const CONSTRUCTS: &[&str] = &["(?=", "(?!", "(?<=", "(?<!", "(?>"];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if !item.has("re") {
            continue;
        }
        for v in &item.values {
            if let Some(c) = CONSTRUCTS.iter().find(|c| v.raw.contains(*c)) {
                let at = v.raw.find(c).unwrap_or(0);
                out.push(sc::diag(
                    cx,
                    &RULE,
                    sc::span_in(cx, &v.spanned(), at, c.len()),
                    format!("regular expression for {} uses `{c}`, which many backends cannot translate", item.label()),
                ));
            }
        }
    }
}
