//! Pushing a bundle as an OCI artifact: the blobs (skipped when the repository has them, so
//! re-pushing with a fresh freshness document uploads a few hundred bytes), then the
//! manifest under the tag.

use super::{artifact, Client, ClientOptions, Credentials, DistError, Reference};
use crate::bundle::Manifest;
use artifact::{Descriptor, ImageManifest};
use std::collections::BTreeMap;

/// A file to upload: its name (the layer's title) and bytes.
pub type NamedFile = (String, Vec<u8>);

/// The files of one artifact.
pub struct Files {
    pub bundle: NamedFile,
    pub signatures: Vec<NamedFile>,
    /// The freshness document and its signature.
    pub freshness: Option<(NamedFile, NamedFile)>,
    /// Deltas from earlier bundles to this one.
    pub deltas: Vec<DeltaFiles>,
}

/// A delta and its signatures, with the base it applies to.
pub struct DeltaFiles {
    pub delta: NamedFile,
    pub signatures: Vec<NamedFile>,
    /// SHA-256 (hex) and version of the base bundle.
    pub base_sha256: String,
    pub base_version: u64,
}

/// What was pushed.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub manifest_digest: String,
    pub manifest: ImageManifest,
}

/// The artifact manifest for these files and the bundle's manifest.
pub fn manifest_for(files: &Files, bundle: &Manifest) -> ImageManifest {
    let mut layers = vec![Descriptor::of(
        artifact::BUNDLE_MEDIA_TYPE,
        &files.bundle.1,
        Some(&files.bundle.0),
    )];
    for (name, bytes) in &files.signatures {
        layers.push(Descriptor::of(
            artifact::SIGNATURE_MEDIA_TYPE,
            bytes,
            Some(name),
        ));
    }
    if let Some(((doc_name, doc), (sig_name, sig))) = &files.freshness {
        layers.push(Descriptor::of(
            artifact::FRESHNESS_MEDIA_TYPE,
            doc,
            Some(doc_name),
        ));
        layers.push(Descriptor::of(
            artifact::FRESHNESS_SIGNATURE_MEDIA_TYPE,
            sig,
            Some(sig_name),
        ));
    }
    for d in &files.deltas {
        let base = |title: &str, media_type: &str, bytes: &[u8]| {
            let mut desc = Descriptor::of(media_type, bytes, Some(title));
            desc.annotations.insert(
                artifact::DELTA_BASE_SHA256.to_string(),
                d.base_sha256.clone(),
            );
            desc.annotations.insert(
                artifact::DELTA_BASE_VERSION.to_string(),
                d.base_version.to_string(),
            );
            desc
        };
        layers.push(base(&d.delta.0, artifact::DELTA_MEDIA_TYPE, &d.delta.1));
        for (name, bytes) in &d.signatures {
            layers.push(base(name, artifact::DELTA_SIGNATURE_MEDIA_TYPE, bytes));
        }
    }
    let annotations = BTreeMap::from([
        (artifact::BUNDLE_NAME.to_string(), bundle.name.clone()),
        (artifact::BUNDLE_EXPIRES.to_string(), bundle.expires.clone()),
        (artifact::VERSION.to_string(), bundle.version.to_string()),
        (artifact::REVISION.to_string(), bundle.commit.clone()),
        (artifact::CREATED.to_string(), bundle.created.clone()),
    ]);
    ImageManifest::new(layers, annotations)
}

/// Uploads the files and puts the manifest under the reference's tag (or digest).
pub fn push(
    reference: &Reference,
    credentials: Credentials,
    opts: ClientOptions,
    files: &Files,
    bundle: &Manifest,
) -> Result<Pushed, DistError> {
    let manifest = manifest_for(files, bundle);
    let mut client = Client::new(reference, credentials, true, opts);
    client.put_blob(artifact::EMPTY_BLOB, "config blob")?;
    let mut all = vec![&files.bundle];
    all.extend(files.signatures.iter());
    if let Some((doc, sig)) = &files.freshness {
        all.push(doc);
        all.push(sig);
    }
    for d in &files.deltas {
        all.push(&d.delta);
        all.extend(d.signatures.iter());
    }
    for (name, bytes) in all {
        client.put_blob(bytes, &format!("blob {name}"))?;
    }
    let bytes = manifest.to_json();
    let digest = client.put_manifest(&bytes, reference.manifest_reference())?;
    Ok(Pushed {
        manifest_digest: digest,
        manifest,
    })
}
