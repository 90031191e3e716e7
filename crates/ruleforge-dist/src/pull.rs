//! `pull`: download a bundle artifact by digest, verify everything (threshold of signatures,
//! bundle, freshness, state), and only then write the files, atomically.

use crate::artifact::{self, ImageManifest};
use crate::auth::Credentials;
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
    let archive = client.get_blob(&bundle_desc, opts.client.max_blob)?;
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
    })
}

/// Writes a verified artifact's files into `dir` (created if missing), none renamed into
/// place before all are written; returns their paths.
pub fn write(dir: &std::path::Path, pulled: &Pulled) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    crate::fsutil::write_all_atomic(dir, &pulled.files)?;
    Ok(pulled.files.iter().map(|(n, _)| dir.join(n)).collect())
}
