//! RF600 `sigma-schema-violation`: The Sigma document does not match the official Sigma JSON Schema.
//!
//! pySigma counterpart: SigmaHQ CI JSON-Schema validation (sigma-rules-validator); pySigma rule errors (SigmaTitleError, SigmaLevelError, SigmaStatusError, SigmaDateError, SigmaRelatedError, SigmaLogsourceError, InvalidTagFormatIssue).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF600",
    name: "sigma-schema-violation",
    severity: Severity::Error,
    category: Category::Structure,
    summary: "The Sigma document does not match the official Sigma JSON Schema",
    explanation: "Sigma rules, correlation rules and filters are validated against the official Sigma JSON Schemas (vendored in `schemas/sigma/`, the version SigmaHQ CI pins): required keys (`title`, `logsource`, `detection`, `condition`), value types, allowed `status`, `level` and `related` types, date and tag patterns. Each violation points at the offending key or value. Fix the document; editors can use the same schema for completion.",
    fixable: false,
    default_enabled: true,
};
