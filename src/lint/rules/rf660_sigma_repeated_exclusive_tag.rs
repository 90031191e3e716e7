//! RF660 `sigma-repeated-exclusive-tag`: The rule has more than one `detection.` or more than one `tlp.` tag.
//!
//! pySigma counterpart: SigmahqTagsUniqueDetectionIssue, SigmahqTagsUniqueTlpIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF660",
    name: "sigma-repeated-exclusive-tag",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "The rule has more than one `detection.` or more than one `tlp.` tag",
    explanation: "A rule belongs to one detection category (`detection.dfir`, `detection.emerging-threats` or `detection.threat-hunting`) and has one TLP label; two of either contradict each other.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for ns in ["detection.", "tlp."] {
        let tags: Vec<_> = cx
            .rule
            .tags
            .iter()
            .filter(|t| t.value.starts_with(ns))
            .collect();
        if tags.len() > 1 {
            out.push(sc::diag(
                cx,
                &RULE,
                tags[1].span,
                format!(
                    "more than one `{ns}` tag: {}",
                    tags.iter()
                        .map(|t| t.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}
