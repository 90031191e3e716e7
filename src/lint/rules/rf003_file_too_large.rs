//! RF003 `file-too-large`: The file is larger than the configured limit.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF003",
    name: "file-too-large",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The file is larger than the configured limit",
    explanation: "A rule file over `lint.max-file-size` (1 MiB by default) is rejected without being read whole, so a stray data dump or a generated file cannot stall linting or exhaust memory. Split very large indicator lists into several rules, or raise the limit in `ruleforge.toml` if the file is legitimate.",
    fixable: false,
    default_enabled: true,
};
