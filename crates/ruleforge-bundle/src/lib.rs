//! Verify and read ruleforge rule bundles: what a scanner needs, without the authoring stack.
//!
//! A bundle is a byte-reproducible `.tar.gz` holding `manifest.json` (every other member with
//! its size and SHA-256), the compiled native rules (`rules.json`) and the Sigma documents
//! (`sigma.json`), with a detached minisign signature over the archive bytes. The `ruleforge`
//! tool builds and signs bundles; this crate only reads them, so its dependencies stay few
//! and pure Rust (no git, no YAML, no JSON-schema engine, no CLI).
//!
//! - [`verify()`] checks a bundle in one call (signature first, then archive, manifest,
//!   members, payloads, expiry, rollback) and returns its typed contents ([`VerifiedBundle`]).
//! - [`TrustedKey`] reads minisign public keys; [`archive::read`] reads an archive with strict,
//!   bounded checks; [`Manifest`], [`RuleSet`] and [`SigmaSet`] are the documents.
//! - [`verify_with`] lets a caller add checks (the `ruleforge` tool adds the JSON schemas).
//!
//! `docs/bundle-format.md` in the ruleforge repository is the format's contract.
//!
//! ```no_run
//! use ruleforge_bundle::{verify, TrustedKey, VerifyOptions};
//! let archive = std::fs::read("rules-20250101000000.tar.gz")?;
//! let signature = std::fs::read_to_string("rules-20250101000000.tar.gz.minisig")?;
//! let key = TrustedKey::parse(&std::fs::read_to_string("bundle.pub")?)?;
//! let opts = VerifyOptions { current_version: Some(20241201000000), ..Default::default() };
//! let verified = verify(&archive, &signature, &[key], &opts)?;
//! for rule in &verified.rules.rules {
//!     println!("{} {}", rule.id, rule.title);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod archive;
pub mod keys;
pub mod manifest;
pub mod par;
pub mod payload;
pub mod times;
pub mod verify;

pub use keys::{KeyError, KeyId, TrustedKey};
pub use manifest::{Counts, FileEntry, KindEntry, Manifest, RulesByKind, SigmaKindEntry};
pub use payload::{CompiledRule, CompiledRuleRef, RuleSet, SigmaEntry, SigmaSet, Text, TypeInfo};
pub use times::{format_time, parse_time, version_of, TimeError};
pub use verify::{
    hex, verify, verify_in_place, verify_signature, verify_with, Checks, NoChecks, VerifiedBundle,
    VerifiedWith, VerifyError, VerifyOptions, DEFAULT_MAX_UNPACKED, IN_PLACE_RUN,
};

/// The `format` value of every manifest.
pub const FORMAT: &str = "ruleforge-bundle";
/// The bundle format version ruleforge writes. Version 2 added the `sigma.json` member and
/// the manifest's `rules` (rules by kind).
pub const FORMAT_VERSION: u32 = 3;
/// The format versions this crate reads: version 1 bundles (native rules only) still verify.
pub const READABLE_VERSIONS: [u32; 3] = [1, 2, 3];
pub const MANIFEST_NAME: &str = "manifest.json";
pub const RULES_NAME: &str = "rules.json";
pub const SIGMA_NAME: &str = "sigma.json";
/// Start of the trusted comment of bundle signatures.
pub const COMMENT_PREFIX: &str = "ruleforge-bundle ";

/// The trusted comment of a bundle's signature.
pub fn trusted_comment(m: &Manifest) -> String {
    format!(
        "{COMMENT_PREFIX}name={} version={} commit={} expires={}",
        m.name, m.version, m.commit, m.expires
    )
}
