//! The freshness document: a small signed statement "the current bundle of NAME is VERSION,
//! with this SHA-256, and this statement is good until EXPIRES". The publisher re-signs it
//! on a schedule (hours or days ahead) without rebuilding the bundle, so a mirror or a
//! registry that keeps serving an old bundle (a freeze attack, in TUF's words) is noticed
//! within one validity period, and a bundle swapped for another one (mix-and-match) is
//! noticed at once. It plays the part of TUF's timestamp and snapshot roles for a
//! repository of one target.
//!
//! The document is JSON (`<bundle file>.freshness.json`) with a detached minisign signature
//! beside it (`.freshness.json.minisig`) whose trusted comment repeats the fields that matter.

use crate::error::DistError;
use ruleforge_bundle::{format_time, parse_time, verify_signature, KeyId, TrustedKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The `format` value of a freshness document.
pub const FORMAT: &str = "ruleforge-freshness";
/// The format version written and read.
pub const FORMAT_VERSION: u32 = 1;
/// Start of the trusted comment of a freshness signature.
pub const COMMENT_PREFIX: &str = "ruleforge-freshness ";
/// The longest validity a freshness document may have: days, not months.
pub const MAX_VALIDITY_DAYS: i64 = 31;
/// Bound on the size of a freshness document.
pub const MAX_SIZE: u64 = 64 * 1024;
/// File name suffix of the document, after the bundle's file name.
pub const SUFFIX: &str = ".freshness.json";

/// A freshness document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub format: String,
    pub format_version: u32,
    /// The bundle's name (manifest `name`).
    pub name: String,
    /// The bundle's version (manifest `version`).
    pub version: u64,
    /// The bundle's file name.
    pub bundle: String,
    /// SHA-256 of the bundle archive (lower-case hex).
    pub sha256: String,
    /// Size of the bundle archive in bytes.
    pub size: u64,
    /// When the document was signed (RFC 3339, UTC).
    pub issued: String,
    /// When it stops being valid (RFC 3339, UTC).
    pub expires: String,
}

impl Freshness {
    /// The document for a bundle, valid from `issued` for `validity`.
    pub fn new(
        name: &str,
        version: u64,
        bundle_file: &str,
        archive: &[u8],
        issued: OffsetDateTime,
        validity: time::Duration,
    ) -> Result<Freshness, DistError> {
        if validity <= time::Duration::ZERO || validity > time::Duration::days(MAX_VALIDITY_DAYS) {
            return Err(DistError::FreshnessInvalid(format!(
                "a validity of {validity} is not between a second and {MAX_VALIDITY_DAYS} days: freshness documents are re-signed often (hours or days), not months"
            )));
        }
        let issued = issued.replace_nanosecond(0).unwrap_or(issued);
        Ok(Freshness {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: name.into(),
            version,
            bundle: bundle_file.into(),
            sha256: sha256_hex(archive),
            size: archive.len() as u64,
            issued: format_time(issued),
            expires: format_time(issued + validity),
        })
    }

    /// The document's bytes (pretty JSON, one trailing newline).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a freshness document serialises");
        out.push(b'\n');
        out
    }

    /// The trusted comment its signature carries.
    pub fn trusted_comment(&self) -> String {
        format!(
            "{COMMENT_PREFIX}name={} version={} sha256={} expires={}",
            self.name, self.version, self.sha256, self.expires
        )
    }

    /// Parses a document and checks its fields (format, version, hex digest, times, a
    /// validity no longer than [`MAX_VALIDITY_DAYS`]).
    pub fn parse(bytes: &[u8]) -> Result<Freshness, DistError> {
        if bytes.len() as u64 > MAX_SIZE {
            return Err(DistError::FreshnessInvalid(format!(
                "larger than {MAX_SIZE} bytes"
            )));
        }
        let doc: Freshness = serde_json::from_slice(bytes)
            .map_err(|e| DistError::FreshnessInvalid(format!("not a freshness document: {e}")))?;
        if doc.format != FORMAT || doc.format_version != FORMAT_VERSION {
            return Err(DistError::FreshnessInvalid(format!(
                "format `{}` version {} is not `{FORMAT}` version {FORMAT_VERSION}",
                doc.format, doc.format_version
            )));
        }
        if doc.sha256.len() != 64
            || !doc
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DistError::FreshnessInvalid(format!(
                "/sha256: `{}` is not a lower-case hex SHA-256",
                doc.sha256
            )));
        }
        let issued = parse_time(&doc.issued)
            .map_err(|e| DistError::FreshnessInvalid(format!("/issued: {e}")))?;
        let expires = parse_time(&doc.expires)
            .map_err(|e| DistError::FreshnessInvalid(format!("/expires: {e}")))?;
        if expires <= issued || expires - issued > time::Duration::days(MAX_VALIDITY_DAYS) {
            return Err(DistError::FreshnessInvalid(format!(
                "valid from {} to {}: a freshness document is valid for at most {MAX_VALIDITY_DAYS} days",
                doc.issued, doc.expires
            )));
        }
        Ok(doc)
    }

    /// When it was issued.
    pub fn issued_at(&self) -> OffsetDateTime {
        parse_time(&self.issued).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Checks that the document names this bundle: name, version, SHA-256 and size.
    pub fn check_bundle(&self, name: &str, version: u64, archive: &[u8]) -> Result<(), DistError> {
        let mismatch = |field, expected: String, actual: String| {
            Err(DistError::FreshnessMismatch {
                field,
                expected,
                actual,
            })
        };
        let digest = sha256_hex(archive);
        if self.sha256 != digest {
            return mismatch("SHA-256", self.sha256.clone(), digest);
        }
        if self.size != archive.len() as u64 {
            return mismatch("size", self.size.to_string(), archive.len().to_string());
        }
        if self.name != name {
            return mismatch("name", self.name.clone(), name.into());
        }
        if self.version != version {
            return mismatch("version", self.version.to_string(), version.to_string());
        }
        Ok(())
    }
}

/// A freshness document whose signature and fields were checked.
#[derive(Debug, Clone)]
pub struct VerifiedFreshness {
    pub document: Freshness,
    /// The key that signed it.
    pub key_id: KeyId,
}

/// Verifies a freshness document: the signature by one of `keys` over the document bytes
/// (before parsing), the fields, the trusted comment against the fields, and that it has
/// not expired at `now`. Whether it names the right bundle is [`Freshness::check_bundle`].
pub fn verify(
    document: &[u8],
    signature: &str,
    keys: &[TrustedKey],
    now: OffsetDateTime,
) -> Result<VerifiedFreshness, DistError> {
    let (key_id, comment) = verify_signature(document, signature, keys)
        .map_err(|e| DistError::FreshnessInvalid(format!("signature: {e}")))?;
    let doc = Freshness::parse(document)?;
    if comment != doc.trusted_comment() {
        return Err(DistError::FreshnessInvalid(format!(
            "the signature's trusted comment `{comment}` does not match the document"
        )));
    }
    let expires = parse_time(&doc.expires).expect("checked by parse");
    if expires <= now {
        return Err(DistError::FreshnessExpired {
            expires: doc.expires.clone(),
            now: format_time(now),
        });
    }
    Ok(VerifiedFreshness {
        document: doc,
        key_id,
    })
}

/// Lower-case hex SHA-256 (one function for the crate: the delta's).
pub use crate::delta::sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn doc() -> Freshness {
        Freshness::new(
            "rules",
            20250101000000,
            "rules-20250101000000.tar.gz",
            b"archive",
            datetime!(2025-01-02 03:04:05.5 UTC),
            time::Duration::days(2),
        )
        .unwrap()
    }

    #[test]
    fn round_trips_and_names_its_bundle() {
        let d = doc();
        assert_eq!(d.issued, "2025-01-02T03:04:05Z");
        assert_eq!(d.expires, "2025-01-04T03:04:05Z");
        assert_eq!(Freshness::parse(&d.to_json()).unwrap(), d);
        d.check_bundle("rules", 20250101000000, b"archive").unwrap();
        let e = d
            .check_bundle("rules", 20250101000000, b"another")
            .unwrap_err();
        assert_eq!(e.code(), "freshness-mismatch");
        assert!(e.to_string().contains("SHA-256"), "{e}");
        let e = d
            .check_bundle("rules", 20250101000001, b"archive")
            .unwrap_err();
        assert!(e.to_string().contains("version 20250101000000"), "{e}");
    }

    #[test]
    fn months_of_validity_are_refused() {
        let e = Freshness::new(
            "r",
            1,
            "f",
            b"",
            datetime!(2025-01-01 0:00 UTC),
            time::Duration::days(90),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not months"), "{e}");
        let mut d = doc();
        d.expires = "2025-06-01T00:00:00Z".into();
        let e = Freshness::parse(&d.to_json()).unwrap_err();
        assert!(e.to_string().contains("at most 31 days"), "{e}");
    }

    #[test]
    fn malformed_documents_are_named() {
        let e = Freshness::parse(b"{").unwrap_err();
        assert_eq!(e.exit_code(), 12);
        let mut d = doc();
        d.sha256 = "ABC".into();
        let e = Freshness::parse(&d.to_json()).unwrap_err();
        assert!(e.to_string().contains("/sha256"), "{e}");
        let mut v: serde_json::Value = serde_json::from_slice(&doc().to_json()).unwrap();
        v["extra"] = 1.into();
        let e = Freshness::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }
}
