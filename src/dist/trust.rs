//! The `[trust]` table of `ruleforge.toml` checked for a key rotation that never leaves
//! scanners without a valid path: every listed key readable and distinct, a threshold that
//! the listed keys can meet, and a warning when retiring (or losing) any one key would make
//! the threshold unreachable.
//!
//! The rotation the checks keep safe: add the new public key to `public-keys` (scanners
//! receive it with their configuration), sign with both keys, ship; only when every scanner
//! trusts the new key, remove the old one from the list and stop signing with it.

use crate::bundle::TrustedKey;
use crate::config::TrustConfig;
use std::path::Path;

/// A problem with `[trust]`: an error stops `ruleforge lint`, a warning does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustProblem {
    pub error: bool,
    pub message: String,
}

impl std::fmt::Display for TrustProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = if self.error { "error" } else { "warning" };
        write!(f, "{level}: {}", self.message)
    }
}

/// Checks `[trust]`; `config_name` names the file in messages, key paths are relative to
/// `root`.
pub fn check(trust: &TrustConfig, root: &Path, config_name: &str) -> Vec<TrustProblem> {
    let mut problems = Vec::new();
    let mut error = |message: String| {
        problems.push(TrustProblem {
            error: true,
            message,
        })
    };
    if trust.public_keys.is_empty() {
        if trust.threshold > 1 {
            error(format!(
                "{config_name}: [trust] threshold = {} but no public-keys are listed",
                trust.threshold
            ));
        }
        return problems;
    }
    let mut ids = Vec::new();
    for (i, rel) in trust.public_keys.iter().enumerate() {
        let at = format!("{config_name}: [trust] public-keys[{i}] `{rel}`");
        let text = match std::fs::read_to_string(root.join(rel)) {
            Ok(t) => t,
            Err(e) => {
                error(format!("{at}: cannot read: {e}"));
                continue;
            }
        };
        match TrustedKey::parse_named(&text, rel) {
            Ok(k) => {
                if ids.contains(&k.key_id()) {
                    error(format!(
                        "{at}: key {} is listed twice: a threshold counts distinct keys",
                        k.key_id()
                    ));
                } else {
                    ids.push(k.key_id());
                }
            }
            Err(e) => error(format!("{at}: {e}")),
        }
    }
    let keys = trust.public_keys.len();
    if trust.threshold == 0 || trust.threshold > keys {
        error(format!(
            "{config_name}: [trust] threshold = {} cannot be met by the {keys} listed key{}",
            trust.threshold,
            if keys == 1 { "" } else { "s" }
        ));
    } else if keys > 1 && trust.threshold == keys {
        problems.push(TrustProblem {
            error: false,
            message: format!(
                "{config_name}: [trust] threshold = {keys} requires every listed key: retiring or losing any one of them leaves scanners without a valid path; add the new key before retiring an old one, or lower the threshold"
            ),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(dir: &Path, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let k = crate::bundle::sign::generate(None).unwrap();
                let name = format!("k{i}.pub");
                std::fs::write(dir.join(&name), k.public_key_text).unwrap();
                name
            })
            .collect()
    }

    #[test]
    fn a_rotation_with_both_keys_passes_and_unreachable_thresholds_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let listed = keys(dir.path(), 2);
        let trust = |public_keys: Vec<String>, threshold| TrustConfig {
            public_keys,
            threshold,
        };
        assert_eq!(
            check(&trust(listed.clone(), 1), dir.path(), "r.toml"),
            vec![]
        );
        let p = check(&trust(listed.clone(), 3), dir.path(), "r.toml");
        assert!(
            p[0].error && p[0].message.contains("cannot be met by the 2 listed keys"),
            "{p:?}"
        );
        let p = check(&trust(listed.clone(), 2), dir.path(), "r.toml");
        assert!(
            !p[0].error && p[0].message.contains("retiring or losing"),
            "{p:?}"
        );
        let twice = vec![listed[0].clone(), listed[0].clone()];
        let p = check(&trust(twice, 1), dir.path(), "r.toml");
        assert!(p[0].message.contains("listed twice"), "{p:?}");
        let p = check(&trust(vec!["missing.pub".into()], 1), dir.path(), "r.toml");
        assert!(
            p[0].message
                .starts_with("r.toml: [trust] public-keys[0] `missing.pub`: cannot read"),
            "{p:?}"
        );
    }
}
