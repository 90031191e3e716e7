//! Verifying a bundle: signature first, over the archive bytes, before anything is
//! decompressed; then the archive (bounded), the manifest, every member, expiry, rollback.

use super::archive;
use super::compile::RuleSet;
use super::sigma::SigmaSet;
use super::sign::{signature_key_id, KeyId, TrustedKey};
use super::{Manifest, FORMAT, MANIFEST_NAME, READABLE_VERSIONS};
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
    /// `manifest.json` is not JSON, or does not match `bundle-manifest.schema.json`.
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// The manifest's format version is not one this verifier reads.
    #[error("unsupported bundle format version {0} (this verifier reads versions 1 and 2)")]
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

/// Verifies a bundle: `archive` is the `.tar.gz` bytes, `signature` the `.minisig` text,
/// `keys` the trusted public keys (several during a key rotation).
///
/// Checks, in this order, each failure with its own [`VerifyError`] variant:
/// 1. the signature, over the archive bytes, by one of `keys` (before decompressing);
/// 2. the archive decompresses within `opts.max_unpacked` bytes, is a valid tar of regular
///    files with safe, unique relative paths;
/// 3. `manifest.json` exists and matches `schemas/bundle-manifest.schema.json`, with a
///    supported format version;
/// 4. a `ruleforge-bundle …` trusted comment agrees with the manifest (other comments, e.g.
///    from signing with stock `minisign`, are accepted as they are);
/// 5. every member is listed, every listed member is present with the listed size and SHA-256;
/// 6. `rules.json` matches `schemas/bundle-rules.schema.json` and, from format version 2,
///    `sigma.json` matches `schemas/bundle-sigma.schema.json`; the manifest's `rules` names
///    listed members and counts what they hold;
/// 7. `expires` is after `opts.now`;
/// 8. the version is not below `opts.current_version` (rollback).
///
/// ```no_run
/// use ruleforge::bundle::{self, TrustedKey, VerifyOptions};
/// let archive = std::fs::read("rules-20250101000000.tar.gz")?;
/// let signature = std::fs::read_to_string("rules-20250101000000.tar.gz.minisig")?;
/// let key = TrustedKey::parse(&std::fs::read_to_string("bundle.pub")?)?;
/// let opts = VerifyOptions { current_version: Some(20241201000000), ..Default::default() };
/// let verified = bundle::verify(&archive, &signature, &[key], &opts)?;
/// for rule in &verified.rules.rules {
///     println!("{} {}", rule.id, rule.title);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    archive: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    opts: &VerifyOptions,
) -> Result<VerifiedBundle, VerifyError> {
    let (key_id, trusted_comment) = verify_signature(archive, signature, keys)?;
    crate::timings::mark("verify: signature");

    let members = archive::read(archive, opts.max_unpacked)?;
    let mut members: BTreeMap<String, Vec<u8>> = members.into_iter().collect();
    crate::timings::mark("verify: archive read");

    let manifest_bytes = members
        .remove(MANIFEST_NAME)
        .ok_or(VerifyError::MissingManifest)?;
    let manifest_json: serde_json::Value = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| VerifyError::InvalidManifest(format!("not JSON: {e}")))?;
    if manifest_json.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
        if let Some(v) = manifest_json.get("format_version").and_then(|v| v.as_u64()) {
            if !READABLE_VERSIONS.iter().any(|&r| u64::from(r) == v) {
                return Err(VerifyError::UnsupportedFormat(v));
            }
        }
    }
    let errors = super::schema_errors(super::manifest_validator(), &manifest_json);
    if !errors.is_empty() {
        return Err(VerifyError::InvalidManifest(errors.join("; ")));
    }
    let manifest: Manifest = serde_json::from_value(manifest_json)
        .map_err(|e| VerifyError::InvalidManifest(e.to_string()))?;

    if let Some(fields) = trusted_comment.strip_prefix(super::COMMENT_PREFIX) {
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

    crate::timings::mark("verify: manifest and hashes");
    let version = manifest.format_version;
    let rules: RuleSet = member_json(
        &members,
        super::RULES_NAME,
        (super::rules_validator(), super::rules_item_validator()),
        version,
        VerifyError::InvalidRules,
    )?;
    crate::timings::mark("verify: rules.json");
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
                &members,
                super::SIGMA_NAME,
                (super::sigma_validator(), super::sigma_item_validator()),
                version,
                VerifyError::InvalidSigma,
            )?;
            if kinds.native.count != rules.rules.len() as u64 {
                return Err(VerifyError::InvalidRules(format!(
                    "{} rules, the manifest says {}",
                    rules.rules.len(),
                    kinds.native.count
                )));
            }
            if *kinds
                != (super::RulesByKind {
                    native: kinds.native.clone(),
                    sigma: super::SigmaKindEntry::of(&sigma),
                })
            {
                return Err(VerifyError::InvalidSigma(format!(
                    "{} documents ({}), the manifest's `rules.sigma` says {} ({})",
                    sigma.rules.len(),
                    super::SigmaKindEntry::of(&sigma).by_type_text(),
                    kinds.sigma.count,
                    kinds.sigma.by_type_text()
                )));
            }
            sigma
        }
    };

    crate::timings::mark("verify: sigma.json");
    let expires = super::parse_time(&manifest.expires)
        .map_err(|e| VerifyError::InvalidManifest(format!("`expires`: {e}")))?;
    if expires <= opts.now {
        return Err(VerifyError::Expired {
            expires: manifest.expires.clone(),
            now: super::format_time(opts.now),
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
    Ok(VerifiedBundle {
        manifest,
        rules,
        sigma,
        key_id,
        trusted_comment,
        members,
    })
}

/// A bundle member whose last field is the `rules` list.
pub(crate) trait ListMember: serde::de::DeserializeOwned {
    type Item: serde::de::DeserializeOwned + Send;
    /// The member with its (empty) list replaced by `items`.
    fn with_items(self, items: Vec<Self::Item>) -> Self;
}

impl ListMember for RuleSet {
    type Item = super::compile::CompiledRule;
    fn with_items(self, rules: Vec<Self::Item>) -> Self {
        RuleSet { rules, ..self }
    }
}

impl ListMember for SigmaSet {
    type Item = super::sigma::SigmaEntry;
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

/// Reads a JSON member: present, JSON, valid against its schema, of the manifest's format
/// version, and of the expected shape.
///
/// A large member is tens of megabytes: the top level is read with every value left
/// unparsed, then the items of `rules` are parsed, checked against the items schema and
/// read in parallel, and the rest (with `"rules": []`) against the member's schema. A member
/// of another shape (not an object, no `rules` list) is read whole, as the errors are then
/// the schema's.
fn member_json<T: ListMember>(
    members: &BTreeMap<String, Vec<u8>>,
    name: &str,
    (validator, item_validator): (&jsonschema::Validator, &jsonschema::Validator),
    version: u32,
    error: fn(String) -> VerifyError,
) -> Result<T, VerifyError> {
    use rayon::prelude::*;
    use serde_json::value::RawValue;
    use serde_json::Value;
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
    let split = || -> Option<(Value, Vec<&RawValue>)> {
        let Split { mut head, items } = serde_json::from_slice(bytes).ok()?;
        head.insert("rules".into(), Value::Array(Vec::new()));
        Some((Value::Object(head), items?))
    };
    let Some((head, items)) = split() else {
        let json: Value =
            serde_json::from_slice(bytes).map_err(|e| error(format!("not JSON: {e}")))?;
        let errors = super::schema_errors(validator, &json);
        if !errors.is_empty() {
            return Err(error(errors.join("; ")));
        }
        check_version(&json)?;
        return serde_json::from_value(json).map_err(|e| error(e.to_string()));
    };
    let checked: Vec<Result<T::Item, Vec<String>>> = items
        .par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let at = format!("/rules/{i}");
            // Already read once as JSON: this parse cannot fail on syntax.
            let item: Value =
                serde_json::from_str(raw.get()).map_err(|e| vec![format!("{at}: {e}")])?;
            let errors = super::schema_errors_at(item_validator, &item, &at);
            if !errors.is_empty() {
                return Err(errors);
            }
            serde_json::from_value(item).map_err(|e| vec![format!("{at}: {e}")])
        })
        .collect();
    let mut errors = super::schema_errors(validator, &head);
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
    Ok(head.with_items(items))
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
    use crate::bundle::{compile, sign, Counts, FileEntry, FORMAT_VERSION};

    fn sample_rules(version: u32) -> Vec<u8> {
        let rule = crate::rule::RuleFile::parse(crate::source::SourceFile::new(
            "rules/a.yml",
            "id: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d\ntitle: A sample rule\nstatus: test\n\
             severity: high\nindicators:\n  g:\n    sha256: \
             ['32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77']\n",
        ));
        let set = RuleSet {
            format_version: version,
            types: compile::type_table(),
            rules: vec![compile::compile_rule(&rule).unwrap()],
        };
        compile::to_json(&set)
    }

    fn entry(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }

    /// A small valid bundle: (archive, manifest).
    fn sample() -> (Vec<u8>, Manifest) {
        let rules = sample_rules(FORMAT_VERSION);
        let sigma_file = crate::sigma::SigmaFile::parse(crate::source::SourceFile::new(
            "sigma/a.yml",
            "title: Sample\nid: 5f1a1c3e-8a7e-4c1e-9d3b-2f9a3e7c1b20\nstatus: test\nlevel: low\n\
             logsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 1\n  condition: sel\n",
        ));
        let sigma_set = SigmaSet {
            format_version: FORMAT_VERSION,
            rules: crate::bundle::sigma::compile_file(&sigma_file)
                .into_iter()
                .map(Result::unwrap)
                .collect(),
        };
        let sigma = crate::bundle::sigma::set_to_json(&sigma_set);
        let counts: Counts = serde_json::from_value(serde_json::json!({
            "rules": 1, "indicators": 1, "rules_by_status": {"test": 1},
            "rules_by_severity": {"high": 1}, "indicators_by_type": {"sha256": 1}
        }))
        .unwrap();
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "sample".into(),
            version: 20240101000000,
            commit: "a".repeat(40),
            created: "2024-01-01T00:00:00Z".into(),
            expires: "2024-04-01T00:00:00Z".into(),
            tool_version: "0".into(),
            files: vec![entry("rules.json", &rules), entry("sigma.json", &sigma)],
            counts,
            rules: Some(crate::bundle::RulesByKind {
                native: crate::bundle::KindEntry {
                    member: "rules.json".into(),
                    count: 1,
                },
                sigma: crate::bundle::SigmaKindEntry::of(&sigma_set),
            }),
        };
        let m = serde_json::to_vec(&manifest).unwrap();
        let archive = archive::write(
            &[
                ("manifest.json", &m),
                ("rules.json", &rules),
                ("sigma.json", &sigma),
            ],
            0,
        )
        .unwrap();
        (archive, manifest)
    }

    fn keys() -> (sign::SigningKey, TrustedKey) {
        let g = sign::generate(None).unwrap();
        let key = sign::load_secret_key(&g.secret_key_text, "k", &mut || unreachable!()).unwrap();
        (key, TrustedKey::parse(&g.public_key_text).unwrap())
    }

    fn opts() -> VerifyOptions {
        VerifyOptions {
            now: crate::bundle::parse_time("2024-02-01").unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn rules_members_are_checked_item_by_item_and_whole() {
        let valid: serde_json::Value = serde_json::from_slice(&sample_rules(2)).unwrap();
        let read = |v: &serde_json::Value| {
            let bytes = match v {
                serde_json::Value::String(s) => s.clone().into_bytes(),
                v => serde_json::to_vec(v).unwrap(),
            };
            let members = BTreeMap::from([("rules.json".to_string(), bytes)]);
            member_json::<RuleSet>(
                &members,
                "rules.json",
                (
                    super::super::rules_validator(),
                    super::super::rules_item_validator(),
                ),
                2,
                VerifyError::InvalidRules,
            )
        };
        let message = |v: serde_json::Value| match read(&v) {
            Err(VerifyError::InvalidRules(m)) => m,
            other => panic!("{v}: {other:?}"),
        };
        let ok = read(&valid).unwrap();
        assert_eq!(ok.rules.len(), 1);
        assert_eq!(ok.types, compile::type_table());
        // A bad second rule is named by its place in the list.
        let mut two = valid.clone();
        let mut bad = two["rules"][0].clone();
        bad["severity"] = "dire".into();
        two["rules"].as_array_mut().unwrap().push(bad);
        let m = message(two);
        assert!(m.starts_with("/rules/1/severity: "), "{m}");
        // A bad top level, with valid rules.
        let mut extra = valid.clone();
        extra["surprise"] = 1.into();
        let m = message(extra);
        assert!(m.starts_with("/: ") && m.contains("surprise"), "{m}");
        // Other shapes are read whole: the schema's errors.
        let m = message(serde_json::json!([]));
        assert!(m.starts_with("/: "), "{m}");
        let mut not_a_list = valid.clone();
        not_a_list["rules"] = 5.into();
        let m = message(not_a_list);
        assert!(m.starts_with("/rules: "), "{m}");
        let mut old = valid.clone();
        old["format_version"] = 1.into();
        assert_eq!(message(old), "format_version 1 in a version 2 bundle");
        let m = message(serde_json::Value::String("{\"rules\": [".into()));
        assert!(m.starts_with("not JSON: "), "{m}");
    }

    #[test]
    fn version_1_bundles_still_verify() {
        let (archive, v2) = sample();
        let (key, pk) = keys();
        let ok = verify(
            &archive,
            &sign::sign(&key, &archive, "x").unwrap(),
            std::slice::from_ref(&pk),
            &opts(),
        )
        .unwrap();
        assert_eq!(ok.sigma.rules.len(), 1);
        assert_eq!(ok.sigma.rules[0].document["detection"]["sel"]["EventID"], 1);
        // The same rules as a version 1 bundle: no sigma.json, no `rules`.
        let rules = sample_rules(1);
        let mut v1 = v2.clone();
        v1.format_version = 1;
        v1.rules = None;
        v1.files = vec![entry("rules.json", &rules)];
        let m = serde_json::to_vec(&v1).unwrap();
        let b = archive::write(&[("manifest.json", &m), ("rules.json", &rules)], 0).unwrap();
        let ok = verify(
            &b,
            &sign::sign(&key, &b, "x").unwrap(),
            std::slice::from_ref(&pk),
            &opts(),
        )
        .unwrap();
        assert_eq!(ok.manifest.sigma_count(), 0);
        assert!(ok.sigma.rules.is_empty());
        assert_eq!(ok.rules.rules.len(), 1);
        // A version 1 manifest with `rules`, a version 2 one without, a wrong count, a
        // version 3: rejected.
        let mut bad = v1.clone();
        bad.rules = v2.rules.clone();
        let mut no_kinds = v2.clone();
        no_kinds.rules = None;
        let mut miscount = v2.clone();
        miscount.rules.as_mut().unwrap().sigma.count = 2;
        let mut v3 = v2.clone();
        v3.format_version = 3;
        for (m, code) in [
            (&bad, "invalid-manifest"),
            (&no_kinds, "invalid-manifest"),
            (&miscount, "invalid-sigma"),
            (&v3, "unsupported-format"),
        ] {
            let members = archive::read(&archive, 1 << 20).unwrap();
            let m = serde_json::to_vec(m).unwrap();
            let mut with: Vec<(&str, &[u8])> = vec![("manifest.json", &m)];
            for (p, d) in &members[1..] {
                with.push((p, d));
            }
            let b = archive::write(&with, 0).unwrap();
            let e = verify(
                &b,
                &sign::sign(&key, &b, "x").unwrap(),
                std::slice::from_ref(&pk),
                &opts(),
            )
            .unwrap_err();
            assert_eq!(e.code(), code, "{e}");
        }
    }

    #[test]
    fn mutated_archives_are_rejected_without_panics() {
        let (archive, manifest) = sample();
        let (key, pk) = keys();
        let opts = opts();
        let comment = crate::bundle::trusted_comment(&manifest);
        let sig = sign::sign(&key, &archive, &comment).unwrap();
        let ok = verify(&archive, &sig, std::slice::from_ref(&pk), &opts).unwrap();
        assert_eq!(ok.manifest, manifest);
        // Every byte damaged in turn, then truncations; re-signed so that the checks after
        // the signature see the damage. Each must be an error or (a byte in the gzip header's
        // unused fields) a harmless change: never a panic, never other contents.
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
            let sig = sign::sign(&key, &bad, &comment).unwrap();
            match verify(&bad, &sig, std::slice::from_ref(&pk), &opts) {
                Ok(v) => assert_eq!(v.manifest, manifest, "byte {i}"),
                Err(_) => rejected += 1,
            }
        }
        assert!(rejected > archive.len() * 9 / 10, "{rejected}");
    }
}
