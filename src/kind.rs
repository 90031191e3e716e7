//! Rule kinds: a rule file is a native indicator rule or a Sigma document (rule, correlation
//! rule or filter). The kind comes from `[kinds]` in `ruleforge.toml` when a pattern names
//! the file, else from the shape of its YAML documents; [`parse_source`] parses a file as the
//! kind it holds.
//!
//! Every command that reads rules (lint, fmt, diff and bundle) asks this module, so they
//! agree on what a file is.

use crate::rule::{Rule, RuleFile};
use crate::sigma::SigmaFile;
use crate::source::SourceFile;
use crate::yaml::{LoadError, LoadErrorKind, Node};
use serde::Serialize;

/// What a rule file holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
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
    /// The globs as written (Sigma, native): what the lint cache keys on.
    patterns: (Vec<String>, Vec<String>),
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
            patterns: (sigma.to_vec(), native.to_vec()),
        })
    }

    /// The globs of Sigma files and of native files, as given to [`KindPatterns::new`].
    pub fn patterns(&self) -> (&[String], &[String]) {
        (&self.patterns.0, &self.patterns.1)
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

/// A file parsed as the kind it holds.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per file, moved once
pub enum Parsed {
    Native(RuleFile),
    Sigma(SigmaFile),
}

/// A parsed file of either kind, borrowed (what the per-file hook of `lint::run_with` sees).
#[derive(Debug, Clone, Copy)]
pub enum ParsedRef<'a> {
    Native(&'a RuleFile),
    Sigma(&'a SigmaFile),
}

impl Parsed {
    pub fn kind(&self) -> RuleKind {
        match self {
            Parsed::Native(_) => RuleKind::Native,
            Parsed::Sigma(_) => RuleKind::Sigma,
        }
    }
    pub fn source(&self) -> &SourceFile {
        match self {
            Parsed::Native(f) => &f.source,
            Parsed::Sigma(f) => &f.source,
        }
    }
}

/// The kind of a file that `[kinds]` does not name, from the shapes of its documents: Sigma
/// when one document has a Sigma shape and none has a native one, else native.
fn by_shapes(shapes: impl IntoIterator<Item = Option<RuleKind>>) -> RuleKind {
    let (mut sigma, mut native) = (false, false);
    for shape in shapes {
        sigma |= shape == Some(RuleKind::Sigma);
        native |= shape == Some(RuleKind::Native);
    }
    if sigma && !native {
        RuleKind::Sigma
    } else {
        RuleKind::Native
    }
}

/// The kind of a file, decided as [`parse_source`] decides it, without building the rule
/// model: what `fmt` needs to leave Sigma files alone. A file with a top-level `indicators:`
/// line is native without being parsed; a file that does not parse is native unless
/// `[kinds]` names it Sigma.
pub fn kind_of(source: &SourceFile, kinds: &KindPatterns) -> RuleKind {
    if let Some(kind) = kinds.for_path(&source.path) {
        return kind;
    }
    // A line starting with `indicators:` (the first, or one after a line break).
    let text = source.text.as_str();
    if text.starts_with("indicators:") || text.contains("\nindicators:") {
        return RuleKind::Native;
    }
    match crate::yaml::parse_documents(source) {
        Ok(docs) => by_shapes(docs.nodes.iter().map(detect)),
        Err(_) => RuleKind::Native,
    }
}

/// Parses a file as the kind it holds: the kind `[kinds]` gives its path, else the kind its
/// shape shows ([`detect`]), else native. Several YAML documents are accepted in Sigma
/// files only; in a native file the second one is an error
/// ([`LoadErrorKind::SecondDocument`]).
pub fn parse_source(source: SourceFile, kinds: &KindPatterns) -> Parsed {
    let hint = kinds.for_path(&source.path);
    if hint == Some(RuleKind::Native) {
        return Parsed::Native(RuleFile::parse(source));
    }
    match crate::yaml::parse_documents(&source) {
        Err(e) => {
            if hint == Some(RuleKind::Sigma) {
                Parsed::Sigma(SigmaFile {
                    source,
                    parsed: Err(e),
                })
            } else {
                Parsed::Native(RuleFile {
                    source,
                    parsed: Err(e),
                })
            }
        }
        Ok(docs) => {
            let sigma = hint == Some(RuleKind::Sigma)
                || by_shapes(docs.nodes.iter().map(detect)) == RuleKind::Sigma;
            if sigma {
                return Parsed::Sigma(SigmaFile::from_documents(source, docs.nodes));
            }
            if docs.nodes.len() > 1 {
                let e = LoadError::new(
                    LoadErrorKind::SecondDocument,
                    "a second YAML document starts here: a rule file holds exactly one document",
                    docs.starts.get(1).copied().unwrap_or_default(),
                );
                return Parsed::Native(RuleFile {
                    source,
                    parsed: Err(e),
                });
            }
            let node = docs.nodes.into_iter().next().expect("one document");
            let rule = Rule::from_node(&node);
            Parsed::Native(RuleFile {
                source,
                parsed: Ok((node, rule)),
            })
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
    fn kind_of_decides_as_parse_source_does() {
        let kinds = KindPatterns::new(&["drafts/**".into()], &[]).unwrap();
        let cases = [
            ("rules/a.yml", "title: x\nlogsource: {}\ndetection: {}\n"),
            ("rules/b.yml", "title: x\nindicators: {}\n"),
            ("rules/c.yml", "a: 1\n---\ntitle: x\ndetection: {}\n"),
            (
                "rules/d.yml",
                "title: x\ndetection: {}\n---\nindicators: {}\n",
            ),
            ("rules/e.yml", "title: [unclosed\n"),
            ("drafts/f.yml", "title: [unclosed\n"),
            ("drafts/g.yml", "title: x\n"),
        ];
        for (path, text) in cases {
            let src = SourceFile::new(path, text);
            let parsed = parse_source(src.clone(), &kinds).kind();
            assert_eq!(kind_of(&src, &kinds), parsed, "{path}");
        }
        assert_eq!(
            kind_of(&SourceFile::new("rules/a.yml", cases[0].1), &kinds),
            RuleKind::Sigma
        );
        assert_eq!(
            kind_of(&SourceFile::new("drafts/f.yml", cases[5].1), &kinds),
            RuleKind::Sigma
        );
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
