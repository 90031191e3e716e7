//! RF650 `sigma-misspelt-key`: A top-level key is a misspelling of a Sigma key.
//!
//! pySigma counterpart: CustomAttributesIssue (custom_attributes).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF650",
    name: "sigma-misspelt-key",
    severity: Severity::Warning,
    category: Category::Structure,
    summary: "A top-level key is a misspelling of a Sigma key",
    explanation: "Sigma allows custom top-level keys, so a misspelt `related` or `references` is silently kept as a custom attribute and the links it holds are lost. Spell the key as the specification does.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const TYPOS: &[(&str, &str)] = &[
    ("realted", "related"),
    ("relatde", "related"),
    ("relted", "related"),
    ("rlated", "related"),
    ("reference", "references"),
];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for k in &cx.rule.custom_keys {
        if let Some((_, good)) = TYPOS.iter().find(|(bad, _)| *bad == k.value) {
            out.push(sc::diag(
                cx,
                &RULE,
                k.span,
                format!("`{}` is not a Sigma key: did you mean `{good}`?", k.value),
            ));
        }
    }
}
