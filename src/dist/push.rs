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
