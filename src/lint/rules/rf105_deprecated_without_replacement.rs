//! RF105 `deprecated-without-replacement`: A deprecated rule names no replacement in `related`.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF105",
    name: "deprecated-without-replacement",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A deprecated rule names no replacement in `related`",
    explanation: "When a rule is deprecated, the people and scanners relying on it need to know what covers the threat now. Add a `related` entry pointing at the replacement (for example `{id: <new rule id>, type: supersedes}` on the new rule and a link back here), or explain in `description` why nothing replaces it and suppress this finding.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    if cx.rule.is_deprecated() && cx.rule.related.is_empty() {
        let span = cx.rule.status.as_ref().map(|s| s.span);
        out.push(RULE.diagnostic(
            cx.path,
            span,
            "deprecated rule has no `related` entry naming its replacement",
        ));
    }
}
