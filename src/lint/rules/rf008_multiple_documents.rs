//! RF008 `multiple-documents`: The file holds more than one YAML document.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF008",
    name: "multiple-documents",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The file holds more than one YAML document",
    explanation: "A rule file holds exactly one rule. A second document (after `---`) would be ignored by some tools and read by others. Move each rule into its own file.",
    fixable: false,
    default_enabled: true,
};
