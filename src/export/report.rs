//! What an export did with each rule: `DIR/export-report.json` (described by
//! `schemas/export-report.schema.json`) and the per-target summary on stderr.
//!
//! Every rule a target does not carry whole is `partial` (the groups or terms left out, each
//! with a reason) or `skipped` (one reason). Reason codes are stable: scripts may match on
//! them; the sentence is for people. Each target module lists its codes in `REASONS`.

use serde::Serialize;
use std::collections::BTreeMap;

/// A stable reason code and the sentence that explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub sentence: &'static str,
}

/// Reasons shared by every target.
pub mod common {
    use super::Reason;

    pub const NEGATION: Reason = Reason {
        code: "negation",
        sentence: "the condition uses `not`, which this target cannot express",
    };
    pub const CONDITION_TOO_LARGE: Reason = Reason {
        code: "condition-too-large",
        sentence: "the condition expands to more AND-terms than an export carries",
    };
    pub const NEVER_MATCHES: Reason = Reason {
        code: "never-matches",
        sentence: "the condition can never be true (it names no existing group)",
    };
    pub const SIGMA_SOURCE: Reason = Reason {
        code: "sigma-source",
        sentence: "a Sigma rule is a log query; convert it with a Sigma backend for this target",
    };
    pub const NOTHING_EXPRESSIBLE: Reason = Reason {
        code: "nothing-expressible",
        sentence: "no part of the rule can be expressed by this target",
    };

    pub const ALL: [Reason; 5] = [
        NEGATION,
        CONDITION_TOO_LARGE,
        NEVER_MATCHES,
        SIGMA_SOURCE,
        NOTHING_EXPRESSIBLE,
    ];
}

/// One reason applied to one rule (or one part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub code: &'static str,
    /// The reason's sentence, with the particulars (group, type, value).
    pub message: String,
}

impl Skip {
    pub fn new(reason: Reason) -> Skip {
        Skip {
            code: reason.code,
            message: reason.sentence.to_string(),
        }
    }

    /// The reason with a particular: `sentence: detail`.
    pub fn with(reason: Reason, detail: impl std::fmt::Display) -> Skip {
        Skip {
            code: reason.code,
            message: format!("{}: {detail}", reason.sentence),
        }
    }
}

/// A part of a rule left out of a partial export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// The group names of the left-out AND-term (one name when a single group is left out).
    pub groups: Vec<String>,
    #[serde(flatten)]
    pub skip: Skip,
}

/// What a target did with one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Exported whole.
    Exported,
    /// Exported without the listed parts: the exported artifact matches a subset of what the
    /// rule matches (never more).
    Partial { omitted: Vec<Omitted> },
    /// Not exported.
    Skipped {
        #[serde(flatten)]
        skip: Skip,
    },
}

/// One rule's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    pub id: String,
    pub path: String,
    #[serde(flatten)]
    pub status: Status,
    /// Where the target can only approximate the reference matcher and the user asked for it
    /// (`--approximate`): what differs. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approximations: Vec<String>,
}

impl RuleOutcome {
    pub fn exported(id: &str, path: &str) -> RuleOutcome {
        RuleOutcome {
            id: id.to_string(),
            path: path.to_string(),
            status: Status::Exported,
            approximations: Vec::new(),
        }
    }

    pub fn skipped(id: &str, path: &str, skip: Skip) -> RuleOutcome {
        RuleOutcome {
            id: id.to_string(),
            path: path.to_string(),
            status: Status::Skipped { skip },
            approximations: Vec::new(),
        }
    }

    /// Exported, or partial when something was omitted.
    pub fn with_omitted(id: &str, path: &str, omitted: Vec<Omitted>) -> RuleOutcome {
        RuleOutcome {
            id: id.to_string(),
            path: path.to_string(),
            status: if omitted.is_empty() {
                Status::Exported
            } else {
                Status::Partial { omitted }
            },
            approximations: Vec::new(),
        }
    }
}

/// Counts of one target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub exported: usize,
    pub partial: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn of(rules: &[RuleOutcome]) -> Counts {
        let mut c = Counts::default();
        for r in rules {
            match r.status {
                Status::Exported => c.exported += 1,
                Status::Partial { .. } => c.partial += 1,
                Status::Skipped { .. } => c.skipped += 1,
            }
        }
        c
    }
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Relative to the output folder (`yara/ruleforge.yar`).
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl FileEntry {
    /// The entry of `bytes` written at `path`.
    pub fn of(path: String, bytes: &[u8]) -> FileEntry {
        use sha2::{Digest, Sha256};
        FileEntry {
            path,
            size: bytes.len() as u64,
            sha256: crate::bundle::verify::hex(&Sha256::digest(bytes)),
        }
    }
}

/// One target's part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetReport {
    pub counts: Counts,
    pub files: Vec<FileEntry>,
    /// Every rule of the export, by id.
    pub rules: Vec<RuleOutcome>,
}

/// Where the rules came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// `working-tree` or the revision as given.
    pub rev: String,
    /// The full commit id (absent for the working tree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// `export-report.json`. No time stamps: the same input gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    pub format: &'static str,
    pub format_version: u32,
    pub tool_version: &'static str,
    pub source: SourceInfo,
    pub approximate: bool,
    /// Rules read (after the bundle's status and expiry selection).
    pub rules: RuleCounts,
    pub targets: BTreeMap<String, TargetReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    pub native: usize,
    pub sigma: usize,
}

pub const REPORT_FORMAT: &str = "ruleforge-export-report";
pub const REPORT_FORMAT_VERSION: u32 = 1;
pub const REPORT_NAME: &str = "export-report.json";
pub const REPORT_SCHEMA: &str = include_str!("../../schemas/export-report.schema.json");

impl ExportReport {
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("the report serializes");
        v.push(b'\n');
        v
    }

    /// Whether any target skipped or partially exported a rule (`--strict` fails then).
    pub fn anything_left_out(&self) -> bool {
        self.targets
            .values()
            .any(|t| t.counts.skipped + t.counts.partial > 0)
    }

    /// The stderr summary: one line per target.
    pub fn summary(&self) -> String {
        let width = self.targets.keys().map(String::len).max().unwrap_or(0);
        let mut out = String::new();
        for (name, t) in &self.targets {
            let c = t.counts;
            out.push_str(&format!(
                "{name:<width$}  {} exported, {} partial, {} skipped  ({} file{})\n",
                c.exported,
                c.partial,
                c.skipped,
                t.files.len(),
                if t.files.len() == 1 { "" } else { "s" }
            ));
        }
        out
    }
}
