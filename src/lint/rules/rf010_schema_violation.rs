//! RF010 `schema-violation`: The rule does not match the rule schema.
//!
//! Reported by the schema validation (src/schema.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF010",
    name: "schema-violation",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The rule does not match the rule schema",
    explanation: "`schemas/rule.schema.json` (JSON Schema 2020-12) is the single source of the rule structure: required keys, allowed keys, value types and enumerations. Every violation is reported at the offending node with the field and what was expected. Unknown keys are errors because a misspelt optional key (`refrences`) would otherwise be silently ignored.",
    fixable: false,
    default_enabled: true,
};
