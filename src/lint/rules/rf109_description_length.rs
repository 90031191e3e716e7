//! RF109 `description-length`: The description is too short to be useful.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF109",
    name: "description-length",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The description is too short to be useful",
    explanation: "The description is what an analyst reads when the rule fires at 3 a.m.: what was seen, by whom, and why it matters. Under 40 characters it cannot say that. Describe the activity, the actor or malware and the evidence behind the values.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = &cx.rule.description else {
        return;
    };
    let n = d.value.trim().chars().count();
    if n < 40 {
        out.push(RULE.diagnostic(
            cx.path,
            Some(d.span),
            format!("description is {n} characters long: write at least 40"),
        ));
    }
}
