//! Rule kinds: a rule file is a native indicator rule or a Sigma document (rule, correlation
//! rule or filter). The kind comes from `[kinds]` in `ruleforge.toml` when a pattern names
//! the file, else from the shape of its first YAML document.
//!
//! Every command that reads rules (lint, fmt, diff and bundle) asks this module, so they
//! agree on what a file is.

use crate::yaml::Node;
use serde::Serialize;

/// What a rule file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A ruleforge indicator rule (`schemas/rule.schema.json`).
    Native,
    /// A Sigma rule, correlation rule or filter (`schemas/sigma/`).
    Sigma,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Native => "native",
            RuleKind::Sigma => "sigma",
        }
    }
}

/// The shape of a parsed document: `Some(Sigma)` for a mapping with `logsource`,
/// `detection`, `correlation` or `filter` and no `indicators`; `Some(Native)` for a mapping
/// with `indicators`; `None` when the shape says nothing (then the file is native, whose
/// schema explains what is missing).
pub fn detect(node: &Node) -> Option<RuleKind> {
    let map = node.as_map()?;
    let has = |k: &str| {
        map.iter()
            .any(|e| e.key.as_scalar().is_some_and(|s| s.value == k))
    };
    if has("indicators") {
        Some(RuleKind::Native)
    } else if has("detection") || has("logsource") || has("correlation") || has("filter") {
        Some(RuleKind::Sigma)
    } else {
        None
    }
}

/// Compiled `[kinds]` patterns.
#[derive(Debug, Clone, Default)]
pub struct KindPatterns {
    sigma: Option<globset::GlobSet>,
    native: Option<globset::GlobSet>,
}

impl KindPatterns {
    /// Compiles the globs of Sigma files and of native files (`[kinds]` of the
    /// configuration, which checks them when it is read).
    pub fn new(sigma: &[String], native: &[String]) -> Result<Self, globset::Error> {
        let build = |pats: &[String]| -> Result<Option<globset::GlobSet>, globset::Error> {
            if pats.is_empty() {
                return Ok(None);
            }
            let mut b = globset::GlobSetBuilder::new();
            for p in pats {
                b.add(globset::Glob::new(p)?);
            }
            b.build().map(Some)
        };
        Ok(KindPatterns {
            sigma: build(sigma)?,
            native: build(native)?,
        })
    }

    /// The kind the configuration gives a repository-relative path, if any.
    pub fn for_path(&self, path: &str) -> Option<RuleKind> {
        if self.native.as_ref().is_some_and(|g| g.is_match(path)) {
            Some(RuleKind::Native)
        } else if self.sigma.as_ref().is_some_and(|g| g.is_match(path)) {
            Some(RuleKind::Sigma)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn shape(text: &str) -> Option<RuleKind> {
        detect(&crate::yaml::parse(&SourceFile::new("a.yml", text)).unwrap())
    }

    #[test]
    fn by_shape() {
        assert_eq!(shape("title: x\nindicators: {}\n"), Some(RuleKind::Native));
        assert_eq!(
            shape("title: x\nlogsource: {}\ndetection: {}\n"),
            Some(RuleKind::Sigma)
        );
        assert_eq!(shape("title: x\ncorrelation: {}\n"), Some(RuleKind::Sigma));
        assert_eq!(shape("title: x\nfilter: {}\n"), Some(RuleKind::Sigma));
        assert_eq!(shape("title: x\n"), None);
        assert_eq!(shape("- a\n"), None);
    }

    #[test]
    fn by_path_native_wins() {
        let k = KindPatterns::new(
            &["sigma/**".into(), "mixed/**".into()],
            &["mixed/native/**".into()],
        )
        .unwrap();
        assert_eq!(k.for_path("sigma/a/b.yml"), Some(RuleKind::Sigma));
        assert_eq!(k.for_path("mixed/native/b.yml"), Some(RuleKind::Native));
        assert_eq!(k.for_path("rules/b.yml"), None);
    }
}
