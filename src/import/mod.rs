//! `ruleforge import`: rules from STIX 2.1 bundles, MISP events and plain indicator lists.
//!
//! Each format is one module of the same shape: what it can express, how it maps onto an
//! indicator [`expr::Expr`] and rule metadata (a [`Draft`]), and why it drops a value or
//! refuses a source object (a typed enum with stable codes). Everything after that is shared:
//!
//! 1. [`hygiene`]: values refanged and put in canonical form (`crate::indicator`), known-benign
//!    values (`crate::benign`) dropped unless `keep_benign`, duplicates removed;
//! 2. [`plan`]: a deterministic id per source object (UUIDv5 in [`ID_NAMESPACE`]), the file it
//!    goes to (the file that already holds that id, else a new one), the rule text in the
//!    canonical `fmt` layout (`crate::format`), then the lint engine as the judge: a value a
//!    lint rule rejects is dropped with the rule's message, a value another rule already
//!    ships (RF402, run by the registry's own check) is dropped and reported, and a rule that
//!    still has an error-level finding is refused — import never writes a rule that fails
//!    `ruleforge lint`;
//! 3. [`plan::write`]: each file written atomically; an unchanged rule is not rewritten; a rule
//!    edited by hand since it was imported is left alone unless `force` (see [`plan`] for how
//!    an edit is detected).

pub mod expr;
pub mod hygiene;
pub mod misp;
pub mod plan;
pub mod report;
pub mod stix;
pub mod text;

use crate::indicator::IndicatorType;
use std::path::{Path, PathBuf};
use time::Date;

/// The namespace of the UUIDv5 rule ids import derives from source ids (docs/import.md).
pub const ID_NAMESPACE: uuid::Uuid = uuid::uuid!("5bc659b5-f399-4c17-a9f9-22138a26aa19");

/// Files larger than this are refused without being read whole.
pub const MAX_INPUT_SIZE: u64 = 256 * 1024 * 1024;

/// The source formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Stix,
    Misp,
    Text,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Stix => "stix",
            Format::Misp => "misp",
            Format::Text => "text",
        }
    }

    /// What one source object of the format is called.
    pub fn label(self) -> &'static str {
        match self {
            Format::Stix => "STIX 2.1 indicator",
            Format::Misp => "MISP event",
            Format::Text => "text file",
        }
    }
}

/// Where a draft comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub format: Format,
    /// The input file, as given.
    pub file: String,
    /// The object's own id (`indicator--…`, a MISP event uuid, the text file's name): the rule
    /// id is derived from it.
    pub id: String,
    /// A human name (an indicator's `name`, an event's `info`).
    pub name: Option<String>,
}

impl SourceRef {
    /// The rule id: UUIDv5 of `<format>:<id>` in [`ID_NAMESPACE`].
    pub fn rule_id(&self) -> String {
        uuid::Uuid::new_v5(
            &ID_NAMESPACE,
            format!("{}:{}", self.format.name(), self.id).as_bytes(),
        )
        .to_string()
    }
}

/// Why a value was not imported, or a source object refused: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

/// A value left out, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dropped {
    /// The indicator type, when the value had one.
    #[serde(rename = "type")]
    pub ty: Option<&'static str>,
    pub value: String,
    #[serde(flatten)]
    pub reason: Reason,
}

/// A rule to write, as a format maps it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub source: SourceRef,
    pub title: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub created: Option<Date>,
    pub modified: Option<Date>,
    pub expires: Option<Date>,
    /// `low`, `medium`, `high`.
    pub confidence: Option<&'static str>,
    /// `clear`, `green`, `amber`, `amber+strict`, `red`.
    pub tlp: Option<&'static str>,
    /// `info` … `critical`, when the source says.
    pub severity: Option<&'static str>,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub expr: expr::Expr,
    /// Values the format left out.
    pub dropped: Vec<Dropped>,
    /// Values kept with a remark.
    pub notes: Vec<Dropped>,
}

impl Draft {
    pub fn new(source: SourceRef, expr: expr::Expr) -> Self {
        Draft {
            source,
            title: None,
            description: None,
            author: None,
            created: None,
            modified: None,
            expires: None,
            confidence: None,
            tlp: None,
            severity: None,
            references: Vec::new(),
            tags: Vec::new(),
            expr,
            dropped: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn drop_value(&mut self, ty: Option<IndicatorType>, value: &str, reason: Reason) {
        self.dropped.push(Dropped {
            ty: ty.map(IndicatorType::name),
            value: value.to_string(),
            reason,
        });
    }
}

/// A source object that becomes no rule.
#[derive(Debug, Clone)]
pub struct Refused {
    pub source: SourceRef,
    pub reason: Reason,
    /// Values left out before the object was refused.
    pub dropped: Vec<Dropped>,
}

/// What a format makes of one source object.
#[derive(Debug, Clone)]
pub enum Item {
    Draft(Box<Draft>),
    Refused(Refused),
}

/// A failure that stops the import (exit code 2): nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input file cannot be read.
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    /// An input file is larger than [`MAX_INPUT_SIZE`].
    #[error("{path}: larger than {MAX_INPUT_SIZE} bytes")]
    TooLarge { path: String },
    /// An input file is not UTF-8 text.
    #[error("{path}: not UTF-8 text (byte offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    /// An input file is not valid JSON.
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// An input file is JSON but not what the format expects.
    #[error("{path}: {message}")]
    Shape { path: String, message: String },
    /// A rule file or the output folder cannot be written.
    #[error("{path}: {message}")]
    Write { path: String, message: String },
    /// The existing rules (rule roots, output folder) cannot be listed.
    #[error(transparent)]
    Rules(crate::load::IoError),
}

impl ImportError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Read { .. } => "read",
            ImportError::TooLarge { .. } => "too-large",
            ImportError::NotUtf8 { .. } => "not-utf8",
            ImportError::Json { .. } => "json",
            ImportError::Shape { .. } => "shape",
            ImportError::Write { .. } => "write",
            ImportError::Rules(_) => "rules",
        }
    }

    /// Every failure of the input or the output is exit code 2.
    pub fn exit_code(&self) -> u8 {
        2
    }

    pub(crate) fn json(path: &str, e: &serde_json::Error) -> Self {
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        ImportError::Json {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        }
    }

    pub(crate) fn shape(path: &str, message: impl Into<String>) -> Self {
        ImportError::Shape {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Reads an input file: size-capped, UTF-8 (a BOM is skipped).
pub fn read_input(path: &Path) -> Result<String, ImportError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| ImportError::Read {
        path: shown.clone(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".into()
        } else {
            e.to_string()
        },
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(ImportError::Read {
            path: shown,
            message: "is a folder".into(),
        });
    }
    if meta.len() > MAX_INPUT_SIZE {
        return Err(ImportError::TooLarge { path: shown });
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_INPUT_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_SIZE {
        return Err(ImportError::TooLarge { path: shown });
    }
    let mut text = String::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        path: shown.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}

/// Reads every input of a format into items, in input order.
pub fn read_sources(format: Format, files: &[PathBuf]) -> Result<Vec<Item>, ImportError> {
    let mut items = Vec::new();
    for f in files {
        match format {
            Format::Stix => items.extend(stix::read(f)?),
            Format::Misp => items.extend(misp::read(f)?),
            Format::Text => items.extend(text::read(f)?),
        }
    }
    Ok(items)
}

/// A `YYYY-MM-DD` date from the start of an RFC 3339 timestamp (`2021-03-02T10:00:00Z`) or a
/// plain date.
pub fn date_of(timestamp: &str) -> Option<Date> {
    crate::rule::parse_date(timestamp.get(..10)?)
}

/// Lower-case tag text: letters and digits kept, runs of anything else one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An ATT&CK tag from an id such as `T1505.003`, `G0125` or `S0559`.
pub fn attack_tag(external_id: &str) -> Option<String> {
    let id = external_id.trim().to_ascii_lowercase();
    let (main, sub) = match id.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (id.as_str(), None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = main.len() == 5
        && matches!(main.as_bytes()[0], b't' | b'g' | b's' | b'm')
        && digits(&main[1..], 4)
        && sub.is_none_or(|s| main.starts_with('t') && digits(s, 3));
    ok.then(|| format!("attack.{id}"))
}

/// A CVE tag from `CVE-2021-26855`.
pub fn cve_tag(id: &str) -> Option<String> {
    let rest = id.trim().to_ascii_lowercase();
    let rest = rest.strip_prefix("cve-")?;
    let (year, num) = rest.split_once('-')?;
    (year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("cve.{year}-{num}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_uuid_v5_of_the_source_id() {
        let s = SourceRef {
            format: Format::Stix,
            file: "a.json".into(),
            id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into(),
            name: None,
        };
        let id = s.rule_id();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 5);
        // Stable: the same input always gives the same id, another file name does not matter.
        let other = SourceRef {
            file: "b.json".into(),
            ..s.clone()
        };
        assert_eq!(other.rule_id(), id);
        let misp = SourceRef {
            format: Format::Misp,
            ..s
        };
        assert_ne!(misp.rule_id(), id);
    }

    #[test]
    fn tags() {
        assert_eq!(attack_tag("T1505.003").as_deref(), Some("attack.t1505.003"));
        assert_eq!(attack_tag("G0125").as_deref(), Some("attack.g0125"));
        assert_eq!(attack_tag("TA0001"), None);
        assert_eq!(attack_tag("G0125.001"), None);
        assert_eq!(cve_tag("CVE-2021-26855").as_deref(), Some("cve.2021-26855"));
        assert_eq!(cve_tag("CVE-21-1"), None);
        assert_eq!(slug("APT 29 (Cozy Bear)"), "apt-29-cozy-bear");
    }
}
