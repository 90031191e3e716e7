//! Bundles: the rule set of one git commit, compiled to normalized JSON, packed into a
//! byte-reproducible `.tar.gz`, signed with minisign, and verified by scanners.
//!
//! - [`read_revision`] reads the rule files and `ruleforge.toml` of a commit from the object
//!   database (never the working tree); [`lint_revision`] lints them.
//! - [`build`] compiles the selected rules — native rules to `rules.json` ([`compile`]), Sigma
//!   documents to `sigma.json` ([`mod@sigma`]) — and writes the archive ([`archive`]).
//! - [`sign`] loads keys and signs; [`verify()`] checks a bundle ([`mod@verify`] module).
//!
//! The format's types, archive reading, key parsing and verification live in the
//! `ruleforge-bundle` crate (what a scanner depends on); they are re-exported here, and this
//! module adds what only a publisher needs: reading git, compiling, writing, signing, and the
//! JSON-schema checks that [`verify()`] adds to the crate's own.
//!
//! `docs/bundle-format.md` is the contract for scanner teams.

pub mod archive;
pub mod compile;
pub mod sigma;
pub mod sign;
pub mod verify;

pub use compile::{CompiledFile, CompiledRule, RuleSet, TypeInfo};
pub use sigma::{SigmaEntry, SigmaSet};
pub use sign::{KeyError, KeyId, SigningKey, TrustedKey};
pub use verify::{verify, VerifiedBundle, VerifyError, VerifyOptions};

pub use ruleforge_bundle::{
    format_time, parse_time, trusted_comment, version_of, Counts, FileEntry, KindEntry, Manifest,
    RulesByKind, SigmaKindEntry, TimeError, COMMENT_PREFIX, FORMAT, FORMAT_VERSION, MANIFEST_NAME,
    READABLE_VERSIONS, RULES_NAME, SIGMA_NAME,
};

use crate::config::{self, Config};
use crate::load::Input;
use jsonschema::Validator;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// Statuses `bundle.statuses` may name: the native ones, and Sigma's `unsupported`.
pub const STATUSES: [&str; 5] = [
    "experimental",
    "test",
    "stable",
    "deprecated",
    "unsupported",
];
pub const MANIFEST_SCHEMA: &str = include_str!("../../schemas/bundle-manifest.schema.json");
pub const RULES_SCHEMA: &str = include_str!("../../schemas/bundle-rules.schema.json");
pub const SIGMA_SCHEMA: &str = include_str!("../../schemas/bundle-sigma.schema.json");

fn compile_schema(text: &str) -> Validator {
    let schema: serde_json::Value = serde_json::from_str(text).expect("embedded schema is JSON");
    compile_value(&schema)
}

/// The schema of one item of a member's `rules` list: the member's schema with its root
/// keywords replaced by the items schema (`$schema`, `$id` and `$defs` kept, so references
/// resolve as before). Valid items under it and a valid member with `"rules": []` make a
/// valid member, since the list itself has no keyword but `type` and `items` (a test holds
/// the schemas to that).
fn compile_items_schema(text: &str) -> Validator {
    let mut schema: serde_json::Value =
        serde_json::from_str(text).expect("embedded schema is JSON");
    let items = schema["properties"]["rules"]["items"].clone();
    let root = schema.as_object_mut().expect("a schema object");
    for k in [
        "type",
        "additionalProperties",
        "required",
        "properties",
        "title",
        "description",
    ] {
        root.remove(k);
    }
    for (k, v) in items.as_object().expect("`rules.items` is a schema object") {
        root.insert(k.clone(), v.clone());
    }
    compile_value(&schema)
}

fn compile_value(schema: &serde_json::Value) -> Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .expect("embedded schema compiles")
}

/// The compiled manifest schema (built once).
pub fn manifest_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile_schema(MANIFEST_SCHEMA))
}

/// The compiled rules payload schema (built once).
pub fn rules_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile_schema(RULES_SCHEMA))
}

/// The compiled Sigma payload schema (built once).
pub fn sigma_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile_schema(SIGMA_SCHEMA))
}

/// The schema of one rule of `rules.json` (built once).
pub(crate) fn rules_item_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile_items_schema(RULES_SCHEMA))
}

/// The schema of one document of `sigma.json` (built once).
pub(crate) fn sigma_item_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile_items_schema(SIGMA_SCHEMA))
}

/// Up to five schema errors, as `/pointer: message`.
pub(crate) fn schema_errors(v: &Validator, instance: &serde_json::Value) -> Vec<String> {
    schema_errors_at(v, instance, "")
}

/// [`schema_errors`] of a value found at `prefix` (a JSON pointer) in a larger document.
pub(crate) fn schema_errors_at(
    v: &Validator,
    instance: &serde_json::Value,
    prefix: &str,
) -> Vec<String> {
    v.iter_errors(instance)
        .take(5)
        .map(|e| {
            let p = format!("{prefix}{}", e.instance_path().as_str());
            let msg = e.to_string();
            let msg = if msg.len() > 200 {
                format!("{}…", &msg[..msg.floor_char_boundary_compat(200)])
            } else {
                msg
            };
            format!("{}: {msg}", if p.is_empty() { "/" } else { &p })
        })
        .collect()
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}
impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// The manifest's `counts` of the selected native rules.
pub fn counts_of(rules: &[compile::PackedRule]) -> Counts {
    use rayon::prelude::*;
    rules
        .par_iter()
        .fold(Counts::default, |mut c, r| {
            c.rules += 1;
            add(&mut c.rules_by_status, &r.status, 1);
            add(&mut c.rules_by_severity, &r.severity, 1);
            for &(ty, n) in &r.indicators_by_type {
                c.indicators += n;
                add(&mut c.indicators_by_type, ty, n);
            }
            c
        })
        .reduce(Counts::default, |mut a, b| {
            a.rules += b.rules;
            a.indicators += b.indicators;
            for (mine, theirs) in [
                (&mut a.rules_by_status, b.rules_by_status),
                (&mut a.rules_by_severity, b.rules_by_severity),
                (&mut a.indicators_by_type, b.indicators_by_type),
            ] {
                for (k, n) in theirs {
                    *mine.entry(k).or_default() += n;
                }
            }
            a
        })
}

/// Adds `n` to `key`'s count (allocating the key only the first time it is seen).
fn add(counts: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match counts.get_mut(key) {
        Some(c) => *c += n,
        None => {
            counts.insert(key.to_string(), n);
        }
    }
}

/// Why a bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Git, configuration or I/O trouble (exit code 2).
    #[error("{0}")]
    Setup(String),
    /// Rule content that cannot be compiled (exit code 1); one line per problem.
    #[error("{}", .0.join("\n"))]
    Content(Vec<String>),
}

impl BuildError {
    /// The process exit code for this error: 1 for rule content, 2 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            BuildError::Setup(_) => 2,
            BuildError::Content(_) => 1,
        }
    }
}

/// The rule files and configuration of one commit.
pub struct Revision {
    /// The revision as given (`HEAD`, a tag…).
    pub rev: String,
    /// Full hex commit id.
    pub commit: String,
    /// The committer time.
    pub time: OffsetDateTime,
    pub config: Config,
    /// Where the configuration came from (`<commit>:ruleforge.toml`), `None` for defaults.
    pub config_source: Option<String>,
    /// Rule files under the configured roots, paths relative to the ruleforge root.
    pub inputs: Vec<Input>,
}

/// Reads a revision from the object database. `prefix` is the ruleforge root relative to
/// the repository's top folder (`""` when they are the same).
///
/// The configuration is the `ruleforge.toml` committed at that revision; when the commit
/// has none, the defaults. Rule files are the committed blobs, byte for byte, so a commit
/// always gives the same bundle (a working-tree file is used only when git's index or its
/// hash proves it is the committed blob: see [`crate::git::BlobRef::read`]).
pub fn read_revision(
    repo: &git2::Repository,
    rev: &str,
    prefix: &str,
) -> Result<Revision, BuildError> {
    let commit = crate::git::resolve(repo, rev).map_err(|e| BuildError::Setup(e.0))?;
    let tree = commit
        .tree()
        .map_err(|e| BuildError::Setup(format!("{rev}: cannot read the tree: {}", e.message())))?;
    let join = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else {
            format!("{}/{p}", prefix.trim_end_matches('/'))
        }
    };
    let short = &commit.id().to_string()[..12];
    let cfg_path = join(config::FILE_NAME);
    let (config, config_source) = match tree.get_path(Path::new(&cfg_path)) {
        Ok(entry) => {
            let blob = repo.find_blob(entry.id()).map_err(|e| {
                BuildError::Setup(format!("{short}:{cfg_path}: cannot read: {}", e.message()))
            })?;
            let label = format!("{short}:{cfg_path}");
            let text = std::str::from_utf8(blob.content())
                .map_err(|_| BuildError::Setup(format!("{label}: not valid UTF-8")))?;
            let cfg = Config::parse(text, Path::new(&label))
                .map_err(|e| BuildError::Setup(e.to_string()))?;
            (cfg, Some(label))
        }
        Err(_) => (Config::default(), None),
    };
    let roots: Vec<String> = config.lint.roots.iter().map(|r| join(r)).collect();
    let mut inputs =
        crate::git::tree_inputs(repo, &tree, &roots).map_err(|e| BuildError::Setup(e.0))?;
    if !prefix.is_empty() {
        let pre = format!("{}/", prefix.trim_end_matches('/'));
        for i in &mut inputs {
            if let Some(rest) = i.path.strip_prefix(&pre) {
                i.path = rest.to_string();
            }
        }
    }
    let time = OffsetDateTime::from_unix_timestamp(commit.time().seconds())
        .map_err(|_| BuildError::Setup(format!("{short}: commit time out of range")))?;
    Ok(Revision {
        rev: rev.to_string(),
        commit: commit.id().to_string(),
        time,
        config,
        config_source,
        inputs,
    })
}

/// Lints a revision with its configuration (selection, ignores, per-path ignores, size
/// limit); `today` is the date for date checks.
pub fn lint_revision(
    rev: &Revision,
    today: time::Date,
) -> Result<crate::lint::Outcome, BuildError> {
    let opts = lint_options(rev, today)?;
    crate::lint::run(&rev.inputs, &opts).map_err(|e| BuildError::Setup(e.to_string()))
}

fn kind_patterns(rev: &Revision) -> Result<crate::kind::KindPatterns, BuildError> {
    let kinds = &rev.config.kinds;
    crate::kind::KindPatterns::new(&kinds.sigma, &kinds.native)
        .map_err(|e| BuildError::Setup(format!("[kinds]: {e}")))
}

fn lint_options(rev: &Revision, today: time::Date) -> Result<crate::lint::Options, BuildError> {
    crate::lint::Options::from_config(&rev.config, today)
        .map_err(|e| BuildError::Setup(e.to_string()))
}

/// A built (unsigned) bundle.
#[derive(Debug, Clone)]
pub struct Built {
    /// `<name>-<version>.tar.gz`
    pub file_name: String,
    pub archive: Vec<u8>,
    /// Lower-case hex SHA-256 of `archive`.
    pub sha256: String,
    pub manifest: Manifest,
    pub excluded: compile::Excluded,
}

/// Compiles the selected rules of `rev` and packs them. Does not lint: callers that want
/// the lint gate (the `bundle` command) run [`lint_revision`] first.
pub fn build(rev: &Revision) -> Result<Built, BuildError> {
    build_with(rev, None)
}

/// Lints a revision like [`lint_revision`] and compiles every rule file of either kind in
/// the same pass (each file is parsed once); pass the compiled files to [`build_with`].
pub fn lint_and_compile(
    rev: &Revision,
    today: time::Date,
) -> Result<(crate::lint::Outcome, Vec<CompiledFile>), BuildError> {
    lint_and_compile_with(rev, today, &|_| ()).map(|(o, c, _)| (o, c))
}

/// [`lint_and_compile`], with `extra` applied to every parsed file in the same pass (the
/// export model, when the bundle carries exports).
pub fn lint_and_compile_with<T: Send>(
    rev: &Revision,
    today: time::Date,
    extra: &(dyn Fn(crate::kind::ParsedRef<'_>) -> T + Sync),
) -> Result<(crate::lint::Outcome, Vec<CompiledFile>, Vec<T>), BuildError> {
    let opts = lint_options(rev, today)?;
    let hook = |f: crate::kind::ParsedRef<'_>| {
        let c = compile::compile_parsed(f);
        (c, extra(f))
    };
    let (outcome, both) = crate::lint::run_with(&rev.inputs, &opts, &hook)
        .map_err(|e| BuildError::Setup(e.to_string()))?;
    // `None`: a file that could not be read (the lint gate reports it).
    let (compiled, extras) = both.into_iter().flatten().unzip();
    Ok((outcome, compiled, extras))
}

/// [`build`], with the rules already compiled by [`lint_and_compile`] (`None`: read and
/// compile them here).
pub fn build_with(
    rev: &Revision,
    compiled: Option<Vec<CompiledFile>>,
) -> Result<Built, BuildError> {
    build_with_members(rev, compiled, &[])
}

/// [`build_with`], and `extra` members (path, bytes) packed after the rules and listed in
/// the manifest like them: the `exports/<target>/…` files. Paths must be unique, sorted and
/// of the manifest's path form.
pub fn build_with_members(
    rev: &Revision,
    compiled: Option<Vec<CompiledFile>>,
    extra: &[(String, Vec<u8>)],
) -> Result<Built, BuildError> {
    for (path, _) in extra {
        if let Err(problem) = archive::check_path(path) {
            return Err(BuildError::Setup(format!(
                "bundle member `{path}`: {problem}"
            )));
        }
        if [MANIFEST_NAME, RULES_NAME, SIGMA_NAME].contains(&path.as_str()) {
            return Err(BuildError::Setup(format!(
                "bundle member `{path}` would replace a rules member"
            )));
        }
    }
    let b = &rev.config.bundle;
    let name_ok = !b.name.is_empty()
        && b.name.len() <= 100
        && b.name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
        && b.name
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name_ok {
        return Err(BuildError::Setup(format!(
            "bundle.name `{}` must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            b.name
        )));
    }
    if b.validity_days == 0 {
        return Err(BuildError::Setup(
            "bundle.validity-days must be at least 1".into(),
        ));
    }
    for s in &b.statuses {
        if !STATUSES.contains(&s.as_str()) {
            return Err(BuildError::Setup(format!(
                "bundle.statuses: unknown status `{s}`"
            )));
        }
    }
    let sel = compile::Selection {
        statuses: b.statuses.clone(),
        include_expired: b.include_expired,
        as_of: rev.time.date(),
    };
    let selected = match compiled {
        Some(c) => compile::select(c, &sel),
        None => compile::compile_all(
            &rev.inputs,
            rev.config.lint.max_file_size,
            &kind_patterns(rev)?,
            &sel,
        ),
    }
    .map_err(BuildError::Content)?;
    let rules_open = compile::rules_json_open();
    let rules_json = compile::rules_json_pieces(&rules_open, &selected.native);
    crate::timings::mark("bundle: members serialized");
    let sigma_json = sigma::set_to_json(&selected.sigma);
    let extra_pieces: Vec<[&[u8]; 1]> = extra.iter().map(|(_, b)| [&b[..]]).collect();
    let expires = rev
        .time
        .checked_add(time::Duration::days(i64::from(b.validity_days)))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| {
            BuildError::Setup(format!(
                "bundle.validity-days = {} puts the expiry past the year 9999",
                b.validity_days
            ))
        })?;
    let manifest = Manifest {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        name: b.name.clone(),
        version: version_of(rev.time),
        commit: rev.commit.clone(),
        created: format_time(rev.time),
        expires: format_time(expires),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        files: [
            (RULES_NAME, &rules_json[..]),
            (SIGMA_NAME, &[&sigma_json[..]]),
        ]
        .into_iter()
        .chain(
            extra
                .iter()
                .zip(&extra_pieces)
                .map(|((p, _), piece)| (p.as_str(), &piece[..])),
        )
        .map(|(path, pieces)| {
            let mut sha = Sha256::new();
            for p in pieces {
                sha.update(p);
            }
            FileEntry {
                path: path.to_string(),
                size: pieces.iter().map(|p| p.len() as u64).sum(),
                sha256: verify::hex(&sha.finalize()),
            }
        })
        .collect(),
        counts: counts_of(&selected.native),
        rules: Some(RulesByKind {
            native: KindEntry {
                member: RULES_NAME.to_string(),
                count: selected.native.len() as u64,
            },
            sigma: SigmaKindEntry::of(&selected.sigma),
        }),
    };
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    manifest_json.push(b'\n');
    let mtime = rev.time.unix_timestamp().max(0) as u64;
    let manifest_piece = [&manifest_json[..]];
    let sigma_piece = [&sigma_json[..]];
    let mut members: Vec<(&str, &[&[u8]])> = vec![
        (MANIFEST_NAME, &manifest_piece[..]),
        (RULES_NAME, &rules_json[..]),
        (SIGMA_NAME, &sigma_piece[..]),
    ];
    members.extend(
        extra
            .iter()
            .zip(&extra_pieces)
            .map(|((p, _), piece)| (p.as_str(), &piece[..])),
    );
    let archive = archive::write_pieces(&members, mtime)
        .map_err(|e| BuildError::Setup(format!("cannot write the archive: {e}")))?;
    crate::timings::mark("bundle: archive written");
    let excluded = selected.excluded;
    crate::drop_in_background(selected);
    Ok(Built {
        file_name: format!("{}-{}.tar.gz", manifest.name, manifest.version),
        sha256: verify::hex(&Sha256::digest(&archive)),
        archive,
        manifest,
        excluded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_times() {
        let t = parse_time("2021-03-02T23:04:05+02:00").unwrap();
        assert_eq!(version_of(t), 20210302210405);
        assert_eq!(format_time(t), "2021-03-02T21:04:05Z");
        assert_eq!(
            format_time(parse_time("2027-01-31").unwrap()),
            "2027-01-31T00:00:00Z"
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn embedded_schemas_pass_the_metaschema() {
        for text in [MANIFEST_SCHEMA, RULES_SCHEMA, SIGMA_SCHEMA] {
            let schema: serde_json::Value = serde_json::from_str(text).unwrap();
            jsonschema::meta::validate(&schema).unwrap();
        }
        let _ = manifest_validator();
        let _ = rules_validator();
        let _ = sigma_validator();
        let _ = rules_item_validator();
        let _ = sigma_item_validator();
    }

    #[test]
    fn rule_lists_are_checked_by_their_items_alone() {
        // verify checks each item of `rules` on its own and the member with `"rules": []`:
        // the same as checking the whole only while the list has no other keyword.
        for text in [RULES_SCHEMA, SIGMA_SCHEMA] {
            let schema: serde_json::Value = serde_json::from_str(text).unwrap();
            let list = schema["properties"]["rules"].as_object().unwrap();
            let mut keys: Vec<&str> = list.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["description", "items", "type"]);
            assert_eq!(list["type"], "array");
        }
    }

    #[test]
    fn trusted_comment_fields() {
        let m = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "n".into(),
            version: 20240101000000,
            commit: "c".repeat(40),
            created: "2024-01-01T00:00:00Z".into(),
            expires: "2024-04-01T00:00:00Z".into(),
            tool_version: "0".into(),
            files: vec![],
            counts: Counts::default(),
            rules: None,
        };
        assert_eq!(
            trusted_comment(&m),
            format!(
                "ruleforge-bundle name=n version=20240101000000 commit={} expires=2024-04-01T00:00:00Z",
                "c".repeat(40)
            )
        );
    }
}
