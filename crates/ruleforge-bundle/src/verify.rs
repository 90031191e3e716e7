//! Verifying a bundle: signature first, over the archive bytes, before anything is
//! decompressed; then the archive (bounded), the manifest, every member, the payloads,
//! expiry, rollback.

use crate::archive;
use crate::keys::{signature_key_id, KeyId, TrustedKey};
use crate::manifest::{Manifest, RulesByKind, SigmaKindEntry};
use crate::payload::{CompiledRule, CompiledRuleRef, RuleSet, SigmaEntry, SigmaSet};
use crate::{COMMENT_PREFIX, FORMAT, MANIFEST_NAME, READABLE_VERSIONS, RULES_NAME, SIGMA_NAME};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Default bound on the decompressed size of a bundle (and so of each member).
pub const DEFAULT_MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// What to check a bundle against.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The bundle must not be expired at this instant.
    pub now: OffsetDateTime,
    /// The version the scanner already has: an older bundle is a rollback.
    pub current_version: Option<u64>,
    /// Decompressed size limit (archive as a whole), against decompression bombs.
    pub max_unpacked: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            now: OffsetDateTime::now_utc(),
            current_version: None,
            max_unpacked: DEFAULT_MAX_UNPACKED,
        }
    }
}

/// A bundle that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub manifest: Manifest,
    /// The compiled native rules (`rules.json`).
    pub rules: RuleSet,
    /// The Sigma documents (`sigma.json`; empty for a version 1 bundle). Their counts by
    /// type, status and level are in `manifest.rules`.
    pub sigma: SigmaSet,
    /// The key that signed it.
    pub key_id: KeyId,
    /// The signature's trusted comment.
    pub trusted_comment: String,
    /// Every member but the manifest, by path, as verified bytes.
    pub members: BTreeMap<String, Vec<u8>>,
}

/// Why a bundle was rejected: one variant per check. [`VerifyError::code`] is a stable
/// name and [`VerifyError::exit_code`] the exit status of `ruleforge verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature file is not a minisign signature.
    #[error("the signature file is not a minisign signature ({0})")]
    MalformedSignature(String),
    /// A legacy (non-prehashed) minisign signature; bundles are signed prehashed.
    #[error("legacy minisign signature (not prehashed): re-sign with a current minisign")]
    LegacySignature,
    /// No trusted key has the id the signature names.
    #[error("signed by unknown key {key_id}: none of the trusted public keys ({trusted}) made this signature")]
    UnknownKey { key_id: String, trusted: String },
    /// The signature does not verify: the archive or the signature was altered, or the
    /// signature belongs to another file.
    #[error("bad signature: the bundle does not match the signature by key {key_id} (tampered archive, or a signature for another file)")]
    BadSignature { key_id: String },
    /// The archive is not a readable gzip-compressed tar (truncated, corrupted).
    #[error("corrupt archive: {0}")]
    CorruptArchive(String),
    /// The archive decompresses beyond the limit (decompression bomb).
    #[error("archive decompresses to more than {limit} bytes: refusing it (decompression bomb?)")]
    TooLarge { limit: u64 },
    /// A member path is absolute, contains `..`, or is otherwise unsafe.
    #[error("unsafe member path `{path}`: {reason}")]
    UnsafePath { path: String, reason: String },
    /// A member is not a regular file (link, directory, device…).
    #[error("member `{path}` is a {kind}, not a regular file")]
    NotAFile { path: String, kind: String },
    /// The same path appears twice.
    #[error("member `{path}` appears more than once")]
    DuplicateMember { path: String },
    /// No `manifest.json` in the archive.
    #[error("no manifest.json in the archive")]
    MissingManifest,
    /// `manifest.json` is not JSON, or not a valid manifest (`bundle-manifest.schema.json`).
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// The manifest's format version is not one this verifier reads.
    #[error("unsupported bundle format version {0} (this verifier reads versions 1 to {max})", max = crate::FORMAT_VERSION)]
    UnsupportedFormat(u64),
    /// The trusted comment names another bundle, version, commit or expiry than the manifest.
    #[error("the signature's trusted comment does not match the manifest: {0}")]
    CommentMismatch(String),
    /// A member listed in the manifest is not in the archive.
    #[error("member `{path}` is listed in the manifest but missing from the archive")]
    MissingMember { path: String },
    /// A member in the archive is not listed in the manifest.
    #[error("member `{path}` is in the archive but not listed in the manifest")]
    UnlistedMember { path: String },
    /// A member's size differs from the manifest.
    #[error("member `{path}` is {actual} bytes, the manifest says {expected}")]
    SizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    /// A member's SHA-256 differs from the manifest.
    #[error("member `{path}` has SHA-256 {actual}, the manifest says {expected}")]
    HashMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    /// `rules.json` is not JSON, does not match `bundle-rules.schema.json`, or holds another
    /// number of rules than the manifest says.
    #[error("invalid rules.json: {0}")]
    InvalidRules(String),
    /// `sigma.json` is not JSON, does not match `bundle-sigma.schema.json`, or holds another
    /// number of documents than the manifest says.
    #[error("invalid sigma.json: {0}")]
    InvalidSigma(String),
    /// The bundle expired before `now`.
    #[error("bundle expired at {expires} (now is {now})")]
    Expired { expires: String, now: String },
    /// The bundle is older than the one already installed.
    #[error("rollback: bundle version {version} is older than the current version {current}")]
    Rollback { version: u64, current: u64 },
}

impl VerifyError {
    /// A stable kebab-case name for the rejection.
    pub fn code(&self) -> &'static str {
        use VerifyError::*;
        match self {
            MalformedSignature(_) => "malformed-signature",
            LegacySignature => "legacy-signature",
            UnknownKey { .. } => "unknown-key",
            BadSignature { .. } => "bad-signature",
            CorruptArchive(_) => "corrupt-archive",
            TooLarge { .. } => "too-large",
            UnsafePath { .. } => "unsafe-path",
            NotAFile { .. } => "not-a-file",
            DuplicateMember { .. } => "duplicate-member",
            MissingManifest => "missing-manifest",
            InvalidManifest(_) => "invalid-manifest",
            UnsupportedFormat(_) => "unsupported-format",
            CommentMismatch(_) => "comment-mismatch",
            MissingMember { .. } => "missing-member",
            UnlistedMember { .. } => "unlisted-member",
            SizeMismatch { .. } => "size-mismatch",
            HashMismatch { .. } => "hash-mismatch",
            InvalidRules(_) => "invalid-rules",
            InvalidSigma(_) => "invalid-sigma",
            Expired { .. } => "expired",
            Rollback { .. } => "rollback",
        }
    }

    /// The exit status of `ruleforge verify` for this rejection: 3 signature (bad,
    /// malformed, legacy, trusted comment not matching the manifest), 4 unknown key,
    /// 5 archive, 6 manifest or members, 7 expired, 8 rollback.
    pub fn exit_code(&self) -> u8 {
        use VerifyError::*;
        match self {
            MalformedSignature(_) | LegacySignature | BadSignature { .. } | CommentMismatch(_) => 3,
            UnknownKey { .. } => 4,
            CorruptArchive(_)
            | TooLarge { .. }
            | UnsafePath { .. }
            | NotAFile { .. }
            | DuplicateMember { .. } => 5,
            MissingManifest
            | InvalidManifest(_)
            | UnsupportedFormat(_)
            | MissingMember { .. }
            | UnlistedMember { .. }
            | SizeMismatch { .. }
            | HashMismatch { .. }
            | InvalidRules(_)
            | InvalidSigma(_) => 6,
            Expired { .. } => 7,
            Rollback { .. } => 8,
        }
    }
}

/// Checks the minisign signature of `archive` against the trusted keys; returns the
/// signing key's id and the trusted comment. Nothing is decompressed.
pub fn verify_signature(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
) -> Result<(KeyId, String), VerifyError> {
    let sig = minisign_verify::Signature::decode(signature)
        .map_err(|e| VerifyError::MalformedSignature(e.to_string()))?;
    let key_id = signature_key_id(signature)
        .ok_or_else(|| VerifyError::MalformedSignature("no key id".into()))?;
    let Some(key) = keys.iter().find(|k| k.key_id() == key_id) else {
        let trusted = keys
            .iter()
            .map(|k| k.key_id().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(VerifyError::UnknownKey {
            key_id: key_id.to_string(),
            trusted: if trusted.is_empty() {
                "none given".into()
            } else {
                trusted
            },
        });
    };
    match key.inner().verify(archive, &sig, false) {
        Ok(()) => Ok((key_id, sig.trusted_comment().to_string())),
        Err(minisign_verify::Error::UnexpectedAlgorithm) => Err(VerifyError::LegacySignature),
        Err(_) => Err(VerifyError::BadSignature {
            key_id: key_id.to_string(),
        }),
    }
}

/// Checks a caller adds to those of [`verify_with`]: each returns its problems as
/// `/pointer: message` lines (empty: none). They run before the verifier's own checks of the
/// same document, so their messages are the ones reported. The `ruleforge` tool validates
/// against the bundle's JSON schemas here; a scanner usually needs nothing ([`NoChecks`]).
pub trait Checks: Sync {
    /// The manifest, as JSON.
    fn manifest(&self, _manifest: &Value) -> Vec<String> {
        Vec::new()
    }
    /// A payload member (`rules.json`, `sigma.json`) as a whole, or its top level with its
    /// `rules` list emptied (the items then go to [`Checks::member_item`]).
    fn member(&self, _member: &str, _document: &Value) -> Vec<String> {
        Vec::new()
    }
    /// One item of a payload member's `rules` list; `at` is its pointer (`/rules/3`).
    fn member_item(&self, _member: &str, _item: &Value, _at: &str) -> Vec<String> {
        Vec::new()
    }
    /// A phase of the verification ended (`verify: signature`, …): for profiling.
    fn phase(&self, _name: &str) {}
    /// Whether [`Checks::member_item`] looks at the items. When it does not, each item is
    /// read straight into its typed form, without a JSON tree first (faster).
    fn checks_items(&self) -> bool {
        true
    }
}

/// No checks beyond the verifier's own.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoChecks;

impl Checks for NoChecks {
    fn checks_items(&self) -> bool {
        false
    }
}

/// Verifies a bundle: `archive` is the `.tar.gz` bytes, `signature` the `.minisig` text,
/// `keys` the trusted public keys (several during a key rotation).
///
/// Checks, in this order, each failure with its own [`VerifyError`] variant:
/// 1. the signature, over the archive bytes, by one of `keys` (before decompressing);
/// 2. the archive decompresses within `opts.max_unpacked` bytes, is a valid tar of regular
///    files with safe, unique relative paths;
/// 3. `manifest.json` exists and is a valid manifest (typed: every field present and of its
///    type, no unknown field, `format`, a supported format version, name, commit, times,
///    member paths and hashes of the documented forms), with `rules` from version 2 on;
/// 4. a `ruleforge-bundle …` trusted comment agrees with the manifest (other comments, e.g.
///    from signing with stock `minisign`, are accepted as they are);
/// 5. every member is listed, every listed member (whatever its path) is present with the
///    listed size and SHA-256;
/// 6. `rules.json` and, from format version 2, `sigma.json` read as their typed documents of
///    the manifest's format version; the manifest's `rules` names listed members and counts
///    what they hold;
/// 7. `expires` is after `opts.now`;
/// 8. the version is not below `opts.current_version` (rollback).
pub fn verify(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    opts: &VerifyOptions,
) -> Result<VerifiedBundle, VerifyError> {
    verify_with(archive, signature, keys, opts, &NoChecks)
}

/// [`verify()`] with the caller's `checks` added to steps 3 and 6.
pub fn verify_with(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    opts: &VerifyOptions,
    checks: &dyn Checks,
) -> Result<VerifiedBundle, VerifyError> {
    let u = unpack(archive, signature, keys, opts, checks)?;
    let rules: RuleSet = member_json(
        &u.members,
        RULES_NAME,
        checks,
        u.manifest.format_version,
        VerifyError::InvalidRules,
    )?;
    checks.phase("verify: rules.json");
    let sigma = check_rest(&u, rules.rules.len(), opts, checks)?;
    Ok(VerifiedBundle {
        manifest: u.manifest,
        rules,
        sigma,
        key_id: u.key_id,
        trusted_comment: u.trusted_comment,
        members: u.members,
    })
}

/// A bundle that passed every check, its rules read in place by the caller (see
/// [`verify_in_place`]).
#[derive(Debug, Clone)]
pub struct VerifiedWith<C> {
    pub manifest: Manifest,
    /// `rules.json` without its rules (`format_version`, `types`; `rules` is empty).
    pub head: RuleSet,
    /// What the caller's `read` made of each run of rules of `rules.json`, in order.
    pub rules: Vec<C>,
    /// How many rules `rules.json` holds.
    pub native: usize,
    /// The Sigma documents (`sigma.json`; empty for a version 1 bundle).
    pub sigma: SigmaSet,
    /// The key that signed it.
    pub key_id: KeyId,
    /// The signature's trusted comment.
    pub trusted_comment: String,
    /// Every member but the manifest, by path, as verified bytes.
    pub members: BTreeMap<String, Vec<u8>>,
}

/// Rules of `rules.json` per call of [`verify_in_place`]'s `read`.
pub const IN_PLACE_RUN: usize = 2048;

/// [`verify()`], with the rules of `rules.json` read in place instead of copied into
/// [`CompiledRule`]s: every check of [`verify()`] runs, in the same order and with the same
/// errors. `read` is called (on several threads) with each run of up to [`IN_PLACE_RUN`]
/// rules and the index of its first, their strings borrowed from the verified member; each
/// run is freed after its call. What `read` returns is handed back, in order, in
/// [`VerifiedWith::rules`] once every check passed, and dropped if one fails: a scanner
/// compiles its matcher there, without a typed copy of every rule built and taken apart,
/// and trusts nothing of it before this function returns `Ok` (the signature over the
/// archive is checked before anything is read).
pub fn verify_in_place<C: Send>(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    opts: &VerifyOptions,
    read: impl Fn(usize, &[CompiledRuleRef<'_>]) -> C + Sync,
) -> Result<VerifiedWith<C>, VerifyError> {
    let checks = &NoChecks;
    let u = unpack(archive, signature, keys, opts, checks)?;
    let (head, rules, native) = rules_in_place(&u.members, u.manifest.format_version, &read)?;
    checks.phase("verify: rules.json");
    let sigma = check_rest(&u, native, opts, checks)?;
    Ok(VerifiedWith {
        manifest: u.manifest,
        head,
        rules,
        native,
        sigma,
        key_id: u.key_id,
        trusted_comment: u.trusted_comment,
        members: u.members,
    })
}

/// What steps 1–5 of [`verify()`] leave: the manifest checked and every member's hash.
struct Unpacked {
    manifest: Manifest,
    key_id: KeyId,
    trusted_comment: String,
    members: BTreeMap<String, Vec<u8>>,
}

/// Steps 1–5 of [`verify()`]: signature, archive, manifest, trusted comment, members.
fn unpack(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    opts: &VerifyOptions,
    checks: &dyn Checks,
) -> Result<Unpacked, VerifyError> {
    #[cfg(not(fuzzing))]
    let (key_id, trusted_comment) = verify_signature(archive, signature, keys)?;
    // Fuzz builds only (`--cfg fuzzing`, set by cargo-fuzz, never by a normal build): the
    // signature is not checked, so arbitrary archives reach the parsers behind it. Its
    // trusted comment (or, when it does not decode, its whole text) is taken as given, so
    // the comment's check is reached too.
    #[cfg(fuzzing)]
    let (key_id, trusted_comment) = {
        let _ = keys;
        let comment = match minisign_verify::Signature::decode(signature) {
            Ok(sig) => sig.trusted_comment().to_string(),
            Err(_) => signature.to_string(),
        };
        (crate::KeyId([0; 8]), comment)
    };
    checks.phase("verify: signature");

    let members = archive::read(archive, opts.max_unpacked)?;
    let mut members: BTreeMap<String, Vec<u8>> = members.into_iter().collect();
    checks.phase("verify: archive read");

    let manifest_bytes = members
        .remove(MANIFEST_NAME)
        .ok_or(VerifyError::MissingManifest)?;
    let manifest_json: Value = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| VerifyError::InvalidManifest(format!("not JSON: {e}")))?;
    if manifest_json.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
        if let Some(v) = manifest_json.get("format_version").and_then(|v| v.as_u64()) {
            if !READABLE_VERSIONS.iter().any(|&r| u64::from(r) == v) {
                return Err(VerifyError::UnsupportedFormat(v));
            }
        }
    }
    let errors = checks.manifest(&manifest_json);
    if !errors.is_empty() {
        return Err(VerifyError::InvalidManifest(errors.join("; ")));
    }
    let manifest: Manifest = serde_json::from_value(manifest_json)
        .map_err(|e| VerifyError::InvalidManifest(e.to_string()))?;
    check_manifest(&manifest).map_err(VerifyError::InvalidManifest)?;

    if let Some(fields) = trusted_comment.strip_prefix(COMMENT_PREFIX) {
        check_comment(fields, &manifest)?;
    }

    for f in &manifest.files {
        let Some(data) = members.get(&f.path) else {
            return Err(VerifyError::MissingMember {
                path: f.path.clone(),
            });
        };
        if data.len() as u64 != f.size {
            return Err(VerifyError::SizeMismatch {
                path: f.path.clone(),
                expected: f.size,
                actual: data.len() as u64,
            });
        }
        let actual = hex(&Sha256::digest(data));
        if actual != f.sha256 {
            return Err(VerifyError::HashMismatch {
                path: f.path.clone(),
                expected: f.sha256.clone(),
                actual,
            });
        }
    }
    if let Some(extra) = members
        .keys()
        .find(|p| !manifest.files.iter().any(|f| &f.path == *p))
    {
        return Err(VerifyError::UnlistedMember {
            path: extra.clone(),
        });
    }

    checks.phase("verify: manifest and hashes");
    Ok(Unpacked {
        manifest,
        key_id,
        trusted_comment,
        members,
    })
}

/// The steps of [`verify()`] after `rules.json` (of `native` rules) was read: `sigma.json`
/// and the counts, expiry, rollback.
fn check_rest(
    u: &Unpacked,
    native: usize,
    opts: &VerifyOptions,
    checks: &dyn Checks,
) -> Result<SigmaSet, VerifyError> {
    let (manifest, members) = (&u.manifest, &u.members);
    let version = manifest.format_version;
    let sigma: SigmaSet = match &manifest.rules {
        // Version 1: native rules only.
        None => SigmaSet {
            format_version: version,
            rules: Vec::new(),
        },
        Some(kinds) => {
            for member in [&kinds.native.member, &kinds.sigma.member] {
                if !manifest.files.iter().any(|f| &f.path == member) {
                    return Err(VerifyError::InvalidManifest(format!(
                        "`rules` names member `{member}`, which `files` does not list"
                    )));
                }
            }
            let sigma: SigmaSet = member_json(
                members,
                SIGMA_NAME,
                checks,
                version,
                VerifyError::InvalidSigma,
            )?;
            if kinds.native.count != native as u64 {
                return Err(VerifyError::InvalidRules(format!(
                    "{} rules, the manifest says {}",
                    native, kinds.native.count
                )));
            }
            if *kinds
                != (RulesByKind {
                    native: kinds.native.clone(),
                    sigma: SigmaKindEntry::of(&sigma),
                })
            {
                return Err(VerifyError::InvalidSigma(format!(
                    "{} documents ({}), the manifest's `rules.sigma` says {} ({})",
                    sigma.rules.len(),
                    SigmaKindEntry::of(&sigma).by_type_text(),
                    kinds.sigma.count,
                    kinds.sigma.by_type_text()
                )));
            }
            sigma
        }
    };

    checks.phase("verify: sigma.json");
    let expires = crate::parse_time(&manifest.expires)
        .map_err(|e| VerifyError::InvalidManifest(format!("`expires`: {e}")))?;
    if expires <= opts.now {
        return Err(VerifyError::Expired {
            expires: manifest.expires.clone(),
            now: crate::format_time(opts.now),
        });
    }
    if let Some(current) = opts.current_version {
        if manifest.version < current {
            return Err(VerifyError::Rollback {
                version: manifest.version,
                current,
            });
        }
    }
    Ok(sigma)
}

/// What the manifest's schema says beyond its types, checked by hand (a scanner has no
/// schema engine): the messages name the field. Never stricter than the schema.
fn check_manifest(m: &Manifest) -> Result<(), String> {
    let is_hex = |s: &str, lens: &[usize]| {
        lens.contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if m.format != FORMAT {
        return Err(format!("/format: `{}` is not `{FORMAT}`", m.format));
    }
    let name_ok = m.name.len() <= 100
        && m.name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && b"._-".contains(&b))
        });
    if m.name.is_empty() || !name_ok {
        return Err(format!("/name: `{}` is not a bundle name", m.name));
    }
    if !(19700101000000..=99991231235959).contains(&m.version) {
        return Err(format!("/version: {} is not YYYYMMDDHHMMSS", m.version));
    }
    if !is_hex(&m.commit, &[40, 64]) {
        return Err(format!("/commit: `{}` is not a full commit id", m.commit));
    }
    for (pointer, value) in [("/created", &m.created), ("/expires", &m.expires)] {
        crate::parse_time(value).map_err(|e| format!("{pointer}: {e}"))?;
    }
    if m.tool_version.is_empty() {
        return Err("/tool_version: empty".into());
    }
    if m.files.is_empty() {
        return Err("/files: no members listed".into());
    }
    for (i, f) in m.files.iter().enumerate() {
        if f.path == MANIFEST_NAME {
            return Err(format!(
                "/files/{i}/path: the manifest does not list itself"
            ));
        }
        archive::check_path(&f.path)
            .map_err(|problem| format!("/files/{i}/path: `{}`: {problem}", f.path))?;
        if !is_hex(&f.sha256, &[64]) {
            return Err(format!(
                "/files/{i}/sha256: `{}` is not a lower-case hex SHA-256",
                f.sha256
            ));
        }
    }
    match (&m.rules, m.format_version) {
        (None, 1) => {}
        (Some(_), 1) => return Err("/rules: not in a version 1 manifest".into()),
        (None, _) => return Err("/: `rules` is required from format version 2".into()),
        (Some(kinds), _) => {
            for (pointer, member, want) in [
                ("/rules/native/member", &kinds.native.member, RULES_NAME),
                ("/rules/sigma/member", &kinds.sigma.member, SIGMA_NAME),
            ] {
                if member != want {
                    return Err(format!("{pointer}: `{member}` is not `{want}`"));
                }
            }
        }
    }
    Ok(())
}

/// A bundle member whose last field is the `rules` list.
trait ListMember: serde::de::DeserializeOwned {
    type Item: serde::de::DeserializeOwned + Send;
    /// The member with its (empty) list replaced by `items`.
    fn with_items(self, items: Vec<Self::Item>) -> Self;
}

impl ListMember for RuleSet {
    type Item = CompiledRule;
    fn with_items(self, rules: Vec<Self::Item>) -> Self {
        RuleSet { rules, ..self }
    }
}

impl ListMember for SigmaSet {
    type Item = SigmaEntry;
    fn with_items(self, rules: Vec<Self::Item>) -> Self {
        SigmaSet { rules, ..self }
    }
}

/// A JSON object read in one pass with its `rules` list left as unparsed items (`None`:
/// no `rules`; not a list: an error), every other field parsed.
struct Split<'a> {
    head: serde_json::Map<String, serde_json::Value>,
    items: Option<Vec<&'a serde_json::value::RawValue>>,
}

impl<'de> serde::Deserialize<'de> for Split<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Split<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Split<'de>, A::Error> {
                let mut split = Split {
                    head: serde_json::Map::new(),
                    items: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "rules" {
                        split.items = Some(map.next_value()?);
                    } else {
                        split.head.insert(key, map.next_value()?);
                    }
                }
                Ok(split)
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a JSON member: present, JSON, passing `checks`, of the manifest's format version,
/// and of the expected shape.
fn member_json<T: ListMember>(
    members: &BTreeMap<String, Vec<u8>>,
    name: &str,
    checks: &dyn Checks,
    version: u32,
    error: fn(String) -> VerifyError,
) -> Result<T, VerifyError> {
    let direct = !checks.checks_items();
    let item = |i: usize, raw: &str| -> Result<T::Item, Vec<String>> {
        if direct {
            return serde_json::from_str(raw).map_err(|e| vec![format!("/rules/{i}: {e}")]);
        }
        let at = &format!("/rules/{i}");
        // Already read once as JSON: this parse cannot fail on syntax.
        let item: Value = serde_json::from_str(raw).map_err(|e| vec![format!("{at}: {e}")])?;
        let errors = checks.member_item(name, &item, at);
        if !errors.is_empty() {
            return Err(errors);
        }
        serde_json::from_value(item).map_err(|e| vec![format!("{at}: {e}")])
    };
    let parts = member_parts::<T, _>(members, name, checks, version, error, 1, |i, raws| {
        item(i, raws[0].get())
    })?;
    Ok(match parts {
        Parts::Whole(t) => t,
        Parts::Split(head, items, _) => head.with_items(items),
    })
}

/// `rules.json` read as [`member_json`] reads it (the same checks and errors), its rules
/// borrowing from the member's bytes and handed to `read` by runs: the head, what `read`
/// made of each run, and the number of rules.
fn rules_in_place<C: Send>(
    members: &BTreeMap<String, Vec<u8>>,
    version: u32,
    read: &(impl Fn(usize, &[CompiledRuleRef<'_>]) -> C + Sync),
) -> Result<(RuleSet, Vec<C>, usize), VerifyError> {
    let items = |first: usize, run: &[&serde_json::value::RawValue]| {
        let mut rules = Vec::with_capacity(run.len());
        let mut errors = Vec::new();
        for (k, raw) in run.iter().enumerate() {
            match serde_json::from_str::<CompiledRuleRef<'_>>(raw.get()) {
                Ok(r) => rules.push(r),
                Err(e) => errors.push(format!("/rules/{}: {e}", first + k)),
            }
        }
        if errors.is_empty() {
            Ok(read(first, &rules))
        } else {
            Err(errors)
        }
    };
    let parts = member_parts::<RuleSet, C>(
        members,
        RULES_NAME,
        &NoChecks,
        version,
        VerifyError::InvalidRules,
        IN_PLACE_RUN,
        items,
    )?;
    Ok(match parts {
        Parts::Whole(mut set) => {
            let rules: Vec<CompiledRuleRef<'_>> = std::mem::take(&mut set.rules)
                .into_iter()
                .map(CompiledRuleRef::from)
                .collect();
            let runs = rules.chunks(IN_PLACE_RUN).enumerate();
            let runs = runs.map(|(c, run)| read(c * IN_PLACE_RUN, run)).collect();
            (set, runs, rules.len())
        }
        Parts::Split(head, runs, n) => (head, runs, n),
    })
}

/// A member read whole (a document of another shape than expected, read by serde as a
/// whole), or split into its head (with an empty list) and its items.
enum Parts<T, I> {
    Whole(T),
    /// The head, what each run of items was read into, the number of items.
    Split(T, Vec<I>, usize),
}

/// Reads a JSON member: present, JSON, passing `checks`, of the manifest's format version,
/// and of the expected shape; its list is read by `items`, `run` items at a time (given the
/// index of the first and their text, borrowed from `members`; errors name each item
/// `/rules/INDEX`).
///
/// A large member is tens of megabytes: the top level is read with every value left
/// unparsed, then the items of `rules` are parsed, checked and read on all cores, and the
/// rest (with `"rules": []`) checked as the member. A member of another shape (not an
/// object, no `rules` list) is read whole, as the errors are then the checks' or serde's.
fn member_parts<'m, T: serde::de::DeserializeOwned, I: Send>(
    members: &'m BTreeMap<String, Vec<u8>>,
    name: &str,
    checks: &dyn Checks,
    version: u32,
    error: fn(String) -> VerifyError,
    run: usize,
    items: impl Fn(usize, &[&'m serde_json::value::RawValue]) -> Result<I, Vec<String>> + Sync,
) -> Result<Parts<T, I>, VerifyError> {
    use serde_json::value::RawValue;
    let bytes = members
        .get(name)
        .ok_or_else(|| VerifyError::MissingMember {
            path: name.to_string(),
        })?;
    let check_version = |head: &Value| {
        let own = head.get("format_version").and_then(|v| v.as_u64());
        if own != Some(u64::from(version)) {
            return Err(error(format!(
                "format_version {} in a version {version} bundle",
                own.map_or("missing".into(), |v| v.to_string())
            )));
        }
        Ok(())
    };
    let split = || -> Option<(Value, Vec<&'m RawValue>)> {
        let Split { mut head, items } = serde_json::from_slice(bytes).ok()?;
        head.insert("rules".into(), Value::Array(Vec::new()));
        Some((Value::Object(head), items?))
    };
    let Some((head, raws)) = split() else {
        let json: Value =
            serde_json::from_slice(bytes).map_err(|e| error(format!("not JSON: {e}")))?;
        let errors = checks.member(name, &json);
        if !errors.is_empty() {
            return Err(error(errors.join("; ")));
        }
        check_version(&json)?;
        return serde_json::from_value(json)
            .map(Parts::Whole)
            .map_err(|e| error(e.to_string()));
    };
    let n = raws.len();
    let run = run.max(1);
    let runs: Vec<(usize, &[&RawValue])> = raws.chunks(run).enumerate().collect();
    // At least this many items per thread (a run of many items is worth a thread of its own).
    const MIN_ITEMS_PER_THREAD: usize = 256;
    let min_runs = MIN_ITEMS_PER_THREAD.div_ceil(run);
    let checked: Vec<Result<I, Vec<String>>> =
        crate::par::map(runs, min_runs, |(c, part)| items(c * run, part));
    let mut errors = checks.member(name, &head);
    errors.extend(
        checked
            .iter()
            .filter_map(|c| c.as_ref().err())
            .flatten()
            .cloned(),
    );
    if !errors.is_empty() {
        errors.truncate(5);
        return Err(error(errors.join("; ")));
    }
    check_version(&head)?;
    let head: T = serde_json::from_value(head).map_err(|e| error(e.to_string()))?;
    let items = checked
        .into_iter()
        .map(|c| c.map_err(|e| error(e.join("; "))))
        .collect::<Result<_, _>>()?;
    Ok(Parts::Split(head, items, n))
}

fn check_comment(fields: &str, m: &Manifest) -> Result<(), VerifyError> {
    let mut seen = BTreeMap::new();
    for part in fields.split_whitespace() {
        if let Some((k, v)) = part.split_once('=') {
            seen.insert(k, v);
        }
    }
    let version = m.version.to_string();
    for (key, want) in [
        ("name", m.name.as_str()),
        ("version", version.as_str()),
        ("commit", m.commit.as_str()),
        ("expires", m.expires.as_str()),
    ] {
        match seen.get(key) {
            Some(v) if *v == want => {}
            Some(v) => {
                return Err(VerifyError::CommentMismatch(format!(
                    "{key}={v} in the comment, {want} in the manifest"
                )))
            }
            None => {
                return Err(VerifyError::CommentMismatch(format!(
                    "the comment has no {key}="
                )))
            }
        }
    }
    Ok(())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::tar_gz;
    use crate::manifest::{Counts, FileEntry, KindEntry};
    use crate::payload::TypeInfo;
    use crate::FORMAT_VERSION;

    fn rules_json(version: u32) -> Vec<u8> {
        let rule = CompiledRule {
            id: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d".into(),
            title: "A sample rule".into(),
            status: "test".into(),
            severity: "high".into(),
            confidence: None,
            tlp: None,
            tags: vec![],
            references: vec![],
            expires: None,
            condition: "1 of them".into(),
            groups: BTreeMap::from([(
                "g".to_string(),
                BTreeMap::from([("sha256".to_string(), vec!["ab".repeat(32)])]),
            )]),
        };
        let set = RuleSet {
            format_version: version,
            types: BTreeMap::from([(
                "sha256".to_string(),
                TypeInfo {
                    matching: "exact_hex".into(),
                    regex_allowed: false,
                    ecs_fields: vec!["file.hash.sha256".into()],
                },
            )]),
            rules: vec![rule],
        };
        serde_json::to_vec(&set).unwrap()
    }

    fn sigma_set() -> SigmaSet {
        SigmaSet {
            format_version: FORMAT_VERSION,
            rules: vec![SigmaEntry {
                id: "5f1a1c3e-8a7e-4c1e-9d3b-2f9a3e7c1b20".into(),
                doc_type: "rule".into(),
                name: None,
                title: "Sample".into(),
                status: Some("test".into()),
                level: Some("low".into()),
                document: serde_json::json!({"detection": {"sel": {"EventID": 1}}}),
            }],
        }
    }

    fn entry(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }

    const EXPORT: (&str, &[u8]) = ("exports/yara/rules.yar", b"rule a { condition: true }\n");

    /// A valid version 2 bundle with an extra member: (members but the manifest, manifest).
    fn sample() -> (Vec<(String, Vec<u8>)>, Manifest) {
        let rules = rules_json(FORMAT_VERSION);
        let sigma = serde_json::to_vec(&sigma_set()).unwrap();
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "sample".into(),
            version: 20240101000000,
            commit: "a".repeat(40),
            created: "2024-01-01T00:00:00Z".into(),
            expires: "2024-04-01T00:00:00Z".into(),
            tool_version: "0".into(),
            files: vec![
                entry("rules.json", &rules),
                entry("sigma.json", &sigma),
                entry(EXPORT.0, EXPORT.1),
            ],
            counts: Counts {
                rules: 1,
                indicators: 1,
                ..Default::default()
            },
            rules: Some(RulesByKind {
                native: KindEntry {
                    member: "rules.json".into(),
                    count: 1,
                },
                sigma: SigmaKindEntry::of(&sigma_set()),
            }),
        };
        let members = vec![
            ("rules.json".to_string(), rules),
            ("sigma.json".to_string(), sigma),
            (EXPORT.0.to_string(), EXPORT.1.to_vec()),
        ];
        (members, manifest)
    }

    fn pack(manifest: &Manifest, members: &[(String, Vec<u8>)]) -> Vec<u8> {
        pack_json(&serde_json::to_value(manifest).unwrap(), members)
    }

    fn pack_json(manifest: &Value, members: &[(String, Vec<u8>)]) -> Vec<u8> {
        let m = serde_json::to_vec(manifest).unwrap();
        let mut all: Vec<(&str, &[u8])> = vec![(MANIFEST_NAME, &m)];
        all.extend(members.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
        tar_gz(&all)
    }

    struct Signer {
        secret: minisign::SecretKey,
        trusted: TrustedKey,
    }

    impl Signer {
        fn new() -> Signer {
            let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
            let trusted = TrustedKey::parse(&pair.pk.to_base64()).unwrap();
            Signer {
                secret: pair.sk,
                trusted,
            }
        }
        fn sign(&self, data: &[u8], comment: &str) -> String {
            minisign::sign(None, &self.secret, data, Some(comment), None)
                .unwrap()
                .to_string()
        }
        /// [`verify()`], checked against [`verify_in_place`]: the same rules, or the same
        /// error.
        fn verify(&self, archive: &[u8], comment: &str) -> Result<VerifiedBundle, VerifyError> {
            let sig = self.sign(archive, comment);
            let keys = std::slice::from_ref(&self.trusted);
            let typed = verify(archive, &sig, keys, &opts());
            let in_place = verify_in_place(archive, &sig, keys, &opts(), |first, run| {
                let rules: Vec<CompiledRule> = run.iter().map(|r| r.to_owned_rule()).collect();
                (first, rules)
            })
            .map(|p| {
                let mut rules = Vec::new();
                for (first, run) in p.rules {
                    assert_eq!(first, rules.len());
                    rules.extend(run);
                }
                assert_eq!(p.native, rules.len());
                let set = RuleSet { rules, ..p.head };
                (set, p.manifest, p.sigma, p.members, p.key_id)
            });
            match (&typed, in_place) {
                (Ok(t), Ok(p)) => {
                    assert_eq!(t.rules, p.0);
                    assert_eq!((&t.manifest, &t.sigma), (&p.1, &p.2));
                    assert_eq!((&t.members, &t.key_id), (&p.3, &p.4));
                }
                (Err(t), Err(p)) => assert_eq!(*t, p),
                (t, p) => panic!("verify: {t:?}\nverify_in_place: {:?}", p.map(|p| p.0)),
            }
            typed
        }
    }

    fn opts() -> VerifyOptions {
        VerifyOptions {
            now: crate::parse_time("2024-02-01").unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn a_bundle_verifies_and_reads_as_typed_documents() {
        let (members, manifest) = sample();
        let archive = pack(&manifest, &members);
        let signer = Signer::new();
        let v = signer
            .verify(&archive, &crate::trusted_comment(&manifest))
            .unwrap();
        assert_eq!(v.manifest, manifest);
        assert_eq!(v.key_id, signer.trusted.key_id());
        assert_eq!(v.rules.rules[0].severity, "high");
        assert_eq!(v.rules.types["sha256"].ecs_fields, ["file.hash.sha256"]);
        assert_eq!(v.sigma.rules[0].document["detection"]["sel"]["EventID"], 1);
        // Any listed member is checked and handed over, whatever its path.
        assert_eq!(v.members[EXPORT.0], EXPORT.1);
        let mut tampered = members.clone();
        tampered[2].1[0] ^= 1;
        let e = signer.verify(&pack(&manifest, &tampered), "x").unwrap_err();
        assert_eq!(e.code(), "hash-mismatch", "{e}");
        let e = signer
            .verify(&pack(&manifest, &members[..2]), "x")
            .unwrap_err();
        assert_eq!(
            e,
            VerifyError::MissingMember {
                path: EXPORT.0.into()
            }
        );
        let mut extra = members.clone();
        extra.push(("exports/other.txt".into(), b"?".to_vec()));
        let e = signer.verify(&pack(&manifest, &extra), "x").unwrap_err();
        assert_eq!(e.code(), "unlisted-member", "{e}");
    }

    #[test]
    fn signatures_keys_comments_expiry_and_rollback() {
        let (members, manifest) = sample();
        let archive = pack(&manifest, &members);
        let (signer, other) = (Signer::new(), Signer::new());
        let comment = crate::trusted_comment(&manifest);
        let sig = signer.sign(&archive, &comment);
        let run = |keys: &[TrustedKey], sig: &str, opts: &VerifyOptions| {
            verify(&archive, sig, keys, opts).map(|_| ()).unwrap_err()
        };
        let e = run(std::slice::from_ref(&other.trusted), &sig, &opts());
        assert_eq!((e.code(), e.exit_code()), ("unknown-key", 4), "{e}");
        // Rotation: any trusted key that made the signature will do.
        let both = [other.trusted.clone(), signer.trusted.clone()];
        assert!(verify(&archive, &sig, &both, &opts()).is_ok());
        let e = run(&both, &signer.sign(b"another file", &comment), &opts());
        assert_eq!((e.code(), e.exit_code()), ("bad-signature", 3), "{e}");
        let e = run(&both, "not a signature", &opts());
        assert_eq!(e.code(), "malformed-signature", "{e}");
        let wrong = comment.replace("version=20240101000000", "version=20250101000000");
        let e = run(&both, &signer.sign(&archive, &wrong), &opts());
        assert_eq!(
            e,
            VerifyError::CommentMismatch(
                "version=20250101000000 in the comment, 20240101000000 in the manifest".into()
            )
        );
        let late = VerifyOptions {
            now: crate::parse_time("2024-04-01T00:00:00Z").unwrap(),
            ..opts()
        };
        let e = run(&both, &sig, &late);
        assert_eq!((e.code(), e.exit_code()), ("expired", 7), "{e}");
        let newer = VerifyOptions {
            current_version: Some(20240101000001),
            ..opts()
        };
        let e = run(&both, &sig, &newer);
        assert_eq!((e.code(), e.exit_code()), ("rollback", 8), "{e}");
    }

    #[test]
    fn manifests_are_checked_without_a_schema_engine() {
        let (members, manifest) = sample();
        let signer = Signer::new();
        let valid = serde_json::to_value(&manifest).unwrap();
        let reject = |change: &dyn Fn(&mut Value)| {
            let mut m = valid.clone();
            change(&mut m);
            match signer.verify(&pack_json(&m, &members), "x") {
                Err(VerifyError::InvalidManifest(message)) => message,
                other => panic!("{m}: {other:?}"),
            }
        };
        let m = reject(&|m| m["surprise"] = 1.into());
        assert!(m.contains("unknown field `surprise`"), "{m}");
        let m = reject(&|m| m["files"][0]["sha256"] = "AB".repeat(32).into());
        assert!(m.starts_with("/files/0/sha256: "), "{m}");
        let m = reject(&|m| m["files"][2]["path"] = "exports/../x".into());
        assert!(
            m.starts_with("/files/2/path: ") && m.contains("traversal"),
            "{m}"
        );
        let m = reject(&|m| m["commit"] = "abc".into());
        assert!(m.starts_with("/commit: "), "{m}");
        let m = reject(&|m| m["name"] = "Sample Rules".into());
        assert!(m.starts_with("/name: "), "{m}");
        let m = reject(&|m| m["expires"] = "soon".into());
        assert!(m.starts_with("/expires: "), "{m}");
        let m = reject(&|m| m["format"] = "other".into());
        assert!(m.starts_with("/format: "), "{m}");
        let m = reject(&|m| m["files"] = serde_json::json!([]));
        assert!(m.starts_with("/files: "), "{m}");
        let m = reject(&|m| m["rules"]["sigma"]["member"] = "rules.json".into());
        assert!(m.starts_with("/rules/sigma/member: "), "{m}");
        let m = reject(&|m| {
            m.as_object_mut().unwrap().remove("files");
        });
        assert!(m.contains("missing field"), "{m}");
        let e = signer
            .verify(&pack_json(&Value::from("{"), &members), "x")
            .unwrap_err();
        assert_eq!(e.code(), "invalid-manifest");
        let e = signer
            .verify(&tar_gz(&[("rules.json", b"{}")]), "x")
            .unwrap_err();
        assert_eq!(e, VerifyError::MissingManifest);
    }

    #[test]
    fn version_1_bundles_still_verify_and_kinds_are_counted() {
        let (members, v2) = sample();
        let signer = Signer::new();
        let rules = rules_json(1);
        let mut v1 = v2.clone();
        v1.format_version = 1;
        v1.rules = None;
        v1.files = vec![entry("rules.json", &rules)];
        let ok = signer
            .verify(&pack(&v1, &[("rules.json".into(), rules)]), "x")
            .unwrap();
        assert_eq!(ok.manifest.sigma_count(), 0);
        assert!(ok.sigma.rules.is_empty());
        assert_eq!(ok.rules.rules.len(), 1);
        let mut with_kinds = v1.clone();
        with_kinds.rules = v2.rules.clone();
        let mut no_kinds = v2.clone();
        no_kinds.rules = None;
        let mut miscount = v2.clone();
        miscount.rules.as_mut().unwrap().sigma.count = 2;
        let mut native_miscount = v2.clone();
        native_miscount.rules.as_mut().unwrap().native.count = 3;
        let mut v4 = v2.clone();
        v4.format_version = 4;
        for (m, code) in [
            (&with_kinds, "invalid-manifest"),
            (&no_kinds, "invalid-manifest"),
            (&miscount, "invalid-sigma"),
            (&native_miscount, "invalid-rules"),
            (&v4, "unsupported-format"),
        ] {
            let e = signer.verify(&pack(m, &members), "x").unwrap_err();
            assert_eq!(e.code(), code, "{e}");
        }
        // A version 1 rules.json in a version 3 bundle.
        let mut mixed = members.clone();
        mixed[0].1 = rules_json(1);
        let mut m = v2.clone();
        m.files[0] = entry("rules.json", &mixed[0].1);
        let e = signer.verify(&pack(&m, &mixed), "x").unwrap_err();
        assert_eq!(
            e,
            VerifyError::InvalidRules("format_version 1 in a version 3 bundle".into())
        );
    }

    #[test]
    fn payload_items_are_read_in_order_and_named_when_bad() {
        let (mut members, mut manifest) = sample();
        let mut set: Value = serde_json::from_slice(&members[0].1).unwrap();
        let rule = set["rules"][0].clone();
        let many: Vec<Value> = (0..5000)
            .map(|i| {
                let mut r = rule.clone();
                r["id"] = format!("rule-{i:05}").into();
                r
            })
            .collect();
        set["rules"] = many.clone().into();
        let write = |set: &Value, members: &mut Vec<(String, Vec<u8>)>, m: &mut Manifest| {
            members[0].1 = serde_json::to_vec(set).unwrap();
            m.files[0] = entry("rules.json", &members[0].1);
            m.rules.as_mut().unwrap().native.count = 5000;
        };
        write(&set, &mut members, &mut manifest);
        let signer = Signer::new();
        let ok = signer.verify(&pack(&manifest, &members), "x").unwrap();
        let ids: Vec<&str> = ok.rules.rules.iter().map(|r| r.id.as_str()).collect();
        let want: Vec<String> = (0..5000).map(|i| format!("rule-{i:05}")).collect();
        assert_eq!(ids, want);
        set["rules"][1500]["severity"] = 5.into();
        set["rules"][4500]["extra"] = 5.into();
        write(&set, &mut members, &mut manifest);
        match signer.verify(&pack(&manifest, &members), "x") {
            Err(VerifyError::InvalidRules(m)) => {
                assert!(m.starts_with("/rules/1500: "), "{m}");
                assert!(m.contains("; /rules/4500: unknown field `extra`"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Checks that reject what they are shown, and record the phases.
    struct Strict(std::sync::Mutex<Vec<String>>);

    impl Checks for Strict {
        fn manifest(&self, m: &Value) -> Vec<String> {
            if m["name"] == "sample" {
                vec![]
            } else {
                vec!["/name: not sample".into()]
            }
        }
        fn member_item(&self, member: &str, _item: &Value, at: &str) -> Vec<String> {
            if member == SIGMA_NAME {
                vec![format!("{at}: no Sigma here")]
            } else {
                vec![]
            }
        }
        fn phase(&self, name: &str) {
            self.0.lock().unwrap().push(name.to_string());
        }
    }

    #[test]
    fn callers_add_checks_and_see_the_phases() {
        let (members, manifest) = sample();
        let archive = pack(&manifest, &members);
        let signer = Signer::new();
        let sig = signer.sign(&archive, "x");
        let checks = Strict(Default::default());
        let keys = std::slice::from_ref(&signer.trusted);
        let e = verify_with(&archive, &sig, keys, &opts(), &checks).unwrap_err();
        assert_eq!(
            e,
            VerifyError::InvalidSigma("/rules/0: no Sigma here".into())
        );
        assert_eq!(
            checks.0.lock().unwrap().as_slice(),
            [
                "verify: signature",
                "verify: archive read",
                "verify: manifest and hashes",
                "verify: rules.json"
            ]
        );
        let mut renamed = manifest.clone();
        renamed.name = "other".into();
        let archive = pack(&renamed, &members);
        let sig = signer.sign(&archive, "x");
        let e = verify_with(&archive, &sig, keys, &opts(), &checks).unwrap_err();
        assert_eq!(e, VerifyError::InvalidManifest("/name: not sample".into()));
    }

    /// `rules.json` read in place reads as the typed rules do, escapes included, and is
    /// rejected with the same error wherever it is bad (`Signer::verify` compares the two).
    #[test]
    fn rules_read_in_place_agree_with_typed_rules() {
        let (mut members, mut manifest) = sample();
        let base: Value = serde_json::from_slice(&members[0].1).unwrap();
        let signer = Signer::new();
        let mut check = |edit: &dyn Fn(&mut Value), raw: Option<&str>| {
            let mut set = base.clone();
            edit(&mut set);
            members[0].1 = match raw {
                Some(text) => text.as_bytes().to_vec(),
                None => serde_json::to_vec(&set).unwrap(),
            };
            manifest.files[0] = entry("rules.json", &members[0].1);
            signer.verify(&pack(&manifest, &members), "x")
        };
        // Escaped strings (owned) next to plain ones (borrowed), an unknown type kept.
        let ok = check(
            &|s| {
                let r = &mut s["rules"][0];
                r["title"] = "quote \" tab \t é \u{1F600}".into();
                r["tags"] = serde_json::json!(["a/b", "c\\d"]);
                r["groups"]["g\n2"] = serde_json::json!({"other": ["x\"y"]});
            },
            None,
        )
        .unwrap();
        assert_eq!(ok.rules.rules[0].title, "quote \" tab \t é \u{1F600}");
        assert_eq!(ok.rules.rules[0].groups["g\n2"]["other"], ["x\"y"]);
        let bad: [&dyn Fn(&mut Value); 9] = [
            &|s| s["rules"][0]["severity"] = 5.into(),
            &|s| s["rules"][0]["tags"] = "a".into(),
            &|s| s["rules"][0]["groups"]["g"]["sha256"] = serde_json::json!([1]),
            &|s| s["rules"][0]["groups"] = serde_json::json!([]),
            &|s| s["rules"][0]["extra"] = true.into(),
            &|s| drop(s["rules"][0].as_object_mut().unwrap().remove("condition")),
            &|s| s["rules"][0]["confidence"] = serde_json::json!({}),
            &|s| s["rules"] = serde_json::json!({}),
            &|s| drop(s.as_object_mut().unwrap().remove("rules")),
        ];
        for (i, edit) in bad.iter().enumerate() {
            let e = check(edit, None).unwrap_err();
            assert_eq!(e.code(), "invalid-rules", "case {i}: {e}");
        }
        // Repeated keys: a repeated field is an error, a repeated group keeps the last.
        let text = String::from_utf8(serde_json::to_vec(&base).unwrap()).unwrap();
        let repeated_field = text.replace("\"status\":", "\"status\":\"x\",\"status\":");
        let e = check(&|_| {}, Some(&repeated_field)).unwrap_err();
        assert!(e.to_string().contains("duplicate field `status`"), "{e}");
        let repeated_group = text.replace("\"groups\":{", "\"groups\":{\"g\":{},");
        let ok = check(&|_| {}, Some(&repeated_group)).unwrap();
        assert_eq!(ok.rules.rules[0].groups["g"]["sha256"].len(), 1);
        let e = check(&|_| {}, Some("[1]")).unwrap_err();
        assert_eq!(e.code(), "invalid-rules", "{e}");
    }

    #[test]
    fn mutated_archives_are_rejected_without_panics() {
        let (members, manifest) = sample();
        let archive = pack(&manifest, &members);
        let signer = Signer::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rejected = 0;
        for i in 0..archive.len() + 50 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bad = archive.clone();
            if i < archive.len() {
                bad[i] ^= (seed as u8) | 1;
            } else {
                bad.truncate(seed as usize % archive.len());
            }
            match signer.verify(&bad, "x") {
                Ok(v) => assert_eq!(v.manifest, manifest, "byte {i}"),
                Err(_) => rejected += 1,
            }
        }
        assert!(rejected > archive.len() * 9 / 10, "{rejected}");
    }
}
