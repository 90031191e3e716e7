//! RF002 `duplicate-key`: A mapping has the same key twice.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF002",
    name: "duplicate-key",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "A mapping has the same key twice",
    explanation: "YAML parsers disagree about duplicate keys: some keep the first value, some the last, some fail. A rule whose meaning depends on the parser is a rule that silently does something else in a scanner, so ruleforge rejects duplicate keys outright and names both places. Merge the two entries into one.",
    fixable: false,
    default_enabled: true,
};
