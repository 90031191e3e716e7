//! RF661 `sigma-duplicate-reference`: The same reference appears twice.
//!
//! pySigma counterpart: DuplicateReferencesIssue (duplicate_references).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF661",
    name: "sigma-duplicate-reference",
    severity: Severity::Warning,
    summary: "The same reference appears twice",
    explanation: "A repeated reference adds nothing; it is usually a copy-paste slip that hides the link that was meant. Remove the duplicate.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for r in &cx.rule.references {
        if let Some(first) = seen.get(r.value.as_str()) {
            out.push(
                sc::diag(
                    cx,
                    &RULE,
                    r.span,
                    format!("reference `{}` is listed twice", r.value),
                )
                .with_related(Related {
                    path: cx.path.to_string(),
                    span: Some(*first),
                    message: "first listed here".into(),
                }),
            );
        } else {
            seen.insert(&r.value, r.span);
        }
    }
}
