//! RF102 `modified-before-created`: `modified` is earlier than `created`.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF102",
    name: "modified-before-created",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "`modified` is earlier than `created`",
    explanation: "`modified` records the last change and can never precede `created`. An inverted pair usually means the two dates were swapped or a copied rule kept its old `created`. Fix the dates; the diff policy checks also rely on `modified` moving forward.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(c), Some(m)) = (&cx.rule.created, &cx.rule.modified) else {
        return;
    };
    if let (Some(cd), Some(md)) = (parse_date(&c.value), parse_date(&m.value)) {
        if md < cd {
            out.push(RULE.diagnostic(
                cx.path,
                Some(m.span),
                format!("`modified` ({}) is before `created` ({})", m.value, c.value),
            ));
        }
    }
}
