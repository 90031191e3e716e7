//! RF103 `date-in-future`: `created` or `modified` is in the future.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF103",
    name: "date-in-future",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "`created` or `modified` is in the future",
    explanation: "A rule cannot have been written or changed after today. A future date is a typo (a wrong year) and breaks ordering in diffs and changelogs. Use today's date (`ruleforge new` fills it in).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (key, d) in [
        ("created", &cx.rule.created),
        ("modified", &cx.rule.modified),
    ] {
        let Some(d) = d else { continue };
        if let Some(date) = parse_date(&d.value) {
            if date > cx.today {
                out.push(RULE.diagnostic(
                    cx.path,
                    Some(d.span),
                    format!(
                        "`{key}` ({}) is in the future (today is {})",
                        d.value, cx.today
                    ),
                ));
            }
        }
    }
}
