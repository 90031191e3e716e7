//! RF001 `yaml-syntax-error`: The file is not valid YAML.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF001",
    name: "yaml-syntax-error",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The file is not valid YAML",
    explanation: "A rule file must parse as YAML 1.2. The diagnostic points at the place where the parser gave up, which is usually at or just after the real mistake: an unclosed quote or bracket, a key without a colon, or inconsistent indentation. Nothing else is checked in a file that does not parse; the other files are still linted.",
    fixable: false,
    default_enabled: true,
};
