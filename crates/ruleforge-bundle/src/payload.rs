//! The payload members, as typed values: `rules.json` (native rules, compiled and
//! normalized) and `sigma.json` (Sigma documents as JSON). Their JSON schemas are
//! `schemas/bundle-rules.schema.json` and `schemas/bundle-sigma.schema.json` in the ruleforge
//! repository; `docs/bundle-format.md` says how a scanner matches each field.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `rules.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Same as the manifest's `format_version`.
    pub format_version: u32,
    /// Every indicator type of the format: how its values match and which ECS fields they
    /// are matched against. Keyed by type name.
    pub types: BTreeMap<String, TypeInfo>,
    /// The rules, sorted by id.
    pub rules: Vec<CompiledRule>,
}

/// How a scanner matches one indicator type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeInfo {
    /// `exact_hex`, `glob_case_insensitive`, `glob_case_sensitive`, `url`, `domain`, `cidr`
    /// or `email` (docs/bundle-format.md defines each).
    pub matching: String,
    /// Whether values of this type may be `regex:<pattern>`.
    pub regex_allowed: bool,
    /// ECS fields an event value is taken from.
    pub ecs_fields: Vec<String>,
}

/// One rule, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompiledRule {
    pub id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub confidence: Option<String>,
    pub tlp: Option<String>,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
    /// In the order the rule lists them.
    pub references: Vec<String>,
    /// `YYYY-MM-DD` or null.
    pub expires: Option<String>,
    /// The condition in canonical form (`1 of them` when the rule has none).
    pub condition: String,
    /// group name → indicator type → sorted canonical values (`regex:` values kept as written).
    pub groups: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// The `sigma.json` document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaSet {
    /// Same as the manifest's `format_version`.
    pub format_version: u32,
    /// The documents, sorted by id.
    pub rules: Vec<SigmaEntry>,
}

/// One Sigma document, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaEntry {
    pub id: String,
    /// `rule`, `correlation` or `filter`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The document's `name` (what correlation rules and filters may refer to it by).
    pub name: Option<String>,
    pub title: String,
    /// `stable`, `test`, `experimental`, `deprecated`, `unsupported`, or null (filters and
    /// other documents without a status).
    pub status: Option<String>,
    /// `informational`, `low`, `medium`, `high`, `critical`, or null.
    pub level: Option<String>,
    /// The whole document as JSON: YAML 1.1 typing, keys sorted.
    pub document: serde_json::Value,
}
