//! RF004 `invalid-utf8`: The file is not valid UTF-8.
//!
//! Reported by the loader (src/load.rs, src/yaml.rs); this file declares the rule.

use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF004",
    name: "invalid-utf8",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The file is not valid UTF-8",
    explanation: "Rule files are UTF-8 text. A file in another encoding (UTF-16 from a Windows editor, Latin-1) or with binary content would be decoded differently by every consumer. The diagnostic points at the first invalid byte; re-save the file as UTF-8.",
    fixable: false,
    default_enabled: true,
};
