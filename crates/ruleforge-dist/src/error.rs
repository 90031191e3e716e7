//! Why a pull, a threshold check or a freshness check was refused: one variant per failure,
//! each with a stable [`DistError::code`] and a stated [`DistError::exit_code`], so that a
//! scanner (or a shell script around `ruleforge pull`) can tell the attacks apart.

use ruleforge_bundle::VerifyError;

/// A refusal. Bundle checks keep [`VerifyError`]'s own codes (3 to 8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistError {
    /// The bundle itself was rejected (signature, archive, manifest, expiry, rollback).
    #[error("{0}")]
    Bundle(#[from] VerifyError),
    /// Fewer distinct trusted keys signed the bundle than the threshold requires.
    #[error("threshold not met: {valid} of the required {required} distinct trusted keys signed the bundle{signers}{rejected}")]
    ThresholdNotMet {
        required: usize,
        valid: usize,
        signers: String,
        rejected: String,
    },
    /// The freshness document expired: the mirror may be serving a frozen, old bundle.
    #[error("freeze: the freshness document expired at {expires} (now is {now}); the publisher re-signs it on a schedule, so the source has stopped updating")]
    FreshnessExpired { expires: String, now: String },
    /// The freshness document names another bundle than the one downloaded (mix-and-match).
    #[error(
        "mix-and-match: the freshness document names {field} {expected}, the bundle has {actual}"
    )]
    FreshnessMismatch {
        field: &'static str,
        expected: String,
        actual: String,
    },
    /// The freshness document is missing, malformed, or not signed by a trusted key.
    #[error("invalid freshness document: {0}")]
    FreshnessInvalid(String),
    /// The freshness document was issued before one this client already accepted (replay).
    #[error("freeze: the freshness document was issued at {issued}, before the one already accepted ({seen})")]
    FreshnessReplayed { issued: String, seen: String },
    /// The same name and version with another digest than the one already accepted.
    #[error("equivocation: {name} version {version} has SHA-256 {actual}, but the one already accepted has {expected}")]
    Equivocation {
        name: String,
        version: u64,
        expected: String,
        actual: String,
    },
    /// A downloaded blob or manifest does not hash to the digest that names it.
    #[error("digest mismatch: {what} should be {expected} ({expected_size} bytes) but the registry sent {actual} ({actual_size} bytes)")]
    DigestMismatch {
        what: String,
        expected: String,
        expected_size: u64,
        actual: String,
        actual_size: u64,
    },
    /// The registry refused the credentials (401 after authenticating, or 403).
    #[error("registry authentication failed: {0}")]
    Auth(String),
    /// The tag, digest or blob does not exist in the registry.
    #[error("not found: {0}")]
    NotFound(String),
    /// A response is larger than the bound for its kind.
    #[error("too large: {what} exceeds {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    /// The registry or the network failed (connection, timeout, HTTP error, protocol), or
    /// the artifact is not a ruleforge bundle artifact.
    #[error("registry error: {0}")]
    Registry(String),
    /// A delta was made for another bundle than the one it is applied to.
    #[error("wrong base: delta {delta} applies to {expected}, but {actual}; apply the full bundle instead")]
    DeltaWrongBase {
        delta: String,
        /// The base the delta names: file, version and SHA-256.
        expected: String,
        /// The bundle given: file and SHA-256.
        actual: String,
    },
    /// A delta that cannot be applied: truncated, tampered, of an unknown format version,
    /// or naming rules the base does not hold.
    #[error("invalid delta: {file}: member `{member}`: {reason}")]
    DeltaInvalid {
        file: String,
        member: String,
        reason: String,
    },
}

impl DistError {
    /// A stable kebab-case name for the refusal.
    pub fn code(&self) -> &'static str {
        use DistError::*;
        match self {
            Bundle(e) => e.code(),
            ThresholdNotMet { .. } => "threshold-not-met",
            FreshnessExpired { .. } => "freshness-expired",
            FreshnessMismatch { .. } => "freshness-mismatch",
            FreshnessInvalid(_) => "freshness-invalid",
            FreshnessReplayed { .. } => "freshness-replayed",
            Equivocation { .. } => "equivocation",
            DigestMismatch { .. } => "digest-mismatch",
            Auth(_) => "registry-auth",
            NotFound(_) => "not-found",
            TooLarge { .. } => "too-large",
            Registry(_) => "registry",
            DeltaWrongBase { .. } => "delta-wrong-base",
            DeltaInvalid { .. } => "delta-invalid",
        }
    }

    /// The exit status of `ruleforge pull` / `verify` for this refusal: the bundle's own
    /// codes 3 to 8 (8: rollback), then 9 threshold, 10 freshness expired, 11 freshness
    /// naming another bundle, 12 freshness invalid, 13 freshness replayed, 14 equivocation,
    /// 15 digest mismatch, 16 authentication, 17 not found, 18 too large, 19 registry or
    /// network, 20 a delta for another base, 21 an invalid delta.
    pub fn exit_code(&self) -> u8 {
        use DistError::*;
        match self {
            Bundle(e) => e.exit_code(),
            ThresholdNotMet { .. } => 9,
            FreshnessExpired { .. } => 10,
            FreshnessMismatch { .. } => 11,
            FreshnessInvalid(_) => 12,
            FreshnessReplayed { .. } => 13,
            Equivocation { .. } => 14,
            DigestMismatch { .. } => 15,
            Auth(_) => 16,
            NotFound(_) => 17,
            TooLarge { .. } => 18,
            Registry(_) => 19,
            DeltaWrongBase { .. } => 20,
            DeltaInvalid { .. } => 21,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_per_attack() {
        let s = String::new;
        let all = [
            DistError::ThresholdNotMet {
                required: 2,
                valid: 1,
                signers: s(),
                rejected: s(),
            },
            DistError::FreshnessExpired {
                expires: s(),
                now: s(),
            },
            DistError::FreshnessMismatch {
                field: "sha256",
                expected: s(),
                actual: s(),
            },
            DistError::FreshnessInvalid(s()),
            DistError::FreshnessReplayed {
                issued: s(),
                seen: s(),
            },
            DistError::Equivocation {
                name: s(),
                version: 1,
                expected: s(),
                actual: s(),
            },
            DistError::DigestMismatch {
                what: s(),
                expected: s(),
                expected_size: 0,
                actual: s(),
                actual_size: 0,
            },
            DistError::Auth(s()),
            DistError::NotFound(s()),
            DistError::TooLarge {
                what: s(),
                limit: 0,
            },
            DistError::Registry(s()),
            DistError::DeltaWrongBase {
                delta: s(),
                expected: s(),
                actual: s(),
            },
            DistError::DeltaInvalid {
                file: s(),
                member: s(),
                reason: s(),
            },
        ];
        let mut codes: Vec<u8> = all.iter().map(DistError::exit_code).collect();
        let mut names: Vec<&str> = all.iter().map(DistError::code).collect();
        codes.extend([3, 4, 5, 6, 7, 8]);
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), n, "exit codes must be distinct");
        assert_eq!(names.len(), all.len(), "codes must be distinct");
        let rollback = DistError::Bundle(VerifyError::Rollback {
            version: 1,
            current: 2,
        });
        assert_eq!((rollback.exit_code(), rollback.code()), (8, "rollback"));
    }
}
