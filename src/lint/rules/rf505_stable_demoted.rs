//! RF505 `stable-demoted`: A stable rule was demoted without explanation.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF505",
    name: "stable-demoted",
    severity: Severity::Error,
    category: Category::Policy,
    summary: "A stable rule was demoted to `test` or `experimental` without explanation",
    explanation: "Scanners and bundle configurations often trust only stable rules, so demoting one silently drops it from their view. Compared with the base revision, this rule went from `stable` to `test` or `experimental`. The demotion counts as explained when the same change moves `modified` forward and edits `description` to say why (e.g. false positives seen in the field). Otherwise write the reason and bump the date, or acknowledge it on the status line with `# ruleforge: ignore[RF505]`. Deprecation (`status: deprecated`) is not a demotion.",
    fixable: false,
    default_enabled: true,
};
