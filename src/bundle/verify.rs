//! Verifying a bundle: the `ruleforge-bundle` crate's [`verify_with`], with the bundle's
//! JSON schemas (`schemas/bundle-*.schema.json`) checked where the crate reads the manifest
//! and the payloads, so that `ruleforge verify` reports schema errors by pointer. The checks,
//! their order, the [`VerifyError`] variants and their exit codes are the crate's.

pub use ruleforge_bundle::verify::{
    hex, verify_signature, verify_with, Checks, NoChecks, VerifiedBundle, VerifyError,
    VerifyOptions, DEFAULT_MAX_UNPACKED,
};

use serde_json::Value;

/// The bundle's JSON schemas as [`Checks`] (and the verification phases as timings).
#[derive(Debug, Clone, Copy, Default)]
pub struct Schemas;

impl Checks for Schemas {
    fn manifest(&self, manifest: &Value) -> Vec<String> {
        super::schema_errors(super::manifest_validator(), manifest)
    }
    fn member(&self, member: &str, document: &Value) -> Vec<String> {
        match member {
            super::RULES_NAME => super::schema_errors(super::rules_validator(), document),
            super::SIGMA_NAME => super::schema_errors(super::sigma_validator(), document),
            _ => Vec::new(),
        }
    }
    fn member_item(&self, member: &str, item: &Value, at: &str) -> Vec<String> {
        match member {
            super::RULES_NAME => super::schema_errors_at(super::rules_item_validator(), item, at),
            super::SIGMA_NAME => super::schema_errors_at(super::sigma_item_validator(), item, at),
            _ => Vec::new(),
        }
    }
    fn phase(&self, name: &str) {
        crate::timings::mark(name);
    }
}

/// Verifies a bundle: `archive` is the `.tar.gz` bytes, `signature` the `.minisig` text,
/// `keys` the trusted public keys (several during a key rotation).
///
/// The checks of [`ruleforge_bundle::verify()`], in its order, with the manifest matched
/// against `schemas/bundle-manifest.schema.json`, `rules.json` against
/// `schemas/bundle-rules.schema.json` and `sigma.json` against
/// `schemas/bundle-sigma.schema.json` before they are read. A scanner that does not need
/// the schema messages depends on `ruleforge-bundle` alone.
///
/// ```no_run
/// use ruleforge::bundle::{self, TrustedKey, VerifyOptions};
/// let archive = std::fs::read("rules-20250101000000.tar.gz")?;
/// let signature = std::fs::read_to_string("rules-20250101000000.tar.gz.minisig")?;
/// let key = TrustedKey::parse(&std::fs::read_to_string("bundle.pub")?)?;
/// let opts = VerifyOptions { current_version: Some(20241201000000), ..Default::default() };
/// let verified = bundle::verify(&archive, &signature, &[key], &opts)?;
/// for rule in &verified.rules.rules {
///     println!("{} {}", rule.id, rule.title);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(
    archive: &[u8],
    signature: &str,
    keys: &[super::TrustedKey],
    opts: &VerifyOptions,
) -> Result<VerifiedBundle, VerifyError> {
    verify_with(archive, signature, keys, opts, &Schemas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{
        archive, compile, sign, Counts, FileEntry, Manifest, RuleSet, SigmaSet, TrustedKey, FORMAT,
        FORMAT_VERSION,
    };
    use sha2::{Digest, Sha256};

    fn sample_rules(version: u32) -> Vec<u8> {
        let rule = crate::rule::RuleFile::parse(crate::source::SourceFile::new(
            "rules/a.yml",
            "id: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d\ntitle: A sample rule\nstatus: test\n\
             severity: high\nindicators:\n  g:\n    sha256: \
             ['32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77']\n",
        ));
        let set = RuleSet {
            format_version: version,
            types: compile::type_table(),
            rules: vec![compile::compile_rule(&rule).unwrap()],
        };
        compile::to_json(&set)
    }

    fn entry(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }

    /// A small valid bundle: (archive, manifest).
    fn sample() -> (Vec<u8>, Manifest) {
        let rules = sample_rules(FORMAT_VERSION);
        let sigma_file = crate::sigma::SigmaFile::parse(crate::source::SourceFile::new(
            "sigma/a.yml",
            "title: Sample\nid: 5f1a1c3e-8a7e-4c1e-9d3b-2f9a3e7c1b20\nstatus: test\nlevel: low\n\
             logsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 1\n  condition: sel\n",
        ));
        let sigma_set = SigmaSet {
            format_version: FORMAT_VERSION,
            rules: crate::bundle::sigma::compile_file(&sigma_file)
                .into_iter()
                .map(Result::unwrap)
                .collect(),
        };
        let sigma = crate::bundle::sigma::set_to_json(&sigma_set);
        let counts: Counts = serde_json::from_value(serde_json::json!({
            "rules": 1, "indicators": 1, "rules_by_status": {"test": 1},
            "rules_by_severity": {"high": 1}, "indicators_by_type": {"sha256": 1}
        }))
        .unwrap();
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "sample".into(),
            version: 20240101000000,
            commit: "a".repeat(40),
            created: "2024-01-01T00:00:00Z".into(),
            expires: "2024-04-01T00:00:00Z".into(),
            tool_version: "0".into(),
            files: vec![entry("rules.json", &rules), entry("sigma.json", &sigma)],
            counts,
            rules: Some(crate::bundle::RulesByKind {
                native: crate::bundle::KindEntry {
                    member: "rules.json".into(),
                    count: 1,
                },
                sigma: crate::bundle::SigmaKindEntry::of(&sigma_set),
            }),
        };
        let m = serde_json::to_vec(&manifest).unwrap();
        let archive = archive::write(
            &[
                ("manifest.json", &m),
                ("rules.json", &rules),
                ("sigma.json", &sigma),
            ],
            0,
        )
        .unwrap();
        (archive, manifest)
    }

    fn keys() -> (sign::SigningKey, TrustedKey) {
        let g = sign::generate(None).unwrap();
        let key = sign::load_secret_key(&g.secret_key_text, "k", &mut || unreachable!()).unwrap();
        (key, TrustedKey::parse(&g.public_key_text).unwrap())
    }

    fn opts() -> VerifyOptions {
        VerifyOptions {
            now: crate::bundle::parse_time("2024-02-01").unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn rules_members_are_checked_item_by_item_and_whole() {
        let valid: serde_json::Value =
            serde_json::from_slice(&sample_rules(FORMAT_VERSION)).unwrap();
        // Through the whole verification: a sample bundle with this rules.json.
        let (archive, manifest) = sample();
        let (key, pk) = keys();
        let members = archive::read(&archive, 1 << 20).unwrap();
        let read = |v: &serde_json::Value| {
            let bytes = match v {
                serde_json::Value::String(s) => s.clone().into_bytes(),
                v => serde_json::to_vec(v).unwrap(),
            };
            let mut m = manifest.clone();
            m.files[0] = entry("rules.json", &bytes);
            let m = serde_json::to_vec(&m).unwrap();
            let b = archive::write(
                &[
                    ("manifest.json", &m),
                    ("rules.json", &bytes),
                    ("sigma.json", &members[2].1),
                ],
                0,
            )
            .unwrap();
            verify(
                &b,
                &sign::sign(&key, &b, "x").unwrap(),
                std::slice::from_ref(&pk),
                &opts(),
            )
            .map(|v| v.rules)
        };
        let message = |v: serde_json::Value| match read(&v) {
            Err(VerifyError::InvalidRules(m)) => m,
            other => panic!("{v}: {other:?}"),
        };
        let ok = read(&valid).unwrap();
        assert_eq!(ok.rules.len(), 1);
        assert_eq!(ok.types, compile::type_table());
        // A bad second rule is named by its place in the list.
        let mut two = valid.clone();
        let mut bad = two["rules"][0].clone();
        bad["severity"] = "dire".into();
        two["rules"].as_array_mut().unwrap().push(bad);
        let m = message(two);
        assert!(m.starts_with("/rules/1/severity: "), "{m}");
        // A bad top level, with valid rules.
        let mut extra = valid.clone();
        extra["surprise"] = 1.into();
        let m = message(extra);
        assert!(m.starts_with("/: ") && m.contains("surprise"), "{m}");
        // Other shapes are read whole: the schema's errors.
        let m = message(serde_json::json!([]));
        assert!(m.starts_with("/: "), "{m}");
        let mut not_a_list = valid.clone();
        not_a_list["rules"] = 5.into();
        let m = message(not_a_list);
        assert!(m.starts_with("/rules: "), "{m}");
        let mut old = valid.clone();
        old["format_version"] = 1.into();
        assert_eq!(message(old), "format_version 1 in a version 3 bundle");
        let m = message(serde_json::Value::String("{\"rules\": [".into()));
        assert!(m.starts_with("not JSON: "), "{m}");
    }

    #[test]
    fn version_1_bundles_still_verify() {
        let (archive, v2) = sample();
        let (key, pk) = keys();
        let ok = verify(
            &archive,
            &sign::sign(&key, &archive, "x").unwrap(),
            std::slice::from_ref(&pk),
            &opts(),
        )
        .unwrap();
        assert_eq!(ok.sigma.rules.len(), 1);
        assert_eq!(ok.sigma.rules[0].document["detection"]["sel"]["EventID"], 1);
        // The same rules as a version 1 bundle: no sigma.json, no `rules`.
        let rules = sample_rules(1);
        let mut v1 = v2.clone();
        v1.format_version = 1;
        v1.rules = None;
        v1.files = vec![entry("rules.json", &rules)];
        let m = serde_json::to_vec(&v1).unwrap();
        let b = archive::write(&[("manifest.json", &m), ("rules.json", &rules)], 0).unwrap();
        let ok = verify(
            &b,
            &sign::sign(&key, &b, "x").unwrap(),
            std::slice::from_ref(&pk),
            &opts(),
        )
        .unwrap();
        assert_eq!(ok.manifest.sigma_count(), 0);
        assert!(ok.sigma.rules.is_empty());
        assert_eq!(ok.rules.rules.len(), 1);
        // A version 1 manifest with `rules`, a later one without, a wrong count, a version
        // this build does not know: rejected.
        let mut bad = v1.clone();
        bad.rules = v2.rules.clone();
        let mut no_kinds = v2.clone();
        no_kinds.rules = None;
        let mut miscount = v2.clone();
        miscount.rules.as_mut().unwrap().sigma.count = 2;
        let mut v4 = v2.clone();
        v4.format_version = 4;
        for (m, code) in [
            (&bad, "invalid-manifest"),
            (&no_kinds, "invalid-manifest"),
            (&miscount, "invalid-sigma"),
            (&v4, "unsupported-format"),
        ] {
            let members = archive::read(&archive, 1 << 20).unwrap();
            let m = serde_json::to_vec(m).unwrap();
            let mut with: Vec<(&str, &[u8])> = vec![("manifest.json", &m)];
            for (p, d) in &members[1..] {
                with.push((p, d));
            }
            let b = archive::write(&with, 0).unwrap();
            let e = verify(
                &b,
                &sign::sign(&key, &b, "x").unwrap(),
                std::slice::from_ref(&pk),
                &opts(),
            )
            .unwrap_err();
            assert_eq!(e.code(), code, "{e}");
        }
    }

    #[test]
    fn mutated_archives_are_rejected_without_panics() {
        let (archive, manifest) = sample();
        let (key, pk) = keys();
        let opts = opts();
        let comment = crate::bundle::trusted_comment(&manifest);
        let sig = sign::sign(&key, &archive, &comment).unwrap();
        let ok = verify(&archive, &sig, std::slice::from_ref(&pk), &opts).unwrap();
        assert_eq!(ok.manifest, manifest);
        // Every byte damaged in turn, then truncations; re-signed so that the checks after
        // the signature see the damage. Each must be an error or (a byte in the gzip header's
        // unused fields) a harmless change: never a panic, never other contents.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rejected = 0;
        for i in 0..archive.len() + 50 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bad = archive.clone();
            if i < archive.len() {
                bad[i] ^= (seed as u8) | 1;
            } else {
                bad.truncate(seed as usize % archive.len());
            }
            let sig = sign::sign(&key, &bad, &comment).unwrap();
            match verify(&bad, &sig, std::slice::from_ref(&pk), &opts) {
                Ok(v) => assert_eq!(v.manifest, manifest, "byte {i}"),
                Err(_) => rejected += 1,
            }
        }
        assert!(rejected > archive.len() * 9 / 10, "{rejected}");
    }
}
