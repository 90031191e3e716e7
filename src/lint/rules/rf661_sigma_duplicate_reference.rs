//! RF661 `sigma-duplicate-reference`: The same reference appears twice.
//!
//! pySigma counterpart: DuplicateReferencesIssue (duplicate_references).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF661",
    name: "sigma-duplicate-reference",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The same reference appears twice",
    explanation: "A repeated reference adds nothing; it is usually a copy-paste slip that hides the link that was meant. Remove the duplicate.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let refs = &cx.rule.references;
    for (i, r) in refs.iter().enumerate() {
        if let Some(first) = refs[..i].iter().find(|p| p.value == r.value) {
            out.push(
                sc::diag(
                    cx,
                    &RULE,
                    r.span,
                    format!("reference `{}` is listed twice", r.value),
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
