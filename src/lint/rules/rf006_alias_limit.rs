//! RF006 `alias-limit-exceeded`: YAML aliases expand the document beyond the node limit.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF006",
    name: "alias-limit-exceeded",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "YAML aliases expand the document beyond the node limit",
    explanation: "YAML anchors and aliases let a small file expand into an enormous document (the 'billion laughs' attack). ruleforge expands aliases against a budget of nodes per document and rejects the file as soon as the budget is exceeded, in milliseconds and with little memory. Rules never need deep alias nesting: write the values out.",
    fixable: false,
    default_enabled: true,
};
