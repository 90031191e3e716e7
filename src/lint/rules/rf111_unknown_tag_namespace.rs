//! RF111 `unknown-tag-namespace`: A tag is outside the known namespaces.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF111",
    name: "unknown-tag-namespace",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A tag is outside the known namespaces",
    explanation: "Tags are namespaced so that tools can filter on them: `attack.*` (MITRE ATT&CK techniques, tactics, groups, software), `cve.*`, `actor.*`, `malware.*`, `campaign.*`, `tool.*` and `tlp.*`. A tag in another namespace (or with none) is usually a typo and will not be found by those filters.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    const NAMESPACES: [&str; 7] = [
        "attack", "cve", "actor", "malware", "campaign", "tool", "tlp",
    ];
    for t in &cx.rule.tags {
        let ns = t.value.split('.').next().unwrap_or("");
        if !NAMESPACES.contains(&ns) || !t.value.contains('.') {
            out.push(RULE.diagnostic(
                cx.path,
                Some(t.span),
                format!(
                    "tag `{}` is not in a known namespace ({})",
                    t.value,
                    NAMESPACES.join(", ")
                ),
            ));
        }
    }
}
