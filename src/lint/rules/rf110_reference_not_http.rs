//! RF110 `reference-not-http`: A reference is not an http(s) URL.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF110",
    name: "reference-not-http",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "A reference is not an http(s) URL",
    explanation: "`references` lists the public reports the rule's values come from, so reviewers can check them. Each must be an absolute `http` or `https` URL. Defanged links (`hxxp://`), bare domains and free text belong in `description`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for r in &cx.rule.references {
        let ok = url::Url::parse(&r.value)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            out.push(RULE.diagnostic(
                cx.path,
                Some(r.span),
                format!("reference `{}` is not an http(s) URL", r.value),
            ));
        }
    }
}
