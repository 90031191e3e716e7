//! RF107 `title-trailing-period`: The title ends with a period.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF107",
    name: "title-trailing-period",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The title ends with a period",
    explanation: "Titles are labels, not sentences: they are shown in lists and joined with other text. A trailing period looks wrong in those places. The safe fix removes it.",
    fixable: true,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(t) = &cx.rule.title else { return };
    if t.value.ends_with('.') && !t.value.ends_with("..") {
        let fixed = t.value.trim_end_matches('.').to_string();
        let d = RULE.diagnostic(cx.path, Some(t.span), "title ends with a period");
        out.push(with_value_fix(
            cx,
            d,
            t.span,
            &fixed,
            "Remove the trailing period",
        ));
    }
}
