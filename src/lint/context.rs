//! What checks see: one rule file, or the whole rule set.

use crate::diagnostic::Span;
use crate::indicator::IndicatorType;
use crate::kind::RuleKind;
use crate::rule::{Rule, Spanned};
use crate::sigma::{DocType, SigmaRule};
use crate::source::SourceFile;
use crate::yaml::Node;
use serde::{Deserialize, Serialize};
use time::Date;

/// One parsed rule file.
pub struct FileContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a Rule,
    pub today: Date,
}

/// One Sigma document (a file may hold several: see `src/sigma/mod.rs`).
pub struct SigmaContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a SigmaRule,
    /// The document's index in its file (file-level checks run on document 0 only).
    pub doc_index: usize,
    pub today: Date,
}

impl SigmaContext<'_> {
    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// The facts repository-wide checks need about each rule, kept small so a large rule set
/// fits in memory after the per-file pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleSummary {
    pub kind: RuleKind,
    pub path: String,
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub deprecated: bool,
    pub related: Vec<Spanned<String>>,
    /// Distinct (type, canonical value) pairs with the span of their first occurrence; the
    /// text of every value is in `value_text` (one allocation per rule, not one per value:
    /// a large rule set holds millions of values). Read them with [`RuleSummary::values`].
    values: Vec<SummaryValue>,
    value_text: String,
    /// Sigma only: the document type, its `name`, and the rules it refers to by id or name
    /// (a correlation's `rules`, a filter's `rules`).
    pub sigma: Option<SigmaFacts>,
}

/// One distinct value of a rule summary: its type, where its canonical text lies in the
/// summary's `value_text`, and the span of its first occurrence.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SummaryValue {
    #[serde(with = "type_index")]
    ty: IndicatorType,
    start: u32,
    end: u32,
    span: Span,
}

/// What repository-wide Sigma checks need beyond the common facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigmaFacts {
    pub doc_type: DocType,
    pub name: Option<Spanned<String>>,
    pub refs: Vec<Spanned<String>>,
    /// The span to point at for the document as a whole (its title, else its start).
    pub anchor: Span,
}

impl RuleSummary {
    pub fn from_rule(path: &str, rule: &Rule) -> Self {
        // The distinct (type, canonical value) pairs: each value of a known type that is the
        // first of its kind in the rule.
        let firsts = rule.first_occurrences();
        let distinct = || {
            rule.values()
                .enumerate()
                .filter(|(i, _)| firsts[*i] as usize == *i)
                .filter_map(|(_, (_, t, v))| Some((t.ty?, v)))
        };
        let (n, len) = distinct().fold((0, 0), |(n, len), (_, v)| {
            (n + 1, len + v.canonical().len())
        });
        let mut values = Vec::with_capacity(n);
        let mut value_text = String::with_capacity(len);
        for (ty, v) in distinct() {
            // Offsets are u32: a rule's values would need 4 GiB of text to overflow them, far
            // past any file size limit; stop indexing rather than wrap.
            let start = value_text.len();
            let Ok(end) = u32::try_from(start + v.canonical().len()) else {
                break;
            };
            value_text.push_str(v.canonical());
            values.push(SummaryValue {
                ty,
                start: start as u32,
                end,
                span: v.span,
            });
        }
        RuleSummary {
            kind: RuleKind::Native,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values,
            value_text,
            sigma: None,
        }
    }

    pub fn from_sigma(path: &str, rule: &SigmaRule) -> Self {
        let mut refs = rule.filter_rules.clone();
        if let Some(c) = &rule.correlation {
            refs.extend(c.rules.iter().cloned());
        }
        RuleSummary {
            kind: RuleKind::Sigma,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values: Vec::new(),
            value_text: String::new(),
            sigma: Some(SigmaFacts {
                doc_type: rule.doc_type,
                name: rule.name.clone(),
                refs,
                anchor: rule.anchor(),
            }),
        }
    }

    /// The distinct (type, canonical value, span of the first occurrence) of a native rule,
    /// in the order they first appear.
    pub fn values(&self) -> impl ExactSizeIterator<Item = (IndicatorType, &str, Span)> + '_ {
        self.values.iter().map(|v| self.value(v))
    }

    /// Summaries encoded with `postcard` (as the lint cache stores a file's), checked before
    /// use: every value's place in `value_text` must lie within it, on character boundaries,
    /// so a damaged or foreign entry that passed its checksum is refused instead of making
    /// [`RuleSummary::values`] panic.
    pub(crate) fn decode_all(bytes: &[u8]) -> Result<Vec<RuleSummary>, String> {
        let summaries: Vec<RuleSummary> = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
        if !summaries.iter().all(RuleSummary::offsets_sound) {
            return Err("a value lies outside its text".into());
        }
        Ok(summaries)
    }

    fn offsets_sound(&self) -> bool {
        self.values.iter().all(|v| {
            let (start, end) = (v.start as usize, v.end as usize);
            start <= end && self.value_text.get(start..end).is_some()
        })
    }

    /// The `i`-th of [`RuleSummary::values`].
    pub fn value_at(&self, i: usize) -> (IndicatorType, &str, Span) {
        self.value(&self.values[i])
    }

    fn value(&self, v: &SummaryValue) -> (IndicatorType, &str, Span) {
        (
            v.ty,
            &self.value_text[v.start as usize..v.end as usize],
            v.span,
        )
    }

    /// Whether `other` states the same facts as `self`, wherever they sit in the file: the
    /// repository-wide checks then find the same things in both, at the places
    /// [`RuleSummary::spans`] pairs up. (An edit elsewhere in a file, such as its
    /// description, changes spans only.)
    pub fn same_facts(&self, other: &RuleSummary) -> bool {
        fn same<T: PartialEq>(a: &Option<Spanned<T>>, b: &Option<Spanned<T>>) -> bool {
            a.as_ref().map(|x| &x.value) == b.as_ref().map(|x| &x.value)
        }
        fn same_list<T: PartialEq>(a: &[Spanned<T>], b: &[Spanned<T>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value == y.value)
        }
        self.kind == other.kind
            && self.path == other.path
            && same(&self.id, &other.id)
            && same(&self.title, &other.title)
            && self.deprecated == other.deprecated
            && same_list(&self.related, &other.related)
            && self.value_text == other.value_text
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| a.ty == b.ty && a.start == b.start && a.end == b.end)
            && match (&self.sigma, &other.sigma) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a.doc_type == b.doc_type
                        && same(&a.name, &b.name)
                        && same_list(&a.refs, &b.refs)
                }
                _ => false,
            }
    }

    /// Every span the summary holds, in a fixed order (two summaries with the same facts
    /// pair up span by span).
    pub fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        out.extend(self.id.as_ref().map(|s| s.span));
        out.extend(self.title.as_ref().map(|s| s.span));
        out.extend(self.related.iter().map(|s| s.span));
        out.extend(self.values.iter().map(|v| v.span));
        if let Some(f) = &self.sigma {
            out.extend(f.name.as_ref().map(|s| s.span));
            out.extend(f.refs.iter().map(|s| s.span));
            out.push(f.anchor);
        }
        out
    }

    /// `path (title)` for messages.
    pub fn label(&self) -> String {
        match &self.title {
            Some(t) => format!("{} ({})", self.path, t.value),
            None => self.path.clone(),
        }
    }
}

/// The whole rule set.
pub struct RepoContext<'a> {
    /// Native indicator rules.
    pub rules: &'a [RuleSummary],
    /// Sigma documents (one summary per document).
    pub sigma: &'a [RuleSummary],
}

/// An indicator type as its index in [`IndicatorType::ALL`] (what the lint cache stores).
mod type_index {
    use crate::indicator::IndicatorType;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(ty: &IndicatorType, s: S) -> Result<S::Ok, S::Error> {
        let i = IndicatorType::ALL.iter().position(|t| t == ty);
        (i.unwrap_or(usize::MAX) as u8).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndicatorType, D::Error> {
        let i = u8::deserialize(d)?;
        IndicatorType::ALL
            .get(usize::from(i))
            .copied()
            .ok_or_else(|| serde::de::Error::custom(format!("no indicator type {i}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(value_text: &str, places: &[(u32, u32)]) -> RuleSummary {
        RuleSummary {
            kind: RuleKind::Native,
            path: "rules/a.yml".into(),
            id: None,
            title: None,
            deprecated: false,
            related: Vec::new(),
            values: places
                .iter()
                .map(|&(start, end)| SummaryValue {
                    ty: IndicatorType::Domain,
                    start,
                    end,
                    span: Span { start: 0, end: 1 },
                })
                .collect(),
            value_text: value_text.into(),
            sigma: None,
        }
    }

    #[test]
    fn decoded_summaries_with_values_outside_their_text_are_refused() {
        let good = vec![summary("example.comcafé.org", &[(0, 11), (11, 20)])];
        let bytes = postcard::to_allocvec(&good).unwrap();
        let back = RuleSummary::decode_all(&bytes).unwrap();
        let values: Vec<&str> = back[0].values().map(|(_, v, _)| v).collect();
        assert_eq!(values, ["example.com", "café.org"]);
        for places in [
            &[(0, 11), (11, 99)][..], // past the end
            &[(5, 2)],                // reversed
            &[(15, 20)],              // inside the two bytes of `é`
        ] {
            let bad = vec![good[0].clone(), summary("example.comcafé.org", places)];
            let bytes = postcard::to_allocvec(&bad).unwrap();
            let err = RuleSummary::decode_all(&bytes).unwrap_err();
            assert!(err.contains("outside its text"), "{places:?}: {err}");
        }
        assert!(RuleSummary::decode_all(b"\xff\xff").is_err());
    }
}
