//! `pull`: download a bundle artifact by digest, verify everything (threshold of signatures,
//! bundle, freshness, state), and only then write the files, atomically.

use crate::artifact::{self, ImageManifest};
use crate::auth::Credentials;
use crate::delta;
use crate::error::DistError;
use crate::freshness::{self, VerifiedFreshness};
use crate::reference::Reference;
use crate::registry::{Client, ClientOptions};
use crate::state::{Accepted, State};
use crate::threshold::{self, ThresholdVerified};
use ruleforge_bundle::{Checks, TrustedKey, VerifyOptions};

/// What a pull checks against.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Keys trusted to sign bundles.
    pub keys: Vec<TrustedKey>,
    /// Keys trusted to sign freshness documents (empty: the bundle keys).
    pub freshness_keys: Vec<TrustedKey>,
    /// Distinct trusted keys whose signatures the bundle needs.
    pub threshold: usize,
    /// Refuse an artifact without a freshness document (the default).
    pub require_freshness: bool,
    /// Accept an older bundle than the state's, or another one under the same version.
    pub allow_downgrade: bool,
    /// Bundle checks (`now` also judges the freshness document).
    pub verify: VerifyOptions,
    pub client: ClientOptions,
    /// The folder holding the bundle last pulled (`<name>-<version>.tar.gz`, its freshness
    /// document): when the state file names it and the artifact carries a delta from it,
    /// only the delta is downloaded; an unchanged manifest digest is answered from it.
    pub held_dir: Option<std::path::PathBuf>,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            keys: Vec::new(),
            freshness_keys: Vec::new(),
            threshold: 1,
            require_freshness: true,
            allow_downgrade: false,
            verify: VerifyOptions::default(),
            client: ClientOptions::default(),
            held_dir: None,
        }
    }
}

/// A verified artifact, not yet written.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub verified: ThresholdVerified,
    pub freshness: Option<VerifiedFreshness>,
    /// Digest of the manifest the tag pointed to.
    pub manifest_digest: String,
    /// SHA-256 of the bundle archive (hex).
    pub sha256: String,
    /// The files to write, by layer title: bundle, signatures, freshness document.
    pub files: Vec<(String, Vec<u8>)>,
    /// The delta layer the bundle was rebuilt from (title, size), when it was.
    pub via_delta: Option<(String, u64)>,
    /// Why a delta the artifact carries for the held bundle was not used (the full bundle
    /// was downloaded instead).
    pub delta_refused: Option<DistError>,
}

impl Pulled {
    /// The bundle's file name.
    pub fn bundle_file(&self) -> &str {
        &self.files[0].0
    }

    /// The state entry for this bundle.
    pub fn accepted(&self, source: &Reference) -> Accepted {
        Accepted {
            version: self.verified.bundle.manifest.version,
            sha256: self.sha256.clone(),
            freshness_issued: self.freshness.as_ref().map(|f| f.document.issued.clone()),
            source: Some(source.to_string()),
            manifest_digest: Some(self.manifest_digest.clone()),
        }
    }
}

/// Downloads the artifact `reference` names and verifies it, in this order: the manifest
/// (by digest when pinned; a ruleforge artifact), each blob against its digest and size,
/// the bundle's signatures (threshold) and contents, the freshness document (signature,
/// expiry, naming this bundle), then `state` (rollback, equivocation, replay). Nothing is
/// written.
pub fn fetch_and_verify(
    reference: &Reference,
    credentials: Credentials,
    opts: &PullOptions,
    state: &State,
    checks: &dyn Checks,
) -> Result<Pulled, DistError> {
    let mut client = Client::new(reference, credentials, false, opts.client.clone());
    let (manifest_bytes, manifest_digest) = client.get_manifest()?;
    let manifest = ImageManifest::parse(&manifest_bytes, &reference.to_string())?;

    let bundle_desc = manifest
        .layers_of(artifact::BUNDLE_MEDIA_TYPE)
        .next()
        .expect("checked by parse")
        .clone();
    let mut via_delta = None;
    let mut delta_refused = None;
    let held_same = held_bundle(opts, state, &manifest)
        .filter(|(_, bytes)| artifact::digest_of(bytes) == bundle_desc.digest);
    let archive = match (held_same, held_for_delta(opts, state, &manifest)) {
        // The same bundle under a new manifest (a re-signed freshness document): nothing
        // to download but the small layers.
        (Some((_, bytes)), _) => bytes,
        (None, Some((held, delta_desc))) => {
            match rebuild(
                &mut client,
                opts,
                &manifest,
                &held,
                &delta_desc,
                &bundle_desc,
            ) {
                Ok(archive) => {
                    via_delta = Some((
                        delta_desc.title().unwrap_or_default().to_string(),
                        delta_desc.size,
                    ));
                    archive
                }
                Err(e) => {
                    delta_refused = Some(e);
                    client.get_blob(&bundle_desc, opts.client.max_blob)?
                }
            }
        }
        (None, None) => client.get_blob(&bundle_desc, opts.client.max_blob)?,
    };
    let mut files = vec![(bundle_desc.title().unwrap_or_default().to_string(), archive)];
    let mut signatures = Vec::new();
    for desc in manifest
        .layers_of(artifact::SIGNATURE_MEDIA_TYPE)
        .take(threshold::MAX_SIGNATURES)
    {
        let bytes = client.get_blob(desc, artifact::MAX_SIGNATURE)?;
        signatures.push(String::from_utf8_lossy(&bytes).into_owned());
        files.push((desc.title().unwrap_or_default().to_string(), bytes));
    }
    let freshness_doc = match manifest.layers_of(artifact::FRESHNESS_MEDIA_TYPE).next() {
        Some(desc) => Some((desc.clone(), client.get_blob(desc, freshness::MAX_SIZE)?)),
        None => None,
    };
    let freshness_sig = match manifest
        .layers_of(artifact::FRESHNESS_SIGNATURE_MEDIA_TYPE)
        .next()
    {
        Some(desc) => Some((
            desc.clone(),
            client.get_blob(desc, artifact::MAX_SIGNATURE)?,
        )),
        None => None,
    };

    let verified = threshold::verify(
        &files[0].1,
        &signatures,
        &opts.keys,
        opts.threshold,
        &opts.verify,
        checks,
    )?;
    let m = &verified.bundle.manifest;
    let freshness = match (freshness_doc, freshness_sig) {
        (Some((doc_desc, doc)), Some((sig_desc, sig))) => {
            let keys = if opts.freshness_keys.is_empty() {
                &opts.keys
            } else {
                &opts.freshness_keys
            };
            let checked = freshness::verify(
                &doc,
                &String::from_utf8_lossy(&sig),
                keys,
                opts.verify.now,
            )?;
            checked
                .document
                .check_bundle(&m.name, m.version, &files[0].1)?;
            files.push((doc_desc.title().unwrap_or_default().to_string(), doc));
            files.push((sig_desc.title().unwrap_or_default().to_string(), sig));
            Some(checked)
        }
        (None, None) if !opts.require_freshness => None,
        (None, None) => {
            return Err(DistError::FreshnessInvalid(format!(
                "{reference} carries no freshness document (push one with the bundle, or allow its absence explicitly)"
            )))
        }
        _ => {
            return Err(DistError::FreshnessInvalid(format!(
                "{reference} carries a freshness document without its signature, or the reverse"
            )))
        }
    };
    let sha256 = freshness::sha256_hex(&files[0].1);
    state.check(
        &m.name,
        m.version,
        &sha256,
        freshness.as_ref().map(|f| &f.document),
        opts.allow_downgrade,
    )?;
    Ok(Pulled {
        verified,
        freshness,
        manifest_digest,
        sha256,
        files,
        via_delta,
        delta_refused,
    })
}

/// The held bundle (file name, bytes) and the artifact's delta layer from it, when the
/// state file names a bundle of the artifact's name, the held folder has it with the SHA-256
/// the state recorded, and the artifact carries a delta whose base is that SHA-256.
fn held_for_delta(
    opts: &PullOptions,
    state: &State,
    manifest: &ImageManifest,
) -> Option<((String, Vec<u8>), artifact::Descriptor)> {
    let name = manifest.annotations.get(artifact::BUNDLE_NAME)?;
    let seen = state.bundles.get(name)?;
    let delta = manifest
        .layers_of(artifact::DELTA_MEDIA_TYPE)
        .find(|d| d.annotations.get(artifact::DELTA_BASE_SHA256) == Some(&seen.sha256))?;
    Some((held_bundle(opts, state, manifest)?, delta.clone()))
}

/// The bundle the state file names for the artifact's bundle name, read from the held
/// folder when it has the SHA-256 the state recorded.
fn held_bundle(
    opts: &PullOptions,
    state: &State,
    manifest: &ImageManifest,
) -> Option<(String, Vec<u8>)> {
    let dir = opts.held_dir.as_ref()?;
    let name = manifest.annotations.get(artifact::BUNDLE_NAME)?;
    let seen = state.bundles.get(name)?;
    let file = format!("{name}-{}.tar.gz", seen.version);
    let bytes = read_bounded(&dir.join(&file), opts.client.max_blob)?;
    (freshness::sha256_hex(&bytes) == seen.sha256).then_some((file, bytes))
}

fn read_bounded(path: &std::path::Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// Downloads the delta layer and its signatures, applies the delta to the held bundle
/// ([`delta::apply`]: its signatures, base, members, rebuilt archive), and checks the result
/// against the artifact's bundle layer digest: the bytes a full download would give.
fn rebuild(
    client: &mut Client,
    opts: &PullOptions,
    manifest: &ImageManifest,
    held: &(String, Vec<u8>),
    delta_desc: &artifact::Descriptor,
    bundle_desc: &artifact::Descriptor,
) -> Result<Vec<u8>, DistError> {
    let delta_bytes = client.get_blob(delta_desc, opts.client.max_blob)?;
    let base = delta_desc.annotations.get(artifact::DELTA_BASE_SHA256);
    let mut signatures = Vec::new();
    for desc in manifest
        .layers_of(artifact::DELTA_SIGNATURE_MEDIA_TYPE)
        .filter(|d| d.annotations.get(artifact::DELTA_BASE_SHA256) == base)
        .take(threshold::MAX_SIGNATURES)
    {
        let bytes = client.get_blob(desc, artifact::MAX_SIGNATURE)?;
        signatures.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    let applied = delta::apply(
        &held.0,
        &held.1,
        delta_desc.title().unwrap_or("delta"),
        &delta_bytes,
        &signatures,
        &opts.keys,
        opts.threshold,
        opts.verify.max_unpacked,
    )?;
    let digest = artifact::digest_of(&applied.archive);
    if digest != bundle_desc.digest {
        return Err(DistError::DigestMismatch {
            what: format!(
                "bundle {} rebuilt from delta {}",
                bundle_desc.title().unwrap_or_default(),
                delta_desc.title().unwrap_or_default()
            ),
            expected: bundle_desc.digest.clone(),
            expected_size: bundle_desc.size,
            actual: digest,
            actual_size: applied.archive.len() as u64,
        });
    }
    Ok(applied.archive)
}

/// An unchanged artifact, answered without downloading a layer.
#[derive(Debug, Clone)]
pub struct UpToDate {
    pub name: String,
    pub version: u64,
    pub manifest_digest: String,
    /// The held freshness document, checked again (signature, expiry, naming the held
    /// bundle): `None` when the policy does not require one.
    pub freshness: Option<VerifiedFreshness>,
}

/// Conditional polling: when the state file recorded a manifest digest for this reference,
/// asks the registry for the current one with a `HEAD` request (no body); when they are the
/// same, checks the held freshness document again (the policy's expiry still applies: a
/// frozen source is noticed while nothing changes) and returns [`UpToDate`]. `None`: the
/// artifact changed, the registry sent no digest, or nothing is held — pull in full.
pub fn poll(
    reference: &Reference,
    credentials: Credentials,
    opts: &PullOptions,
    state: &State,
) -> Result<Option<UpToDate>, DistError> {
    let source = reference.to_string();
    let Some((name, seen)) = state
        .bundles
        .iter()
        .find(|(_, a)| a.source.as_deref() == Some(&source) && a.manifest_digest.is_some())
    else {
        return Ok(None);
    };
    let mut client = Client::new(reference, credentials, false, opts.client.clone());
    let Some(digest) = client.head_manifest()? else {
        return Ok(None);
    };
    if seen.manifest_digest.as_deref() != Some(&digest) {
        return Ok(None);
    }
    // The held folder must still have the bundle (the scanner's own files: a local
    // attacker who can change them can change the state file too).
    let Some(dir) = &opts.held_dir else {
        return Ok(None);
    };
    if !dir
        .join(format!("{name}-{}.tar.gz", seen.version))
        .is_file()
    {
        return Ok(None);
    }
    let freshness = if opts.require_freshness {
        let doc_path = dir.join(format!(
            "{name}-{}.tar.gz{}",
            seen.version,
            freshness::SUFFIX
        ));
        let (Some(doc), Some(sig)) = (
            read_bounded(&doc_path, freshness::MAX_SIZE),
            read_bounded(
                &std::path::PathBuf::from(format!("{}.minisig", doc_path.display())),
                artifact::MAX_SIGNATURE,
            ),
        ) else {
            return Ok(None);
        };
        let keys = if opts.freshness_keys.is_empty() {
            &opts.keys
        } else {
            &opts.freshness_keys
        };
        let checked =
            freshness::verify(&doc, &String::from_utf8_lossy(&sig), keys, opts.verify.now)?;
        let d = &checked.document;
        if d.name != *name || d.version != seen.version || d.sha256 != seen.sha256 {
            // Not the document of the bundle held: pull in full.
            return Ok(None);
        }
        Some(checked)
    } else {
        None
    };
    Ok(Some(UpToDate {
        name: name.clone(),
        version: seen.version,
        manifest_digest: digest,
        freshness,
    }))
}

/// Writes a verified artifact's files into `dir` (created if missing), none renamed into
/// place before all are written; returns their paths.
pub fn write(dir: &std::path::Path, pulled: &Pulled) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    crate::fsutil::write_all_atomic(dir, &pulled.files)?;
    Ok(pulled.files.iter().map(|(n, _)| dir.join(n)).collect())
}
