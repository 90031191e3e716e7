//! Distribution: the publisher's side of carrying bundles through OCI registries (signing
//! freshness documents, pushing artifacts). The client side (pull, threshold signatures,
//! freshness and state checks) is the `ruleforge-dist` crate, re-exported here, so that a
//! scanner pulls without compiling the authoring stack. `docs/distribution.md` is the
//! contract: media types, annotations, the freshness document, the state file, exit codes.

pub mod push;
pub mod trust;

pub use ruleforge_dist::{
    artifact, auth, delta, error, freshness, pull, reference, registry, signature_file_name, state,
    threshold, write_all_atomic, Accepted, Client, ClientOptions, Credentials, DistError,
    Freshness, PullOptions, Pulled, Reference, State, ThresholdVerified, VerifiedFreshness,
};

use crate::bundle::{sign, Manifest, VerifyError, MANIFEST_NAME};
use std::path::{Path, PathBuf};

/// Reads the manifest of a bundle archive (bounded; no signature check: the caller vouches
/// for the archive by signing a freshness document over its bytes).
pub fn read_manifest(archive: &[u8]) -> Result<Manifest, VerifyError> {
    let members = ruleforge_bundle::archive::read(archive, ruleforge_bundle::DEFAULT_MAX_UNPACKED)?;
    let bytes = members
        .into_iter()
        .find(|(path, _)| path == MANIFEST_NAME)
        .map(|(_, b)| b)
        .ok_or(VerifyError::MissingManifest)?;
    serde_json::from_slice(&bytes).map_err(|e| VerifyError::InvalidManifest(e.to_string()))
}

/// A signed freshness document: its JSON and its `.minisig`.
pub struct SignedFreshness {
    pub document: Freshness,
    pub json: Vec<u8>,
    pub signature: String,
}

/// Writes and signs the freshness document of a bundle, valid from `issued` for `validity`
/// (at most [`freshness::MAX_VALIDITY_DAYS`]).
pub fn timestamp(
    archive: &[u8],
    bundle_file: &str,
    key: &sign::SigningKey,
    issued: time::OffsetDateTime,
    validity: time::Duration,
) -> anyhow::Result<SignedFreshness> {
    let manifest = read_manifest(archive)?;
    let document = Freshness::new(
        &manifest.name,
        manifest.version,
        bundle_file,
        archive,
        issued,
        validity,
    )?;
    let json = document.to_json();
    let signature = sign::sign(key, &json, &document.trusted_comment())?;
    Ok(SignedFreshness {
        document,
        json,
        signature,
    })
}

/// The signature files beside a bundle that exist: `BUNDLE.minisig`, `BUNDLE.minisig.2`, …
/// (the numbering stops at the first missing file).
pub fn signature_paths(bundle: &Path) -> Vec<PathBuf> {
    let name = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (0..threshold::MAX_SIGNATURES)
        .map(|i| bundle.with_file_name(signature_file_name(&name, i)))
        .take_while(|p| p.is_file())
        .collect()
}

/// The freshness document's path beside a bundle, and its signature's.
pub fn freshness_paths(bundle: &Path) -> (PathBuf, PathBuf) {
    let name = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let doc = format!("{name}{}", freshness::SUFFIX);
    (
        bundle.with_file_name(&doc),
        bundle.with_file_name(format!("{doc}.minisig")),
    )
}

/// Parses a duration as `36h`, `2d`, `90m` (hours or days ahead, not months).
pub fn parse_validity(text: &str) -> Result<time::Duration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 36h or 2d"))?;
    match unit {
        "m" => Ok(time::Duration::minutes(n)),
        "h" => Ok(time::Duration::hours(n)),
        "d" => Ok(time::Duration::days(n)),
        _ => Err(format!("`{text}`: the unit is m, h or d (36h, 2d)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validities_parse() {
        assert_eq!(parse_validity("36h"), Ok(time::Duration::hours(36)));
        assert_eq!(parse_validity("2d"), Ok(time::Duration::days(2)));
        assert!(parse_validity("2w").unwrap_err().contains("m, h or d"));
        assert!(parse_validity("h").is_err());
    }
}
