//! RF659 `sigma-duplicate-tag`: The same tag appears twice.
//!
//! pySigma counterpart: DuplicateTagIssue (duplicate_tag).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF659",
    name: "sigma-duplicate-tag",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The same tag appears twice",
    explanation: "A repeated tag adds nothing and is usually a copy-paste slip, sometimes hiding the tag that was meant. Remove the duplicate.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let tags = &cx.rule.tags;
    for (i, t) in tags.iter().enumerate() {
        if let Some(first) = tags[..i].iter().find(|p| p.value == t.value) {
            out.push(
                sc::diag(
                    cx,
                    &RULE,
                    t.span,
                    format!("tag `{}` is listed twice", t.value),
                )
                .with_related(Related {
                    path: cx.path.to_string(),
                    span: Some(first.span),
                    message: "first listed here".into(),
                }),
            );
        }
    }
}
