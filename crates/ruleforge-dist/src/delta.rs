//! Delta bundles: what changed between two bundles of the same name, signed, so that a
//! scanner that holds the old bundle downloads a few kilobytes instead of the whole bundle
//! and rebuilds the new one byte for byte.
//!
//! A delta is a `.tar.gz` (written like a bundle archive) of these members, in this order:
//!
//! - `delta.json` ([`DeltaDoc`]): format and version, the bundle name, the base (the old
//!   bundle's file name, version, size and SHA-256) and the target (the same of the new
//!   bundle), the target's signatures, and the members the delta patches or carries whole.
//! - `manifest.json`: the new bundle's manifest, byte for byte.
//! - `patch/<member>` for each rule list member (`rules.json`, `sigma.json`) that changed:
//!   a [`ListPatch`] (the member's text before and after its `rules` list, the ids of the
//!   removed rules — tombstones —, and the changed and added rules, each as its exact JSON).
//! - `whole/<member>` for every other member that changed or was added (exports, …).
//!
//! Members of the new bundle named neither under `patch/` nor `whole/` are the old bundle's,
//! unchanged. A delta is signed like a bundle (`DELTA.minisig`, `DELTA.minisig.2`, …), with
//! the trusted comment `ruleforge-delta name=… version=… base=<sha256> target=<sha256>`.
//!
//! [`apply`] checks, in this order, before it returns anything: the delta's signatures (a
//! threshold of distinct trusted keys) and their trusted comments, the delta's format version,
//! that the old bundle is the delta's base (its SHA-256), every member of the new bundle
//! against the size and SHA-256 the new (signed) manifest gives, and the rebuilt archive
//! against the target's SHA-256 and the target's own signatures. Bundle archives are written
//! byte-reproducibly ([`ruleforge_bundle::archive::write_pieces`]), so the rebuilt archive is
//! the publisher's archive, byte for byte, and its signatures are the publisher's.

use crate::error::DistError;
use crate::threshold;
use ruleforge_bundle::archive;
use ruleforge_bundle::{FileEntry, KeyId, Manifest, TrustedKey, MANIFEST_NAME};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `format` of every `delta.json`.
pub const FORMAT: &str = "ruleforge-delta";
/// The delta format version written and read.
pub const FORMAT_VERSION: u32 = 1;
/// The delta's own document.
pub const DELTA_NAME: &str = "delta.json";
/// Start of the trusted comment of delta signatures.
pub const COMMENT_PREFIX: &str = "ruleforge-delta ";
/// Folder of patched rule list members in a delta.
pub const PATCH_DIR: &str = "patch/";
/// Folder of whole members in a delta.
pub const WHOLE_DIR: &str = "whole/";
/// Members whose `rules` list is patched rule by rule.
pub const LIST_MEMBERS: [&str; 2] = [ruleforge_bundle::RULES_NAME, ruleforge_bundle::SIGMA_NAME];

/// `delta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaDoc {
    /// Always `ruleforge-delta`.
    pub format: String,
    pub format_version: u32,
    /// The bundle name (the same for base and target).
    pub name: String,
    /// The bundle this delta applies to.
    pub base: Side,
    /// The bundle it rebuilds.
    pub target: Side,
    /// The target bundle's detached minisign signatures, in order (`BUNDLE.minisig`,
    /// `BUNDLE.minisig.2`, …).
    pub signatures: Vec<String>,
    /// Members carried under `patch/`, in the new manifest's order.
    pub patched: Vec<String>,
    /// Members carried under `whole/`, in the new manifest's order.
    pub whole: Vec<String>,
}

/// One end of a delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// The bundle's file name (`<name>-<version>.tar.gz`).
    pub file: String,
    pub version: u64,
    /// Size of the archive in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the archive.
    pub sha256: String,
}

/// A `patch/<member>` document: the member is `head`, the rules joined by `,`, then `tail`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPatch<'a> {
    /// The member's text up to and including the `[` of its `rules` list.
    pub head: String,
    /// The member's text from the `]` of its `rules` list on.
    pub tail: String,
    /// Ids of removed rules (tombstones), sorted.
    pub removed: Vec<String>,
    /// Rules whose content changed, as their exact JSON, sorted by id.
    #[serde(borrow)]
    pub changed: Vec<&'a RawValue>,
    /// Rules that are new, as their exact JSON, sorted by id.
    #[serde(borrow)]
    pub added: Vec<&'a RawValue>,
}

/// The trusted comment of a delta's signatures.
pub fn trusted_comment(doc: &DeltaDoc) -> String {
    format!(
        "{COMMENT_PREFIX}name={} version={} base={} target={}",
        doc.name, doc.target.version, doc.base.sha256, doc.target.sha256
    )
}

/// The file name of the delta from `base` to the bundle file `target`:
/// `<target>.delta-<first 12 hex digits of the base's SHA-256>.tar.gz`.
pub fn file_name(target_file: &str, base_sha256: &str) -> String {
    let stem = target_file.strip_suffix(".tar.gz").unwrap_or(target_file);
    format!(
        "{stem}.delta-{}.tar.gz",
        &base_sha256[..base_sha256.len().min(12)]
    )
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    ruleforge_bundle::hex(&Sha256::digest(data))
}

/// A rule list member cut into its parts: the text before the list, the rules (exact JSON,
/// borrowed from the member), the text after.
struct List<'a> {
    head: &'a [u8],
    items: Vec<&'a RawValue>,
    tail: &'a [u8],
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

/// The `id` of one rule's JSON.
fn id_of(item: &RawValue) -> Result<String, String> {
    serde_json::from_str::<IdOnly>(item.get())
        .map(|i| i.id.into_owned())
        .map_err(|e| format!("a rule without a string `id` ({e})"))
}

/// Cuts a member whose last field is the `rules` list.
fn split_list(member: &[u8]) -> Result<List<'_>, String> {
    let fields: BTreeMap<&str, &RawValue> =
        serde_json::from_slice(member).map_err(|e| format!("not a JSON object: {e}"))?;
    let rules = fields.get("rules").ok_or("no `rules` list")?;
    let items: Vec<&RawValue> =
        serde_json::from_str(rules.get()).map_err(|e| format!("`rules` is not a list: {e}"))?;
    let base = member.as_ptr() as usize;
    let start = rules.get().as_ptr() as usize - base;
    let end = start + rules.get().len();
    if member[end..].contains(&b'"') {
        return Err("`rules` is not the last field".into());
    }
    Ok(List {
        head: &member[..start + 1],
        items,
        tail: &member[end - 1..],
    })
}

/// What [`make`] produced.
#[derive(Debug, Clone)]
pub struct Made {
    pub doc: DeltaDoc,
    /// The delta archive (unsigned: sign it with [`trusted_comment`]).
    pub archive: Vec<u8>,
    /// Rules changed, added and removed, over all list members.
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
}

/// Makes the delta from the bundle archive `old` to `new` (whose signatures are
/// `new_signatures`). Both are read with `max_unpacked` as the bound; the new bundle must
/// have the same name and a later version.
pub fn make(
    old: (&str, &[u8]),
    new: (&str, &[u8]),
    new_signatures: &[String],
    max_unpacked: u64,
) -> Result<Made, String> {
    let (old_file, old_archive) = old;
    let (new_file, new_archive) = new;
    let old_members =
        archive::read(old_archive, max_unpacked).map_err(|e| format!("{old_file}: {e}"))?;
    let new_members =
        archive::read(new_archive, max_unpacked).map_err(|e| format!("{new_file}: {e}"))?;
    let manifest_of = |file: &str, members: &[(String, Vec<u8>)]| -> Result<Manifest, String> {
        let (_, bytes) = members
            .iter()
            .find(|(p, _)| p == MANIFEST_NAME)
            .ok_or_else(|| format!("{file}: no {MANIFEST_NAME}"))?;
        serde_json::from_slice(bytes).map_err(|e| format!("{file}: {MANIFEST_NAME}: {e}"))
    };
    let old_manifest = manifest_of(old_file, &old_members)?;
    let new_manifest = manifest_of(new_file, &new_members)?;
    if old_manifest.name != new_manifest.name {
        return Err(format!(
            "{old_file} is bundle `{}`, {new_file} is bundle `{}`: a delta joins two versions of one bundle",
            old_manifest.name, new_manifest.name
        ));
    }
    if old_manifest.version >= new_manifest.version {
        return Err(format!(
            "{old_file} has version {}, not older than {new_file}'s {}",
            old_manifest.version, new_manifest.version
        ));
    }
    let old_by_path: BTreeMap<&str, &[u8]> = old_members
        .iter()
        .map(|(p, d)| (p.as_str(), &d[..]))
        .collect();
    let mut doc = DeltaDoc {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: new_manifest.name.clone(),
        base: Side {
            file: old_file.into(),
            version: old_manifest.version,
            size: old_archive.len() as u64,
            sha256: sha256_hex(old_archive),
        },
        target: Side {
            file: new_file.into(),
            version: new_manifest.version,
            size: new_archive.len() as u64,
            sha256: sha256_hex(new_archive),
        },
        signatures: new_signatures.to_vec(),
        patched: Vec::new(),
        whole: Vec::new(),
    };
    let (mut changed, mut added, mut removed) = (0, 0, 0);
    let mut patches: Vec<(String, Vec<u8>)> = Vec::new();
    let mut wholes: Vec<(String, &[u8])> = Vec::new();
    for (path, data) in &new_members {
        if path == MANIFEST_NAME {
            continue;
        }
        let old = old_by_path.get(path.as_str()).copied();
        if old == Some(&data[..]) {
            continue;
        }
        let patch = match old {
            Some(old) if LIST_MEMBERS.contains(&path.as_str()) => list_patch(old, data),
            _ => None,
        };
        match patch {
            Some((bytes, c, a, r)) => {
                changed += c;
                added += a;
                removed += r;
                doc.patched.push(path.clone());
                patches.push((format!("{PATCH_DIR}{path}"), bytes));
            }
            None => {
                doc.whole.push(path.clone());
                wholes.push((format!("{WHOLE_DIR}{path}"), data));
            }
        }
    }
    let mut doc_json = serde_json::to_vec_pretty(&doc).expect("delta document serializes");
    doc_json.push(b'\n');
    let new_manifest_bytes = &new_members
        .iter()
        .find(|(p, _)| p == MANIFEST_NAME)
        .expect("found above")
        .1;
    let mut members: Vec<(&str, &[u8])> = vec![
        (DELTA_NAME, &doc_json[..]),
        (MANIFEST_NAME, &new_manifest_bytes[..]),
    ];
    members.extend(patches.iter().map(|(p, d)| (p.as_str(), &d[..])));
    members.extend(wholes.iter().map(|(p, d)| (p.as_str(), *d)));
    let mtime = manifest_mtime(&new_manifest)?;
    let archive =
        archive::write(&members, mtime).map_err(|e| format!("cannot write the delta: {e}"))?;
    Ok(Made {
        doc,
        archive,
        changed,
        added,
        removed,
    })
}

/// The archive mtime of a bundle: its commit time (`created`).
fn manifest_mtime(m: &Manifest) -> Result<u64, String> {
    ruleforge_bundle::parse_time(&m.created)
        .map(|t| t.unix_timestamp().max(0) as u64)
        .map_err(|e| format!("{MANIFEST_NAME}: created `{}`: {e}", m.created))
}

/// The patch from list member `old` to `new`, with the counts of changed, added and removed
/// rules; `None` when either is not a list of rules sorted by unique id (then the member
/// travels whole).
fn list_patch(old: &[u8], new: &[u8]) -> Option<(Vec<u8>, usize, usize, usize)> {
    let (old, new) = (split_list(old).ok()?, split_list(new).ok()?);
    let ids = |items: &[&RawValue]| -> Option<Vec<String>> {
        let ids = items
            .iter()
            .map(|i| id_of(i).ok())
            .collect::<Option<Vec<_>>>()?;
        ids.windows(2).all(|w| w[0] < w[1]).then_some(ids)
    };
    let (old_ids, new_ids) = (ids(&old.items)?, ids(&new.items)?);
    let mut patch = ListPatch {
        head: String::from_utf8(new.head.to_vec()).ok()?,
        tail: String::from_utf8(new.tail.to_vec()).ok()?,
        removed: Vec::new(),
        changed: Vec::new(),
        added: Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    while i < old_ids.len() || j < new_ids.len() {
        match (old_ids.get(i), new_ids.get(j)) {
            (Some(a), Some(b)) if a == b => {
                if old.items[i].get() != new.items[j].get() {
                    patch.changed.push(new.items[j]);
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                patch.removed.push(a.clone());
                i += 1;
            }
            (Some(a), None) => {
                patch.removed.push(a.clone());
                i += 1;
            }
            _ => {
                patch.added.push(new.items[j]);
                j += 1;
            }
        }
    }
    let counts = (patch.changed.len(), patch.added.len(), patch.removed.len());
    let mut bytes = serde_json::to_vec(&patch).ok()?;
    bytes.push(b'\n');
    Some((bytes, counts.0, counts.1, counts.2))
}

/// Reads `delta.json` of a delta without checking its signatures (the publisher's side:
/// `push --delta` annotates the layer with the base it names).
pub fn read_doc(delta: &[u8], max_unpacked: u64) -> Result<DeltaDoc, String> {
    let members = archive::read(delta, max_unpacked).map_err(|e| e.to_string())?;
    let (path, bytes) = members.first().ok_or("an empty archive")?;
    if path != DELTA_NAME {
        return Err(format!("the first member is {path}, not {DELTA_NAME}"));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("{DELTA_NAME}: {e}"))
}

/// A bundle rebuilt from a delta and checked, not yet written.
#[derive(Debug, Clone)]
pub struct Applied {
    pub doc: DeltaDoc,
    /// The distinct trusted keys that signed the delta.
    pub delta_signers: Vec<KeyId>,
    /// The distinct trusted keys whose signatures over the rebuilt archive verify.
    pub bundle_signers: Vec<KeyId>,
    /// The new bundle's manifest.
    pub manifest: Manifest,
    /// The rebuilt archive (SHA-256 `doc.target.sha256`).
    pub archive: Vec<u8>,
    /// The files to write: the bundle, then its signatures (`BUNDLE.minisig`, …).
    pub files: Vec<(String, Vec<u8>)>,
}

fn invalid(file: &str, member: &str, reason: impl Into<String>) -> DistError {
    DistError::DeltaInvalid {
        file: file.into(),
        member: member.into(),
        reason: reason.into(),
    }
}

/// Rebuilds the bundle a delta leads to. `delta_file` and `old_file` name the inputs in
/// messages. Checks, in this order: the delta's signatures (`threshold` distinct keys of
/// `keys`) and their trusted comments, the delta's format, the base (`old`'s SHA-256),
/// every new member against the new manifest, the rebuilt archive against the target's
/// SHA-256, and the target's signatures (the same threshold) over it. Nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    old_file: &str,
    old: &[u8],
    delta_file: &str,
    delta: &[u8],
    delta_signatures: &[String],
    keys: &[TrustedKey],
    threshold: usize,
    max_unpacked: u64,
) -> Result<Applied, DistError> {
    // 1. The delta's signatures, over its bytes, before anything in it is read.
    let (delta_signers, comments, _) =
        threshold::signers(delta, delta_signatures, keys, threshold)?;
    // 2. Its members and document.
    let members = archive::read(delta, max_unpacked).map_err(|e| match e {
        ruleforge_bundle::VerifyError::TooLarge { limit } => DistError::TooLarge {
            what: format!("delta {delta_file} unpacked"),
            limit,
        },
        e => invalid(delta_file, "(archive)", e.to_string()),
    })?;
    let mut members = members.into_iter();
    let (first, doc_bytes) = members
        .next()
        .ok_or_else(|| invalid(delta_file, DELTA_NAME, "the archive is empty"))?;
    if first != DELTA_NAME {
        return Err(invalid(
            delta_file,
            &first,
            format!("the first member must be {DELTA_NAME}"),
        ));
    }
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(&doc_bytes)
        .map_err(|e| invalid(delta_file, DELTA_NAME, format!("not a JSON object: {e}")))?;
    if head.format.as_deref() != Some(FORMAT) {
        return Err(invalid(
            delta_file,
            DELTA_NAME,
            format!("format is {:?}, not `{FORMAT}`", head.format),
        ));
    }
    if head.format_version != Some(FORMAT_VERSION) {
        return Err(invalid(
            delta_file,
            DELTA_NAME,
            format!(
                "unknown format version {:?}: this ruleforge reads delta format version {FORMAT_VERSION} (apply the full bundle instead)",
                head.format_version
            ),
        ));
    }
    let doc: DeltaDoc = serde_json::from_slice(&doc_bytes)
        .map_err(|e| invalid(delta_file, DELTA_NAME, e.to_string()))?;
    let expected = trusted_comment(&doc);
    for c in &comments {
        if *c != expected {
            return Err(DistError::Bundle(
                ruleforge_bundle::VerifyError::CommentMismatch(format!(
                    "{delta_file}: a signature's trusted comment is `{c}`, the delta gives `{expected}`"
                )),
            ));
        }
    }
    // 3. The base.
    let old_sha = sha256_hex(old);
    if old_sha != doc.base.sha256 {
        return Err(DistError::DeltaWrongBase {
            delta: delta_file.into(),
            expected: format!(
                "{} (version {}, SHA-256 {})",
                doc.base.file, doc.base.version, doc.base.sha256
            ),
            actual: format!("{old_file} has SHA-256 {old_sha}"),
        });
    }
    // 4. The new manifest and members.
    let (second, manifest_bytes) = members
        .next()
        .ok_or_else(|| invalid(delta_file, MANIFEST_NAME, "missing"))?;
    if second != MANIFEST_NAME {
        return Err(invalid(
            delta_file,
            &second,
            format!("the second member must be {MANIFEST_NAME}"),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| invalid(delta_file, MANIFEST_NAME, e.to_string()))?;
    if manifest.name != doc.name || manifest.version != doc.target.version {
        return Err(invalid(
            delta_file,
            MANIFEST_NAME,
            format!(
                "names {} version {}, the delta {} version {}",
                manifest.name, manifest.version, doc.name, doc.target.version
            ),
        ));
    }
    let mut carried: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, data) in members {
        let known = path
            .strip_prefix(PATCH_DIR)
            .is_some_and(|p| doc.patched.iter().any(|x| x == p))
            || path
                .strip_prefix(WHOLE_DIR)
                .is_some_and(|p| doc.whole.iter().any(|x| x == p));
        if !known {
            return Err(invalid(
                delta_file,
                &path,
                format!("not listed in {DELTA_NAME}"),
            ));
        }
        carried.insert(path, data);
    }
    for p in &doc.patched {
        if !LIST_MEMBERS.contains(&p.as_str()) {
            return Err(invalid(
                delta_file,
                &format!("{PATCH_DIR}{p}"),
                "only rules.json and sigma.json are patched rule by rule",
            ));
        }
    }
    for p in doc.patched.iter().chain(&doc.whole) {
        if !manifest.files.iter().any(|f| f.path == *p) {
            return Err(invalid(
                delta_file,
                p,
                "carried by the delta but not in the new manifest",
            ));
        }
    }
    let old_members = archive::read(old, max_unpacked).map_err(|e| match e {
        ruleforge_bundle::VerifyError::TooLarge { limit } => DistError::TooLarge {
            what: format!("bundle {old_file} unpacked"),
            limit,
        },
        e => invalid(old_file, "(archive)", e.to_string()),
    })?;
    let old_by_path: BTreeMap<&str, &[u8]> = old_members
        .iter()
        .map(|(p, d)| (p.as_str(), &d[..]))
        .collect();
    // Each new member as pieces borrowed from the old bundle and the delta.
    let mut patch_docs = Vec::new();
    for p in &doc.patched {
        let key = format!("{PATCH_DIR}{p}");
        let data = carried
            .get(&key)
            .ok_or_else(|| invalid(delta_file, &key, "listed but missing"))?;
        let patch: ListPatch =
            serde_json::from_slice(data).map_err(|e| invalid(delta_file, &key, e.to_string()))?;
        patch_docs.push((p.as_str(), key, patch));
    }
    let mut lists = Vec::new();
    for (p, key, _) in &patch_docs {
        let old_member = old_by_path.get(p).ok_or_else(|| {
            invalid(
                delta_file,
                key,
                format!("{old_file} has no member {p} to patch"),
            )
        })?;
        lists.push(
            split_list(old_member)
                .map_err(|e| invalid(old_file, p, format!("cannot patch: {e}")))?,
        );
    }
    let mut member_pieces: Vec<(&str, Vec<&[u8]>)> =
        vec![(MANIFEST_NAME, vec![&manifest_bytes[..]])];
    for entry in &manifest.files {
        let path = entry.path.as_str();
        let pieces: Vec<&[u8]> = if let Some(k) = patch_docs.iter().position(|(p, _, _)| *p == path)
        {
            let (_, key, patch) = &patch_docs[k];
            patched_pieces(&lists[k], patch).map_err(|e| invalid(delta_file, key, e))?
        } else if let Some(d) = carried.get(&format!("{WHOLE_DIR}{path}")) {
            vec![&d[..]]
        } else if let Some(d) = old_by_path.get(path) {
            vec![*d]
        } else {
            return Err(invalid(
                delta_file,
                path,
                format!("neither in the delta nor in {old_file}"),
            ));
        };
        check_member(entry, &pieces).map_err(|e| invalid(delta_file, path, e))?;
        member_pieces.push((path, pieces));
    }
    // 5. The archive, and the target's own signatures over it.
    let mtime = manifest_mtime(&manifest).map_err(|e| invalid(delta_file, MANIFEST_NAME, e))?;
    let refs: Vec<(&str, &[&[u8]])> = member_pieces.iter().map(|(p, v)| (*p, &v[..])).collect();
    let rebuilt = archive::write_pieces(&refs, mtime)
        .map_err(|e| invalid(delta_file, "(archive)", format!("cannot rebuild: {e}")))?;
    let rebuilt_sha = sha256_hex(&rebuilt);
    if rebuilt_sha != doc.target.sha256 || rebuilt.len() as u64 != doc.target.size {
        return Err(invalid(
            delta_file,
            "(archive)",
            format!(
                "the rebuilt {} has SHA-256 {rebuilt_sha} ({} bytes), the delta names {} ({} bytes)",
                doc.target.file,
                rebuilt.len(),
                doc.target.sha256,
                doc.target.size
            ),
        ));
    }
    let (bundle_signers, bundle_comments, _) =
        threshold::signers(&rebuilt, &doc.signatures, keys, threshold)?;
    let bundle_comment = ruleforge_bundle::trusted_comment(&manifest);
    for c in &bundle_comments {
        if *c != bundle_comment {
            return Err(DistError::Bundle(
                ruleforge_bundle::VerifyError::CommentMismatch(format!(
                    "{}: a signature's trusted comment is `{c}`, the manifest gives `{bundle_comment}`",
                    doc.target.file
                )),
            ));
        }
    }
    drop(member_pieces);
    let mut files = vec![(doc.target.file.clone(), Vec::new())];
    for (i, s) in doc.signatures.iter().enumerate() {
        files.push((
            threshold::signature_file_name(&doc.target.file, i),
            s.clone().into_bytes(),
        ));
    }
    files[0].1 = rebuilt.clone();
    Ok(Applied {
        doc,
        delta_signers,
        bundle_signers,
        manifest,
        archive: rebuilt,
        files,
    })
}

/// Checks a member's size and SHA-256 against its manifest entry.
fn check_member(entry: &FileEntry, pieces: &[&[u8]]) -> Result<(), String> {
    let size: u64 = pieces.iter().map(|p| p.len() as u64).sum();
    let mut sha = Sha256::new();
    for p in pieces {
        sha.update(p);
    }
    let sha = ruleforge_bundle::hex(&sha.finalize());
    if size != entry.size || sha != entry.sha256 {
        return Err(format!(
            "rebuilt member has SHA-256 {sha} ({size} bytes), the new manifest gives {} ({} bytes)",
            entry.sha256, entry.size
        ));
    }
    Ok(())
}

/// The pieces of a patched list member: `patch.head`, the old rules with the patch's
/// removals, changes and additions (each checked against the old list), joined by `,`,
/// then `patch.tail`.
fn patched_pieces<'a>(old: &List<'a>, patch: &'a ListPatch<'a>) -> Result<Vec<&'a [u8]>, String> {
    enum Op<'b> {
        Remove,
        Change(&'b RawValue),
        Add(&'b RawValue),
    }
    let mut ops: Vec<(String, Op)> = Vec::new();
    for id in &patch.removed {
        ops.push((id.clone(), Op::Remove));
    }
    for r in &patch.changed {
        ops.push((id_of(r)?, Op::Change(r)));
    }
    for r in &patch.added {
        ops.push((id_of(r)?, Op::Add(r)));
    }
    ops.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = ops.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "duplicate rule `{}`: named twice in the patch",
            w[0].0
        ));
    }
    // Where each id sits in the old list (sorted by id).
    let mut id_cache: BTreeMap<usize, String> = BTreeMap::new();
    let mut old_id = |i: usize| -> Result<String, String> {
        if let Some(id) = id_cache.get(&i) {
            return Ok(id.clone());
        }
        let id = id_of(old.items[i])?;
        id_cache.insert(i, id.clone());
        Ok(id)
    };
    let mut find = |id: &str| -> Result<Result<usize, usize>, String> {
        let (mut lo, mut hi) = (0, old.items.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match old_id(mid)?.as_str().cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    };
    let mut items: Vec<&[u8]> = Vec::with_capacity(old.items.len() + patch.added.len());
    let mut cursor = 0;
    for (id, op) in &ops {
        let at = find(id)?;
        let pos = match at {
            Ok(i) | Err(i) => i,
        };
        if pos < cursor {
            return Err(format!("the base's rules are not sorted by id (at `{id}`)"));
        }
        items.extend(old.items[cursor..pos].iter().map(|r| r.get().as_bytes()));
        cursor = pos;
        match (op, at) {
            (Op::Remove, Ok(_)) => cursor += 1,
            (Op::Change(r), Ok(_)) => {
                items.push(r.get().as_bytes());
                cursor += 1;
            }
            (Op::Add(r), Err(_)) => items.push(r.get().as_bytes()),
            (Op::Remove, Err(_)) => {
                return Err(format!(
                    "tombstone for rule `{id}`, which the base does not hold"
                ))
            }
            (Op::Change(_), Err(_)) => {
                return Err(format!("changed rule `{id}` is not in the base"))
            }
            (Op::Add(_), Ok(_)) => {
                return Err(format!(
                    "duplicate rule `{id}`: added, but the base already holds it"
                ))
            }
        }
    }
    items.extend(old.items[cursor..].iter().map(|r| r.get().as_bytes()));
    let _ = old.head;
    let mut pieces = Vec::with_capacity(items.len() * 2 + 2);
    pieces.push(patch.head.as_bytes());
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            pieces.push(&b","[..]);
        }
        pieces.push(item);
    }
    pieces.push(patch.tail.as_bytes());
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(ids: &[(&str, &str)]) -> Vec<u8> {
        let items: Vec<String> = ids
            .iter()
            .map(|(id, t)| format!("{{\"id\":\"{id}\",\"title\":\"{t}\"}}"))
            .collect();
        format!("{{\"format_version\":3,\"rules\":[{}]}}\n", items.join(",")).into_bytes()
    }

    fn apply_patch(old: &[u8], new: &[u8]) -> Result<Vec<u8>, String> {
        let (bytes, ..) = list_patch(old, new).expect("a patch");
        let patch: ListPatch = serde_json::from_slice(&bytes).unwrap();
        let list = split_list(old).unwrap();
        patched_pieces(&list, &patch).map(|p| p.concat())
    }

    #[test]
    fn list_patches_rebuild_the_new_member() {
        let old = member(&[("a", "1"), ("b", "2"), ("c", "3"), ("e", "5")]);
        for new in [
            member(&[("a", "1"), ("b", "two"), ("d", "4"), ("e", "5"), ("f", "6")]),
            member(&[]),
            member(&[("0", "0"), ("a", "1"), ("b", "2"), ("c", "3"), ("e", "5")]),
            member(&[("e", "5")]),
        ] {
            assert_eq!(apply_patch(&old, &new).unwrap(), new);
        }
        assert_eq!(apply_patch(&member(&[]), &old).unwrap(), old);
        let (_, c, a, r) =
            list_patch(&old, &member(&[("a", "1"), ("b", "x"), ("z", "9")])).unwrap();
        assert_eq!((c, a, r), (1, 1, 2));
    }

    #[test]
    fn unsorted_or_duplicate_lists_travel_whole() {
        let sorted = member(&[("a", "1"), ("b", "2")]);
        assert!(list_patch(&member(&[("b", "1"), ("a", "2")]), &sorted).is_none());
        assert!(list_patch(&sorted, &member(&[("a", "1"), ("a", "2")])).is_none());
        assert!(list_patch(b"[1,2]", &sorted).is_none());
    }

    #[test]
    fn bad_patches_are_refused_with_the_rule() {
        let old = split_list(b"{\"rules\":[{\"id\":\"a\"},{\"id\":\"c\"}]}\n").unwrap();
        let patch = |removed: &[&str], changed: &[&'static str], added: &[&'static str]| {
            let json = format!(
                "{{\"head\":\"{{\\\"rules\\\":[\",\"tail\":\"]}}\\n\",\"removed\":{},\"changed\":[{}],\"added\":[{}]}}",
                serde_json::to_string(removed).unwrap(),
                changed.join(","),
                added.join(",")
            );
            json.leak()
        };
        let run = |text: &'static str| {
            let p: ListPatch = serde_json::from_str(text).unwrap();
            let p: &'static ListPatch = Box::leak(Box::new(p));
            patched_pieces(&old, p).map(|v| v.concat())
        };
        assert_eq!(
            run(patch(&["a"], &[], &["{\"id\":\"b\"}"])).unwrap(),
            b"{\"rules\":[{\"id\":\"b\"},{\"id\":\"c\"}]}\n"
        );
        let e = run(patch(&["b"], &[], &[])).unwrap_err();
        assert!(e.contains("tombstone for rule `b`"), "{e}");
        let e = run(patch(&[], &[], &["{\"id\":\"a\"}"])).unwrap_err();
        assert!(e.contains("duplicate rule `a`"), "{e}");
        let e = run(patch(&[], &["{\"id\":\"b\"}"], &["{\"id\":\"b\"}"])).unwrap_err();
        assert!(e.contains("duplicate rule `b`"), "{e}");
        let e = run(patch(&[], &["{\"id\":\"x\"}"], &[])).unwrap_err();
        assert!(e.contains("changed rule `x`"), "{e}");
        let e = run(patch(&[], &[], &["{\"title\":\"no id\"}"])).unwrap_err();
        assert!(e.contains("without a string `id`"), "{e}");
    }

    #[test]
    fn file_names_name_the_base() {
        assert_eq!(
            file_name("rules-20250102000000.tar.gz", &"ab".repeat(32)),
            "rules-20250102000000.delta-abababababab.tar.gz"
        );
    }
}
