//! `manifest.json`: the bundle's table of contents.

use crate::payload::SigmaSet;
use crate::SIGMA_NAME;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `ruleforge-bundle`.
    pub format: String,
    pub format_version: u32,
    pub name: String,
    /// The commit time in UTC as the integer `YYYYMMDDHHMMSS`: grows with every later commit,
    /// identical for rebuilds of the same commit.
    pub version: u64,
    /// Full hex id of the source commit.
    pub commit: String,
    /// The commit (committer) time, RFC 3339 UTC.
    pub created: String,
    /// `created` + `bundle.validity-days`, RFC 3339 UTC.
    pub expires: String,
    /// Version of the ruleforge that built the bundle.
    pub tool_version: String,
    /// Every member but the manifest.
    pub files: Vec<FileEntry>,
    /// Native rule counts (`rules.json`).
    pub counts: Counts,
    /// The rules by kind: which member holds each kind, and how many (format version 2 on;
    /// `None` in version 1 bundles, which hold native rules only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RulesByKind>,
}

/// The manifest's `rules`: one entry per rule kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesByKind {
    pub native: KindEntry,
    pub sigma: SigmaKindEntry,
}

/// Native rules in the manifest (their detailed counts are `counts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindEntry {
    /// The member holding them (`rules.json`).
    pub member: String,
    pub count: u64,
}

/// Sigma documents in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaKindEntry {
    /// The member holding them (`sigma.json`).
    pub member: String,
    /// Documents of every type (rules, correlation rules, filters).
    pub count: u64,
    /// `rule`, `correlation`, `filter` → count.
    pub by_type: BTreeMap<String, u64>,
    /// Documents with a status, by status.
    pub by_status: BTreeMap<String, u64>,
    /// Documents with a level, by level.
    pub by_level: BTreeMap<String, u64>,
}

impl SigmaKindEntry {
    pub fn of(set: &SigmaSet) -> SigmaKindEntry {
        let mut e = SigmaKindEntry {
            member: SIGMA_NAME.to_string(),
            ..Default::default()
        };
        for d in &set.rules {
            e.count += 1;
            *e.by_type.entry(d.doc_type.clone()).or_default() += 1;
            if let Some(s) = &d.status {
                *e.by_status.entry(s.clone()).or_default() += 1;
            }
            if let Some(l) = &d.level {
                *e.by_level.entry(l.clone()).or_default() += 1;
            }
        }
        e
    }
}

impl SigmaKindEntry {
    /// `rule 2, correlation 1` (for messages).
    pub fn by_type_text(&self) -> String {
        if self.by_type.is_empty() {
            return "none".into();
        }
        self.by_type
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Manifest {
    /// Native rules in the bundle.
    pub fn native_count(&self) -> u64 {
        self.counts.rules
    }
    /// Sigma documents in the bundle (0 in a version 1 bundle).
    pub fn sigma_count(&self) -> u64 {
        self.rules.as_ref().map_or(0, |r| r.sigma.count)
    }
    /// "2 native rules, 3 Sigma rules": the per-kind summary of the CLI.
    pub fn kinds_summary(&self) -> String {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let (n, s) = (self.native_count(), self.sigma_count());
        format!("{n} native rule{}, {s} Sigma rule{}", plural(n), plural(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the member's bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub rules: u64,
    /// Distinct values per (rule, group, type), summed.
    pub indicators: u64,
    pub rules_by_status: BTreeMap<String, u64>,
    pub rules_by_severity: BTreeMap<String, u64>,
    pub indicators_by_type: BTreeMap<String, u64>,
}
