//! Threshold signatures: a bundle may carry several detached minisign signatures, and a
//! verifier may require K of them, by K distinct trusted keys. One stolen key then no
//! longer suffices to publish, and a key rotation (add a key, sign with both, retire the
//! old one) never leaves a scanner without a valid path.
//!
//! The signatures sit beside the bundle as `BUNDLE.minisig` (the one stock `minisign -V`
//! reads) and `BUNDLE.minisig.2`, `BUNDLE.minisig.3`, … ([`signature_file_name`]).

use crate::error::DistError;
use ruleforge_bundle::{
    trusted_comment, verify_signature, verify_with, Checks, KeyId, TrustedKey, VerifiedBundle,
    VerifyError, VerifyOptions, COMMENT_PREFIX,
};

/// The most signatures read beside one bundle.
pub const MAX_SIGNATURES: usize = 16;

/// The file name of the `index`-th signature (0-based) of the bundle file `bundle`:
/// `BUNDLE.minisig`, then `BUNDLE.minisig.2`, `BUNDLE.minisig.3`, …
pub fn signature_file_name(bundle: &str, index: usize) -> String {
    if index == 0 {
        format!("{bundle}.minisig")
    } else {
        format!("{bundle}.minisig.{}", index + 1)
    }
}

/// A bundle verified with a threshold of signatures.
#[derive(Debug, Clone)]
pub struct ThresholdVerified {
    pub bundle: VerifiedBundle,
    /// The distinct trusted keys whose signatures verified, in signature order.
    pub signers: Vec<KeyId>,
}

/// Verifies `archive` as [`ruleforge_bundle::verify_with`] does, with several signatures:
/// at least `threshold` of them must verify, each by a distinct key of `keys` (a key that
/// signed twice counts once), and every `ruleforge-bundle …` trusted comment must match
/// the manifest.
///
/// When no signature verifies at all, the first signature's own error is returned (an
/// unknown key, a bad signature: exit codes 4 and 3), so a single-signature bundle is
/// refused exactly as before; when some verify but fewer than `threshold`,
/// [`DistError::ThresholdNotMet`].
pub fn verify(
    archive: &[u8],
    signatures: &[String],
    keys: &[TrustedKey],
    threshold: usize,
    opts: &VerifyOptions,
    checks: &dyn Checks,
) -> Result<ThresholdVerified, DistError> {
    let (signers, comments, first_good) = signers(archive, signatures, keys, threshold)?;
    let bundle = verify_with(archive, &signatures[first_good], keys, opts, checks)?;
    let expected = trusted_comment(&bundle.manifest);
    for comment in &comments {
        if comment.starts_with(COMMENT_PREFIX) && *comment != expected {
            return Err(VerifyError::CommentMismatch(format!(
                "a co-signature's trusted comment is `{comment}`, the manifest gives `{expected}`"
            ))
            .into());
        }
    }
    Ok(ThresholdVerified { bundle, signers })
}

/// The distinct trusted keys whose signatures over `data` verify, with their trusted
/// comments and the index of the first good signature: at least `threshold` of them, or
/// the refusal [`verify`] describes.
pub fn signers(
    data: &[u8],
    signatures: &[String],
    keys: &[TrustedKey],
    threshold: usize,
) -> Result<(Vec<KeyId>, Vec<String>, usize), DistError> {
    let threshold = threshold.max(1);
    if signatures.is_empty() {
        return Err(VerifyError::MalformedSignature("no signature given".into()).into());
    }
    let mut signers: Vec<KeyId> = Vec::new();
    let mut comments = Vec::new();
    let mut first_good = None;
    let mut rejected = Vec::new();
    for (i, signature) in signatures.iter().enumerate() {
        match verify_signature(data, signature, keys) {
            Ok((key_id, comment)) => {
                first_good.get_or_insert(i);
                if !signers.contains(&key_id) {
                    signers.push(key_id);
                    comments.push(comment);
                }
            }
            Err(e) => rejected.push((i, e)),
        }
    }
    let Some(first_good) = first_good else {
        return Err(rejected.swap_remove(0).1.into());
    };
    if signers.len() < threshold {
        let list = |ids: &[KeyId]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(DistError::ThresholdNotMet {
            required: threshold,
            valid: signers.len(),
            signers: format!(" (valid: {})", list(&signers)),
            rejected: rejected
                .iter()
                .map(|(i, e)| format!("; signature {} rejected: {e}", i + 1))
                .collect(),
        });
    }
    Ok((signers, comments, first_good))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_files_are_numbered_from_two() {
        assert_eq!(signature_file_name("r.tar.gz", 0), "r.tar.gz.minisig");
        assert_eq!(signature_file_name("r.tar.gz", 1), "r.tar.gz.minisig.2");
        assert_eq!(signature_file_name("r.tar.gz", 2), "r.tar.gz.minisig.3");
    }
}
