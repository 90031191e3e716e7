//! What the file-scanning targets (YARA, ClamAV) share: they see one file at a time and
//! can only say something about its digests.
//!
//! Their projection of the reference matcher is the event a scanner would build for one
//! file: `file.hash.md5`, `file.hash.sha1` and `file.hash.sha256` of its bytes. For such an
//! event a group of hash types is true when the file's digest of every type is among the
//! group's values of that type, which is exactly what these targets evaluate. Every other
//! indicator type describes something a file scanner does not observe (a name, a path, a
//! process, a network flow) and is left out.

use super::model::Pattern;
use crate::indicator::IndicatorType;

/// The digests of the empty file. No file scanner reports the empty file by its hash
/// (libyara and ClamAV do not scan zero bytes), so these values are left out.
pub const EMPTY_FILE: [(IndicatorType, &str); 3] = [
    (IndicatorType::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
    (
        IndicatorType::Sha1,
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ),
    (
        IndicatorType::Sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
];

/// Whether `ty` is a file digest.
pub fn is_hash(ty: IndicatorType) -> bool {
    matches!(
        ty,
        IndicatorType::Md5 | IndicatorType::Sha1 | IndicatorType::Sha256
    )
}

/// What a rule value of a hash type is to a file scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashValue {
    /// Lower-case hex of the right length: usable.
    Digest(String),
    /// The digest of the empty file.
    EmptyFile,
    /// Not a plain digest (cannot come out of a linted rule; kept out rather than guessed).
    NotADigest,
}

/// Classifies one value of the hash type `ty`.
pub fn classify(ty: IndicatorType, p: &Pattern) -> HashValue {
    let Pattern::Exact(v) = p else {
        return HashValue::NotADigest;
    };
    let want = match ty {
        IndicatorType::Md5 => 32,
        IndicatorType::Sha1 => 40,
        IndicatorType::Sha256 => 64,
        _ => return HashValue::NotADigest,
    };
    if v.len() != want || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return HashValue::NotADigest;
    }
    let lower = v.to_ascii_lowercase();
    if EMPTY_FILE.iter().any(|(t, h)| *t == ty && *h == lower) {
        HashValue::EmptyFile
    } else {
        HashValue::Digest(lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn empty_file_digests_are_the_real_ones() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        // md5 and sha1 of zero bytes are checked by the engine tests, which hash a real empty
        // file; sha256 can be computed here.
        assert_eq!(EMPTY_FILE[2].1, hex(&sha2::Sha256::digest(b"")));
        assert_eq!(
            classify(IndicatorType::Md5, &Pattern::Exact(EMPTY_FILE[0].1.into())),
            HashValue::EmptyFile
        );
    }

    #[test]
    fn classify_takes_only_plain_digests() {
        use IndicatorType::*;
        assert_eq!(
            classify(
                Md5,
                &Pattern::Exact("5D41402ABC4B2A76B9719D911017C592".into())
            ),
            HashValue::Digest("5d41402abc4b2a76b9719d911017c592".into())
        );
        assert_eq!(
            classify(Md5, &Pattern::Exact("5d41".into())),
            HashValue::NotADigest
        );
        assert_eq!(
            classify(Sha1, &Pattern::Regex("^ab".into())),
            HashValue::NotADigest
        );
        assert_eq!(
            classify(FileName, &Pattern::Exact("a".into())),
            HashValue::NotADigest
        );
    }
}

/// Rules built in memory for the targets' unit tests.
#[cfg(test)]
pub(crate) mod test_rules {
    use super::super::model::{ExportRule, Group, Pattern};
    use crate::indicator::IndicatorType;

    /// A group in a test: its types, each with its values.
    pub type TestGroup<'a> = (&'a str, &'a [(IndicatorType, &'a [&'a str])]);

    /// A rule with `groups` (name, [(type, [values])]) and `condition`; values are taken as
    /// canonical, classified, sorted and deduplicated like the model does.
    pub fn rule(id: &str, condition: &str, groups: &[TestGroup<'_>]) -> ExportRule {
        ExportRule {
            id: id.to_string(),
            path: format!("rules/{id}.yml"),
            title: format!("Rule {id}"),
            status: "stable".into(),
            severity: "high".into(),
            confidence: None,
            tlp: None,
            author: None,
            created: None,
            modified: None,
            expires: None,
            description: None,
            tags: Vec::new(),
            references: Vec::new(),
            condition_text: condition.to_string(),
            condition: crate::condition::parse(condition).expect("test condition parses"),
            groups: groups
                .iter()
                .map(|(name, types)| {
                    let group: Group = types
                        .iter()
                        .map(|(ty, values)| {
                            let mut patterns: Vec<Pattern> =
                                values.iter().map(|v| Pattern::of(*ty, v)).collect();
                            patterns.sort();
                            patterns.dedup();
                            (*ty, patterns)
                        })
                        .collect();
                    (name.to_string(), group)
                })
                .collect(),
        }
    }
}
