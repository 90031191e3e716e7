//! The client's state file: per bundle name, the version, SHA-256 and freshness issue time
//! last accepted. With it a client refuses a tag moved back to an older bundle (rollback), a
//! second, different bundle under a version it already has (equivocation) and a freshness
//! document older than one it already saw (a replayed, frozen view).
//!
//! ```json
//! {"format": "ruleforge-dist-state", "format_version": 1,
//!  "bundles": {"rules": {"version": 20250101000000, "sha256": "…",
//!   "freshness_issued": "2025-01-02T00:00:00Z", "source": "oci://…", "manifest_digest": "sha256:…"}}}
//! ```

use crate::error::DistError;
use crate::freshness::Freshness;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const FORMAT: &str = "ruleforge-dist-state";
pub const FORMAT_VERSION: u32 = 1;

/// What was last accepted for one bundle name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub version: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness_issued: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
}

/// The state file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format: String,
    pub format_version: u32,
    pub bundles: BTreeMap<String, Accepted>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            bundles: BTreeMap::new(),
        }
    }
}

/// Why the state file cannot be used (exit 2: a local problem, not an attack).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot read the state file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a ruleforge state file: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: cannot write the state file: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl State {
    /// Reads the state file; a missing file is an empty state (first pull).
    pub fn load(path: &Path) -> Result<State, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let invalid = |message: String| StateError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if state.format != FORMAT || state.format_version != FORMAT_VERSION {
            return Err(invalid(format!(
                "format `{}` version {} is not `{FORMAT}` version {FORMAT_VERSION}",
                state.format, state.format_version
            )));
        }
        Ok(state)
    }

    /// Writes the state file atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("the state serialises");
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes).map_err(|source| StateError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// Checks a verified bundle against what was accepted before: an older version is a
    /// rollback, the same version with another SHA-256 an equivocation, a freshness
    /// document issued before the last accepted one a replay. `allow_downgrade` lets all
    /// three through (an operator rolling back on purpose).
    pub fn check(
        &self,
        name: &str,
        version: u64,
        sha256: &str,
        freshness: Option<&Freshness>,
        allow_downgrade: bool,
    ) -> Result<(), DistError> {
        let Some(seen) = self.bundles.get(name) else {
            return Ok(());
        };
        if allow_downgrade {
            return Ok(());
        }
        if version < seen.version {
            return Err(ruleforge_bundle::VerifyError::Rollback {
                version,
                current: seen.version,
            }
            .into());
        }
        if version == seen.version && sha256 != seen.sha256 {
            return Err(DistError::Equivocation {
                name: name.into(),
                version,
                expected: seen.sha256.clone(),
                actual: sha256.into(),
            });
        }
        if let (Some(doc), Some(seen_issued)) = (freshness, &seen.freshness_issued) {
            if let Ok(seen_at) = ruleforge_bundle::parse_time(seen_issued) {
                if doc.issued_at() < seen_at {
                    return Err(DistError::FreshnessReplayed {
                        issued: doc.issued.clone(),
                        seen: seen_issued.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Records an accepted bundle.
    pub fn record(&mut self, name: &str, accepted: Accepted) {
        self.bundles.insert(name.into(), accepted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: u64, sha: &str, issued: Option<&str>) -> State {
        let mut s = State::default();
        s.record(
            "rules",
            Accepted {
                version,
                sha256: sha.into(),
                freshness_issued: issued.map(Into::into),
                source: None,
                manifest_digest: None,
            },
        );
        s
    }

    #[test]
    fn rollback_equivocation_and_replay_are_refused() {
        let s = state(20250102000000, "aa", Some("2025-01-03T00:00:00Z"));
        let e = s
            .check("rules", 20250101000000, "bb", None, false)
            .unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("rollback", 8));
        let e = s
            .check("rules", 20250102000000, "bb", None, false)
            .unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("equivocation", 14));
        s.check("rules", 20250102000000, "aa", None, false).unwrap();
        s.check("rules", 20250103000000, "cc", None, false).unwrap();
        s.check("other", 1, "cc", None, false).unwrap();
        s.check("rules", 20250101000000, "bb", None, true).unwrap();
        let mut doc = crate::freshness::Freshness::new(
            "rules",
            20250102000000,
            "f",
            b"",
            time::macros::datetime!(2025-01-02 0:00 UTC),
            time::Duration::days(2),
        )
        .unwrap();
        doc.sha256 = "aa".into();
        let e = s
            .check("rules", 20250102000000, "aa", Some(&doc), false)
            .unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("freshness-replayed", 13));
    }

    #[test]
    fn state_files_round_trip_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(State::load(&path).unwrap(), State::default());
        let s = state(1, "aa", None);
        s.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), s);
        std::fs::write(&path, "{\"format\": 1}").unwrap();
        let e = State::load(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: not a ruleforge state file", path.display())),
            "{e}"
        );
    }
}
