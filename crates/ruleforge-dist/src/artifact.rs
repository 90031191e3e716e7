//! The OCI artifact that carries a bundle: an OCI image manifest (so every registry that
//! stores images stores it) whose `artifactType` is [`ARTIFACT_TYPE`], whose `config` is
//! the empty descriptor, and whose layers are the bundle, its signatures, and the freshness
//! document with its signature. Each layer is annotated with `org.opencontainers.image.title`
//! (its file name), so `oras pull` writes the same files `ruleforge pull` does.

use crate::error::DistError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `mediaType` of the manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// `artifactType` of the manifest.
pub const ARTIFACT_TYPE: &str = "application/vnd.ruleforge.bundle.v1";
/// The empty config blob (`{}`), as the OCI image spec defines it for artifacts.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_BLOB: &[u8] = b"{}";
/// Layer media types.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.ruleforge.bundle.v1.tar+gzip";
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.ruleforge.bundle.signature.v1.minisig";
pub const FRESHNESS_MEDIA_TYPE: &str = "application/vnd.ruleforge.freshness.v1+json";
pub const FRESHNESS_SIGNATURE_MEDIA_TYPE: &str =
    "application/vnd.ruleforge.freshness.signature.v1.minisig";
/// A delta from an earlier bundle to this one (`ruleforge bundle --delta-from`), and its
/// signatures; both annotated with [`DELTA_BASE_SHA256`] and [`DELTA_BASE_VERSION`].
pub const DELTA_MEDIA_TYPE: &str = "application/vnd.ruleforge.bundle.delta.v1.tar+gzip";
pub const DELTA_SIGNATURE_MEDIA_TYPE: &str =
    "application/vnd.ruleforge.bundle.delta.signature.v1.minisig";
/// Annotation keys.
pub const TITLE: &str = "org.opencontainers.image.title";
pub const VERSION: &str = "org.opencontainers.image.version";
pub const REVISION: &str = "org.opencontainers.image.revision";
pub const CREATED: &str = "org.opencontainers.image.created";
pub const BUNDLE_NAME: &str = "dev.ruleforge.bundle.name";
pub const BUNDLE_EXPIRES: &str = "dev.ruleforge.bundle.expires";
/// On a delta layer and its signature layers: the SHA-256 (hex) and version of the bundle
/// the delta applies to.
pub const DELTA_BASE_SHA256: &str = "dev.ruleforge.delta.base.sha256";
pub const DELTA_BASE_VERSION: &str = "dev.ruleforge.delta.base.version";
/// Bound on a manifest's size (the spec suggests registries accept at least 4 MiB).
pub const MAX_MANIFEST: u64 = 4 * 1024 * 1024;
/// Bound on a signature's size.
pub const MAX_SIGNATURE: u64 = 64 * 1024;

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `bytes`, titled `title` when given.
    pub fn of(media_type: &str, bytes: &[u8], title: Option<&str>) -> Descriptor {
        let mut annotations = BTreeMap::new();
        if let Some(t) = title {
            annotations.insert(TITLE.to_string(), t.to_string());
        }
        Descriptor {
            media_type: media_type.into(),
            digest: digest_of(bytes),
            size: bytes.len() as u64,
            annotations,
        }
    }

    pub fn title(&self) -> Option<&str> {
        self.annotations.get(TITLE).map(String::as_str)
    }
}

/// An OCI image manifest (the fields this artifact uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ImageManifest {
    /// The manifest of an artifact with these layers and annotations.
    pub fn new(layers: Vec<Descriptor>, annotations: BTreeMap<String, String>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(MANIFEST_MEDIA_TYPE.into()),
            artifact_type: Some(ARTIFACT_TYPE.into()),
            config: Descriptor::of(EMPTY_MEDIA_TYPE, EMPTY_BLOB, None),
            layers,
            annotations,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest serialises")
    }

    /// Parses a manifest and checks that it is a ruleforge bundle artifact.
    pub fn parse(bytes: &[u8], source: &str) -> Result<ImageManifest, DistError> {
        let m: ImageManifest = serde_json::from_slice(bytes).map_err(|e| {
            DistError::Registry(format!("{source}: not an OCI image manifest: {e}"))
        })?;
        if m.schema_version != 2 {
            return Err(DistError::Registry(format!(
                "{source}: schemaVersion {} is not 2",
                m.schema_version
            )));
        }
        if m.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
            return Err(DistError::Registry(format!(
                "{source}: not a ruleforge bundle artifact (artifactType {:?}, expected `{ARTIFACT_TYPE}`)",
                m.artifact_type.as_deref().unwrap_or("none")
            )));
        }
        for layer in &m.layers {
            let title = layer.title().ok_or_else(|| {
                DistError::Registry(format!(
                    "{source}: layer {} has no `{TITLE}` annotation",
                    layer.digest
                ))
            })?;
            check_file_name(title).map_err(|problem| {
                DistError::Registry(format!("{source}: layer title `{title}`: {problem}"))
            })?;
            check_digest(&layer.digest).map_err(|problem| {
                DistError::Registry(format!(
                    "{source}: layer digest `{}`: {problem}",
                    layer.digest
                ))
            })?;
        }
        let count = |t: &str| m.layers.iter().filter(|l| l.media_type == t).count();
        if count(BUNDLE_MEDIA_TYPE) != 1 {
            return Err(DistError::Registry(format!(
                "{source}: {} layers of type `{BUNDLE_MEDIA_TYPE}`, expected one",
                count(BUNDLE_MEDIA_TYPE)
            )));
        }
        if count(FRESHNESS_MEDIA_TYPE) > 1 || count(FRESHNESS_SIGNATURE_MEDIA_TYPE) > 1 {
            return Err(DistError::Registry(format!(
                "{source}: more than one freshness document or freshness signature"
            )));
        }
        let mut titles: Vec<&str> = m.layers.iter().filter_map(Descriptor::title).collect();
        titles.sort_unstable();
        if titles.windows(2).any(|w| w[0] == w[1]) {
            return Err(DistError::Registry(format!(
                "{source}: two layers have the same title"
            )));
        }
        Ok(m)
    }

    /// The layers of one media type.
    pub fn layers_of<'a>(&'a self, media_type: &'a str) -> impl Iterator<Item = &'a Descriptor> {
        self.layers
            .iter()
            .filter(move |l| l.media_type == media_type)
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::freshness::sha256_hex(bytes))
}

/// A digest this client can check: `sha256:` and 64 lower-case hex digits.
pub fn check_digest(digest: &str) -> Result<(), &'static str> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or("only sha256 digests are accepted")?;
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("not 64 lower-case hex digits");
    }
    Ok(())
}

/// A layer title must be a plain file name: it becomes a file in the output folder.
pub fn check_file_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 255 {
        return Err("empty or longer than 255 bytes");
    }
    if name == "." || name == ".." || name.starts_with('.') {
        return Err("starts with a dot");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    {
        return Err("not a plain file name (letters, digits, . _ - +)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> ImageManifest {
        ImageManifest::new(
            vec![
                Descriptor::of(BUNDLE_MEDIA_TYPE, b"b", Some("r.tar.gz")),
                Descriptor::of(SIGNATURE_MEDIA_TYPE, b"s", Some("r.tar.gz.minisig")),
            ],
            BTreeMap::new(),
        )
    }

    #[test]
    fn the_empty_config_is_the_specs() {
        let m = manifest();
        assert_eq!(
            m.config.digest,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(m.config.size, 2);
        let back = ImageManifest::parse(&m.to_json(), "m").unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn other_artifacts_and_unsafe_titles_are_refused() {
        let mut m = manifest();
        m.artifact_type = Some("application/vnd.example".into());
        let e = ImageManifest::parse(&m.to_json(), "m")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a ruleforge bundle artifact"), "{e}");
        for bad in ["../x", ".hidden", "a/b", ""] {
            let mut m = manifest();
            m.layers[1].annotations.insert(TITLE.into(), bad.into());
            let e = ImageManifest::parse(&m.to_json(), "m").unwrap_err();
            assert_eq!(e.exit_code(), 19, "{bad}: {e}");
        }
        let mut m = manifest();
        m.layers.remove(0);
        let e = ImageManifest::parse(&m.to_json(), "m")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected one"), "{e}");
    }
}
