//! RF648 `sigma-title-style`: The title is longer than 120 characters, starts with `Detect(s)` or ends with a period.
//!
//! pySigma counterpart: SigmahqTitleLengthIssue, SigmahqTitleStartIssue, SigmahqTitleEndIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF648",
    name: "sigma-title-style",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The title is longer than 120 characters, starts with `Detect(s)` or ends with a period",
    explanation: "Titles are shown in alert lists: SigmaHQ keeps them under 120 characters, without the redundant \"Detects\" prefix (every rule detects) and without a trailing period.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(t) = &cx.rule.title else { return };
    let n = t.value.chars().count();
    if n > 120 {
        out.push(sc::diag(
            cx,
            &RULE,
            t.span,
            format!("the title has {n} characters, over 120"),
        ));
    }
    if t.value.starts_with("Detect ") || t.value.starts_with("Detects ") {
        out.push(sc::diag(
            cx,
            &RULE,
            t.span,
            "the title starts with \"Detect(s)\": say what is detected",
        ));
    }
    if t.value.ends_with('.') {
        out.push(sc::diag(cx, &RULE, t.span, "the title ends with a period"));
    }
}
