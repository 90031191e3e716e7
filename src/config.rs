//! `ruleforge.toml`: rule roots, lint selection, bundle and policy settings.
//! Described by `schemas/config.schema.json`; unknown keys are errors.
//!
//! The configuration is data: it checks what TOML and globs can tell (types, unknown keys,
//! patterns that do not compile) and keeps rule selectors as strings; `lint` checks those
//! against its registry when it builds its options (`lint::Options::from_config`), naming
//! this file in the error.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "ruleforge.toml";
/// Files larger than this are rejected without being read whole.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Config {
    pub lint: LintConfig,
    pub bundle: BundleConfig,
    pub policy: PolicyConfig,
    pub kinds: KindsConfig,
    pub trust: TrustConfig,
    /// Where the configuration was read from (`ruleforge.toml`, `<commit>:ruleforge.toml`),
    /// for messages; `None` for the defaults.
    #[serde(skip)]
    pub origin: Option<String>,
}

/// The keys scanners trust for this repository's bundles and how many must sign
/// (docs/distribution.md, key rotation). Checked by `ruleforge lint` (`dist::trust`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TrustConfig {
    /// Public key files (repository-relative) every bundle is signed with; during a
    /// rotation, the old and the new key.
    pub public_keys: Vec<String>,
    /// Distinct keys whose signatures scanners require (`verify`/`pull --threshold`).
    pub threshold: usize,
}

impl Default for TrustConfig {
    fn default() -> Self {
        TrustConfig {
            public_keys: Vec::new(),
            threshold: 1,
        }
    }
}

/// Which files hold which kind of rule, by glob over repository-relative paths. A file that no
/// pattern names is recognized by its shape (see `src/kind.rs`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct KindsConfig {
    /// Globs of Sigma rule files (rules, correlation rules, filters), e.g. `sigma/**`.
    pub sigma: Vec<String>,
    /// Globs of native indicator rule files (win over `sigma` when both match).
    pub native: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LintConfig {
    /// Folders (relative to the repository root) that hold rules.
    pub roots: Vec<String>,
    /// Codes or prefixes to enable (`ALL` for every rule). Empty: the defaults.
    pub select: Vec<String>,
    /// Codes or prefixes to disable.
    pub ignore: Vec<String>,
    /// Glob (relative path) → codes ignored in matching files.
    pub per_path_ignores: BTreeMap<String, Vec<String>>,
    pub max_file_size: u64,
    /// Exit 1 on warnings too.
    pub deny_warnings: bool,
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            roots: vec!["rules".into()],
            select: Vec::new(),
            ignore: Vec::new(),
            per_path_ignores: BTreeMap::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            deny_warnings: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BundleConfig {
    /// Bundle name (file names, manifest, signature comment).
    pub name: String,
    /// Statuses whose rules go into the bundle.
    pub statuses: Vec<String>,
    /// Ship rules whose `expires` date has passed.
    pub include_expired: bool,
    /// Days from the commit time until the bundle expires.
    pub validity_days: u32,
    /// Export targets (`yara`, `clamav`, `suricata`, `zeek`, `stix`, `sigma`, `misp`, `all`)
    /// whose output the bundle carries under `exports/<target>/`.
    pub exports: Vec<String>,
}

impl Default for BundleConfig {
    fn default() -> Self {
        BundleConfig {
            name: "ruleforge-rules".into(),
            statuses: vec!["experimental".into(), "test".into(), "stable".into()],
            include_expired: false,
            validity_days: 90,
            exports: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct PolicyConfig {
    /// A rule must be deprecated in an earlier revision before it is deleted.
    pub require_deprecation_before_delete: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            require_deprecation_before_delete: true,
        }
    }
}

/// A configuration problem (exit code 2): the message names the file and place.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML, or a key or value the configuration does not have. `location` is
    /// `path:line:col` (or the path alone when TOML gives no place).
    #[error("{location}: {message}")]
    Syntax { location: String, message: String },
    /// A glob of `[kinds]` or `[lint.per-path-ignores]` that does not compile.
    #[error("{path}: invalid {table} pattern `{pattern}`: {error}")]
    Pattern {
        path: String,
        table: &'static str,
        pattern: String,
        error: globset::Error,
    },
    /// The file cannot be read.
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
}

impl ConfigError {
    /// The process exit code for this error: 2, a configuration error.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

impl Config {
    /// Parses configuration text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    let col = s.start
                        - text[..s.start.min(text.len())]
                            .rfind('\n')
                            .map_or(0, |i| i + 1)
                        + 1;
                    format!(":{line}:{col}")
                })
                .unwrap_or_default();
            ConfigError::Syntax {
                location: format!("{}{place}", path.display()),
                message: e.message().to_string(),
            }
        })?;
        for (table, pat) in cfg
            .kinds
            .sigma
            .iter()
            .map(|p| ("kinds.sigma", p))
            .chain(cfg.kinds.native.iter().map(|p| ("kinds.native", p)))
        {
            globset::Glob::new(pat).map_err(|error| ConfigError::Pattern {
                path: path.display().to_string(),
                table,
                pattern: pat.clone(),
                error,
            })?;
        }
        for pat in cfg.lint.per_path_ignores.keys() {
            globset::Glob::new(pat).map_err(|error| ConfigError::Pattern {
                path: path.display().to_string(),
                table: "per-path-ignores",
                pattern: pat.clone(),
                error,
            })?;
        }
        cfg.origin = Some(path.display().to_string());
        Ok(cfg)
    }

    /// Loads `ruleforge.toml` from `root`, or the defaults when there is none.
    pub fn load(root: &Path) -> Result<Config, ConfigError> {
        Self::load_file(&root.join(FILE_NAME), false)
    }

    pub fn load_file(path: &Path, required: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(error) => Err(ConfigError::Read {
                path: path.display().to_string(),
                error,
            }),
        }
    }
}

/// The repository root for `start`: the nearest ancestor with `ruleforge.toml`, else with `.git`,
/// else `start` itself.
pub fn find_root(start: &Path) -> PathBuf {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    for marker in [FILE_NAME, ".git"] {
        if let Some(dir) = start.ancestors().find(|d| d.join(marker).exists()) {
            return dir.to_path_buf();
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_place() {
        let e =
            Config::parse("[lint]\nrots = [\"rules\"]\n", Path::new("ruleforge.toml")).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("ruleforge.toml:2:1:"), "{e}");
        assert!(e.contains("rots"), "{e}");
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse(
            "[lint]\nroots = [\"detections\"]\nignore = [\"RF113\"]\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(c.lint.roots, vec!["detections"]);
        assert_eq!(c.bundle, BundleConfig::default());
        assert_eq!(c.origin.as_deref(), Some("x"));
    }

    #[test]
    fn kinds_table() {
        let c = Config::parse(
            "[kinds]\nsigma = [\"sigma/**\"]\nnative = [\"rules/**\"]\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(c.kinds.sigma, vec!["sigma/**"]);
        assert_eq!(c.kinds.native, vec!["rules/**"]);
        let e = Config::parse("[kinds]\nsigma = [\"a[\"]\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("kinds.sigma"), "{e}");
        assert!(Config::parse("[kinds]\nyara = []\n", Path::new("x")).is_err());
    }
}
