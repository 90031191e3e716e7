//! ClamAV: hash signatures, `clamav/ruleforge.hdb` (MD5) and `clamav/ruleforge.hsb` (SHA-1
//! and SHA-256), loaded with `clamscan -d DIR` (or copied into the database folder).
//!
//! What it can express: a hash signature names one digest of a whole file, and a file is
//! flagged when any signature matches. So a rule's view of a file is the event of its
//! digests (see [`super::hashes`]), and an AND-term of the condition is exported when it is
//! one group with one hash type: each value becomes one signature. A term that needs two
//! digests at once (a group with two hash types, or two groups) is an AND that hash
//! signatures cannot say, and is left out.
//!
//! | ruleforge type | ClamAV | faithful? |
//! |----------------|--------|-----------|
//! | `md5` | `.hdb` line `<md5>:*:<name>:73` | yes, alone in its term; not the empty file's digest |
//! | `sha1`, `sha256` | `.hsb` line `<hash>:*:<name>:73` | yes, alone in its term; not the empty file's digest |
//! | every other type | — | no: not a property of the file's bytes |
//!
//! The file size is not known, so every signature has the wildcard size `*`, which needs
//! the functionality level `73` (ClamAV 0.98 and later). ClamAV keeps the wildcard digests of
//! one hash type in one array, and refuses to load a database when that array would reach
//! 128 MiB (ClamAV 1.4.6: `mpool_malloc(): Attempt to allocate 134217728 bytes`, then "Can't
//! allocate memory"): at most [`max_wildcard`] signatures per type (8,388,607 MD5, 6,710,886
//! SHA-1, 4,194,303 SHA-256). Signatures past that are left out with a reason, rule by rule.
//! ClamAV does not scan empty files (so the empty file's digests are left out) nor files of
//! 5 bytes or less (a digest does not say the size, so this cannot be checked).
//!
//! Signature names are `Ruleforge.<title>.<rule id>` in `[A-Za-z0-9_.-]` (a `:` would end
//! the field); ClamAV reports them with `.UNOFFICIAL` appended. ClamAV reports one name per
//! digest, so a digest several rules carry is written once, named after the first of them
//! in id order (the file is flagged all the same). A file is written only when it
//! has signatures: ClamAV refuses an empty database file.

use super::hashes::{self, HashValue};
use super::model::ExportRule;
use super::report::{Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;
use std::collections::BTreeSet;

pub const MD5_FILE: &str = "ruleforge.hdb";
pub const SHA_FILE: &str = "ruleforge.hsb";

/// The size at which ClamAV's allocator refuses the array of one hash type's digests.
pub const MAX_ARRAY_BYTES: usize = 128 * 1024 * 1024;

/// The most wildcard-size signatures of hash type `ty` ClamAV loads: their digests must stay
/// below [`MAX_ARRAY_BYTES`].
pub fn max_wildcard(ty: IndicatorType) -> usize {
    let digest_bytes = match ty {
        IndicatorType::Md5 => 16,
        IndicatorType::Sha1 => 20,
        _ => 32,
    };
    (MAX_ARRAY_BYTES - 1) / digest_bytes
}

/// The longest title part of a signature name.
const MAX_TITLE: usize = 64;

pub const NOT_CONTENT: Reason = Reason {
    code: "clamav-not-content",
    sentence: "ClamAV hash signatures see the bytes of a file: this indicator type is not a property of them",
};
pub const AND_TERM: Reason = Reason {
    code: "clamav-and",
    sentence: "a hash signature names one digest: a condition term that needs several digests at once (several hash types or groups) cannot be expressed",
};
pub const EMPTY_FILE: Reason = Reason {
    code: "clamav-empty-file",
    sentence: "the digest of the empty file, which ClamAV never scans",
};
pub const NOT_A_DIGEST: Reason = Reason {
    code: "clamav-not-a-digest",
    sentence: "the value is not a plain hex digest of its type",
};
pub const LIMIT: Reason = Reason {
    code: "clamav-limit",
    sentence: "ClamAV loads at most 8,388,607 MD5, 6,710,886 SHA-1 and 4,194,303 SHA-256 wildcard-size signatures: this rule's would pass the limit",
};

pub const REASONS: [Reason; 5] = [NOT_CONTENT, AND_TERM, EMPTY_FILE, NOT_A_DIGEST, LIMIT];

/// The signature name of a rule: `Ruleforge.<title>.<id>`, `[A-Za-z0-9_.-]` only.
pub fn signature_name(rule: &ExportRule) -> String {
    let mut title = String::new();
    for c in rule.title.chars() {
        if c.is_ascii_alphanumeric() {
            title.push(c);
        } else if !title.ends_with('_') {
            title.push('_');
        }
    }
    let mut title = title.trim_matches('_').to_string();
    title.truncate(MAX_TITLE);
    let title = title.trim_end_matches('_');
    let id: String = rule
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if title.is_empty() {
        format!("Ruleforge.{id}")
    } else {
        format!("Ruleforge.{title}.{id}")
    }
}

/// One signature: the hash type and its lower-case hex digest.
type Signature = (IndicatorType, String);

/// The signatures of one rule, or the outcome that says why there are none.
fn signatures(rule: &ExportRule) -> Result<(Vec<Signature>, Vec<Omitted>), RuleOutcome> {
    let terms = terms_or_skip(rule)?;
    let mut omitted = Vec::new();
    let mut sigs = BTreeSet::new();
    for term in &terms {
        let groups: Vec<_> = term.iter().map(|g| (g, &rule.groups[g])).collect();
        let not_content = groups
            .iter()
            .find_map(|(name, g)| g.keys().find(|t| !hashes::is_hash(**t)).map(|t| (name, t)));
        if let Some((name, ty)) = not_content {
            omitted.push(Omitted {
                groups: term.clone(),
                skip: Skip::with(NOT_CONTENT, format!("group `{name}` uses `{}`", ty.name())),
            });
            continue;
        }
        if groups.len() != 1 || groups[0].1.len() != 1 {
            omitted.push(Omitted {
                groups: term.clone(),
                skip: Skip::with(AND_TERM, describe_term(rule, term)),
            });
            continue;
        }
        let (ty, patterns) = groups[0].1.iter().next().expect("one type");
        for p in patterns {
            let detail = || format!("`{}` value `{}`", ty.name(), p.rule_text());
            match hashes::classify(*ty, p) {
                HashValue::Digest(hex) => {
                    sigs.insert((*ty, hex));
                }
                HashValue::EmptyFile => omitted.push(Omitted {
                    groups: term.clone(),
                    skip: Skip::with(EMPTY_FILE, detail()),
                }),
                HashValue::NotADigest => omitted.push(Omitted {
                    groups: term.clone(),
                    skip: Skip::with(NOT_A_DIGEST, detail()),
                }),
            }
        }
    }
    Ok((sigs.into_iter().collect(), omitted))
}

/// `a and b`, or for one group its types (`md5 and sha256 in h`).
fn describe_term(rule: &ExportRule, term: &[String]) -> String {
    if term.len() > 1 {
        return term.join(" and ");
    }
    let types: Vec<&str> = rule.groups[&term[0]].keys().map(|t| t.name()).collect();
    format!("{} in group `{}`", types.join(" and "), term[0])
}

fn skipped_for(rule: &ExportRule, omitted: &[Omitted]) -> RuleOutcome {
    let skip = match omitted.first() {
        Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
        _ => Skip::new(super::report::common::NOTHING_EXPRESSIBLE),
    };
    RuleOutcome::skipped(&rule.id, &rule.path, skip)
}

/// Writes the databases, with `limit(type)` signatures at most per hash type.
fn export_with_limit(set: &ExportSet, limit: impl Fn(IndicatorType) -> usize) -> TargetOutput {
    let (mut md5, mut sha) = (String::new(), String::new());
    let mut counts = [0usize; 3];
    let mut seen: BTreeSet<Signature> = BTreeSet::new();
    let slot = |ty: IndicatorType| match ty {
        IndicatorType::Md5 => 0,
        IndicatorType::Sha1 => 1,
        _ => 2,
    };
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    use rayon::prelude::*;
    // Each rule's signatures on every core; the limits and duplicates are then applied in
    // rule order, so the output stays the same.
    let built: Vec<_> = set.native.par_iter().map(signatures).collect();
    for (rule, built) in set.native.iter().zip(built) {
        let (sigs, mut omitted) = match built {
            Ok(x) => x,
            Err(outcome) => {
                rules.push(outcome);
                continue;
            }
        };
        // A rule's signatures of one type go in together or not at all.
        let mut wanted = [0usize; 3];
        for sig in sigs.iter().filter(|sig| !seen.contains(*sig)) {
            wanted[slot(sig.0)] += 1;
        }
        let over: Vec<IndicatorType> = [
            IndicatorType::Md5,
            IndicatorType::Sha1,
            IndicatorType::Sha256,
        ]
        .into_iter()
        .filter(|ty| wanted[slot(*ty)] > 0 && counts[slot(*ty)] + wanted[slot(*ty)] > limit(*ty))
        .collect();
        for ty in &over {
            let groups: Vec<String> = rule
                .groups
                .iter()
                .filter(|(_, g)| g.len() == 1 && g.contains_key(ty))
                .map(|(name, _)| name.clone())
                .collect();
            omitted.push(Omitted {
                groups,
                skip: Skip::with(
                    LIMIT,
                    format!(
                        "{} `{}` signatures after {}",
                        wanted[slot(*ty)],
                        ty.name(),
                        counts[slot(*ty)]
                    ),
                ),
            });
        }
        let name = signature_name(rule);
        let mut carried = 0;
        for (ty, hex) in sigs.into_iter().filter(|(ty, _)| !over.contains(ty)) {
            carried += 1;
            let line = format!("{hex}:*:{name}:73\n");
            if !seen.insert((ty, hex)) {
                // Already a signature of an earlier rule: ClamAV reports one name per digest.
                continue;
            }
            match ty {
                IndicatorType::Md5 => md5.push_str(&line),
                _ => sha.push_str(&line),
            }
            counts[slot(ty)] += 1;
        }
        rules.push(if carried == 0 {
            skipped_for(rule, &omitted)
        } else {
            RuleOutcome::with_omitted(&rule.id, &rule.path, omitted)
        });
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    let mut files = Vec::new();
    if !md5.is_empty() {
        files.push((MD5_FILE.to_string(), md5.into_bytes()));
    }
    if !sha.is_empty() {
        files.push((SHA_FILE.to_string(), sha.into_bytes()));
    }
    TargetOutput { files, rules }
}

/// Writes `ruleforge.hdb` and `ruleforge.hsb` (each only when it has signatures), the
/// signatures of each rule in rule-id order.
pub fn export(set: &ExportSet, _opts: &Options) -> TargetOutput {
    export_with_limit(set, max_wildcard)
}

#[cfg(test)]
mod tests {
    use super::super::hashes::test_rules::rule;
    use super::super::Status;
    use super::*;
    use IndicatorType::*;

    const A: &str = "5d41402abc4b2a76b9719d911017c592";
    const S1: &str = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";
    const S256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn set(rules: Vec<ExportRule>) -> ExportSet {
        ExportSet {
            native: rules,
            ..ExportSet::default()
        }
    }

    fn codes(o: &RuleOutcome) -> Vec<&'static str> {
        match &o.status {
            Status::Skipped { skip } => vec![skip.code],
            Status::Partial { omitted } => omitted.iter().map(|x| x.skip.code).collect(),
            Status::Exported => vec![],
        }
    }

    fn file<'a>(out: &'a TargetOutput, name: &str) -> Option<&'a str> {
        out.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| std::str::from_utf8(b).unwrap())
    }

    #[test]
    fn md5_goes_to_hdb_and_sha_to_hsb_one_line_per_value() {
        let mut r = rule(
            "7e000000-0000-4000-8000-000000000001",
            "1 of them",
            &[
                ("m", &[(Md5, &[A])]),
                ("s", &[(Sha1, &[S1])]),
                ("t", &[(Sha256, &[S256])]),
            ],
        );
        r.title = "Web shell: \"x\" (ProxyLogon)".into();
        let out = export_with_limit(&set(vec![r]), |_| 10);
        assert_eq!(out.rules[0].status, Status::Exported);
        let name = "Ruleforge.Web_shell_x_ProxyLogon.7e000000-0000-4000-8000-000000000001";
        assert_eq!(file(&out, MD5_FILE).unwrap(), format!("{A}:*:{name}:73\n"));
        assert_eq!(
            file(&out, SHA_FILE).unwrap(),
            format!("{S1}:*:{name}:73\n{S256}:*:{name}:73\n")
        );
    }

    #[test]
    fn clamav_and_leaves_out_terms_that_need_two_digests() {
        let r = rule(
            "r1",
            "(a and b) or both",
            &[
                ("a", &[(Md5, &[A])]),
                ("b", &[(Sha1, &[S1])]),
                ("both", &[(Md5, &[A]), (Sha256, &[S256])]),
            ],
        );
        let out = export_with_limit(&set(vec![r]), |_| 10);
        assert_eq!(codes(&out.rules[0]), vec![AND_TERM.code]);
        assert!(matches!(out.rules[0].status, Status::Skipped { .. }));
        assert!(out.files.is_empty(), "no database file without signatures");
    }

    #[test]
    fn clamav_not_content_and_empty_file_and_not_a_digest() {
        let empty = hashes::EMPTY_FILE[2].1;
        let rules = vec![
            rule("r1", "1 of them", &[("n", &[(FileName, &["x.aspx"])])]),
            rule("r2", "1 of them", &[("h", &[(Sha256, &[empty, S256])])]),
            rule("r3", "1 of them", &[("h", &[(Md5, &["abc"])])]),
        ];
        let out = export_with_limit(&set(rules), |_| 10);
        assert_eq!(codes(&out.rules[0]), vec![NOT_CONTENT.code]);
        assert_eq!(codes(&out.rules[1]), vec![EMPTY_FILE.code]);
        assert!(matches!(out.rules[1].status, Status::Partial { .. }));
        assert!(!file(&out, SHA_FILE).unwrap().contains(empty));
        assert_eq!(codes(&out.rules[2]), vec![NOT_A_DIGEST.code]);
    }

    #[test]
    fn clamav_limit_keeps_each_type_under_the_limit_per_rule() {
        let b = "b".repeat(32);
        let c = "c".repeat(32);
        let rules = vec![
            rule("r1", "1 of them", &[("h", &[(Md5, &[A, &b])])]),
            // Would be the third and fourth MD5: left out whole; its SHA-256 still fits.
            rule(
                "r2",
                "1 of them",
                &[
                    ("h", &[(Md5, &[&c, &"d".repeat(32)])]),
                    ("s", &[(Sha256, &[S256])]),
                ],
            ),
            rule("r3", "1 of them", &[("h", &[(Md5, &[&c])])]),
        ];
        let out = export_with_limit(&set(rules), |_| 2);
        assert_eq!(out.rules[0].status, Status::Exported);
        assert_eq!(codes(&out.rules[1]), vec![LIMIT.code]);
        assert!(matches!(out.rules[1].status, Status::Partial { .. }));
        assert_eq!(codes(&out.rules[2]), vec![LIMIT.code]);
        assert!(matches!(out.rules[2].status, Status::Skipped { .. }));
        let hdb = file(&out, MD5_FILE).unwrap();
        assert_eq!(hdb.lines().count(), 2);
        assert!(!hdb.contains(&c));
        assert!(file(&out, SHA_FILE).unwrap().contains(S256));
    }

    #[test]
    fn signature_names_keep_only_safe_characters() {
        let mut r = rule("0b1c2d3e-0000-4000-8000-00000000000f", "1 of them", &[]);
        r.title = ":::".into();
        assert_eq!(
            signature_name(&r),
            "Ruleforge.0b1c2d3e-0000-4000-8000-00000000000f"
        );
        r.title = "Ä".repeat(3) + &"long title ".repeat(20);
        let name = signature_name(&r);
        assert!(name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        assert!(name.len() <= "Ruleforge..".len() + MAX_TITLE + 36, "{name}");
        assert!(name.ends_with(".0b1c2d3e-0000-4000-8000-00000000000f"));
    }

    #[test]
    fn a_digest_shared_by_rules_is_one_signature_named_after_the_first() {
        let rules = vec![
            rule(
                "7e000000-0000-4000-8000-000000000001",
                "1 of them",
                &[("h", &[(Md5, &[A])])],
            ),
            rule(
                "7e000000-0000-4000-8000-000000000002",
                "1 of them",
                &[("h", &[(Md5, &[A])])],
            ),
        ];
        let out = export_with_limit(&set(rules), |_| 1);
        assert_eq!(out.rules[0].status, Status::Exported);
        assert_eq!(
            out.rules[1].status,
            Status::Exported,
            "its digest is in the database"
        );
        let hdb = file(&out, MD5_FILE).unwrap();
        assert_eq!(hdb.lines().count(), 1, "{hdb}");
        assert!(hdb.contains("7e000000-0000-4000-8000-000000000001"));
    }

    #[test]
    fn the_limits_keep_each_array_below_128_mib() {
        for (ty, len, max) in [
            (Md5, 16, 8_388_607),
            (Sha1, 20, 6_710_886),
            (Sha256, 32, 4_194_303),
        ] {
            assert_eq!(max_wildcard(ty), max);
            assert!(max * len < MAX_ARRAY_BYTES);
            assert!((max + 1) * len >= MAX_ARRAY_BYTES);
        }
    }
}
