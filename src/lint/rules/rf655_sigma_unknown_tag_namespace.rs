//! RF655 `sigma-unknown-tag-namespace`: A tag is outside the Sigma tag namespaces.
//!
//! pySigma counterpart: InvalidNamespaceTagIssue (namespace_tag).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF655",
    name: "sigma-unknown-tag-namespace",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A tag is outside the Sigma tag namespaces",
    explanation: "Sigma tags are namespaced: `attack`, `car`, `cve`, `d3fend`, `detection`, `stp`, `tlp`. Other namespaces are not understood by Sigma tooling (ATT&CK navigators, SIEM importers). Use a known namespace, or a custom top-level key for private metadata.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const NAMESPACES: &[&str] = &["attack", "car", "cve", "d3fend", "detection", "stp", "tlp"];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        let ns = t.value.split('.').next().unwrap_or_default();
        if !NAMESPACES.contains(&ns) {
            out.push(sc::diag(
                cx,
                &RULE,
                t.span,
                format!(
                    "tag `{}` has the namespace `{ns}`, not one of {}",
                    t.value,
                    NAMESPACES.join(", ")
                ),
            ));
        }
    }
}
