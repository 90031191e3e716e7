//! RF005 `empty-file`: The file holds no rule.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF005",
    name: "empty-file",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The file holds no rule",
    explanation: "An empty file (or one with only comments) under a rule root is almost always a mistake: an aborted `ruleforge new`, a merge gone wrong. Delete it or write the rule.",
    fixable: false,
    default_enabled: true,
};
