//! RF649 `sigma-description-style`: The description is shorter than 16 characters, or holds a link while `references` is empty.
//!
//! pySigma counterpart: SigmahqDescriptionLengthIssue, SigmahqLinkInDescriptionIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF649",
    name: "sigma-description-style",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The description is shorter than 16 characters, or holds a link while `references` is empty",
    explanation: "The description explains what the rule detects and why it matters: a few words are not enough. Links belong in `references`, where tools find them.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = &cx.rule.description else {
        return;
    };
    if d.value.chars().count() < 16 {
        out.push(sc::diag(
            cx,
            &RULE,
            d.span,
            "the description is shorter than 16 characters",
        ));
    }
    if cx.rule.references.is_empty() {
        let lower = d.value.to_lowercase();
        if let Some(w) = ["http://", "https://", "internal research"]
            .iter()
            .find(|w| lower.contains(*w))
        {
            out.push(sc::diag(
                cx,
                &RULE,
                d.span,
                format!(
                    "the description contains `{w}` but `references` is empty: move links there"
                ),
            ));
        }
    }
}
