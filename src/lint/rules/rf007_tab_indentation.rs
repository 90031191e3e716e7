//! RF007 `tab-indentation`: A tab character is used for indentation.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF007",
    name: "tab-indentation",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "A tab character is used for indentation",
    explanation: "YAML forbids tabs in indentation, and editors display them at different widths, so the structure a reader sees is not the structure the parser sees. Indent with spaces (two per level in the canonical layout).",
    fixable: false,
    default_enabled: true,
};
