//! RF106 `title-length`: The title is shorter than 10 or longer than 120 characters.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF106",
    name: "title-length",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The title is shorter than 10 or longer than 120 characters",
    explanation: "Titles appear in alert lists, changelogs and pull-request summaries. Under 10 characters they say nothing; over 120 they are truncated everywhere. Say what is detected in one line and move details to `description`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(t) = &cx.rule.title else { return };
    let n = t.value.chars().count();
    if n < 10 {
        out.push(RULE.diagnostic(
            cx.path,
            Some(t.span),
            format!("title is {n} characters long: use at least 10"),
        ));
    } else if n > 120 {
        out.push(RULE.diagnostic(
            cx.path,
            Some(t.span),
            format!("title is {n} characters long: keep it within 120"),
        ));
    }
}
