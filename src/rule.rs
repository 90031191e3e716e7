//! The typed rule model, read leniently from the spanned YAML tree.
//!
//! Structural errors are the JSON Schema's job (`schema.rs`); this model keeps whatever is
//! usable, with spans, so every check can point at the exact node.

use crate::condition::{self, Expr};
use crate::diagnostic::Span;
use crate::indicator::{self, Checked, IndicatorType};
use crate::source::SourceFile;
use crate::yaml::{Entry, Node, Resolved};
use std::sync::OnceLock;

/// The top-level keys of a rule, in canonical order (the order `ruleforge fmt` writes and
/// docs/rule-format.md lists).
pub const KEYS: [&str; 18] = [
    "id",
    "title",
    "status",
    "severity",
    "confidence",
    "tlp",
    "author",
    "created",
    "modified",
    "expires",
    "description",
    "references",
    "tags",
    "related",
    "falsepositives",
    "indicators",
    "condition",
    "tests",
];

/// The index of `key` in [`KEYS`] (a compile-time error for another key).
const fn key_index(key: &str) -> usize {
    let mut i = 0;
    while i < KEYS.len() {
        let (a, b) = (KEYS[i].as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a top-level key")
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub severity: Option<Spanned<String>>,
    pub confidence: Option<Spanned<String>>,
    pub tlp: Option<Spanned<String>>,
    pub author: Option<Spanned<String>>,
    pub created: Option<Spanned<String>>,
    pub modified: Option<Spanned<String>>,
    pub expires: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub references: Vec<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    pub related: Vec<RelatedRule>,
    pub falsepositives: Vec<Spanned<String>>,
    pub indicators: Vec<Group>,
    pub indicators_span: Option<Span>,
    pub condition: Option<Spanned<String>>,
    pub tests: Vec<RuleTest>,
    /// Span of the whole document (used when a required key is missing).
    pub span: Span,
    /// What several checks derive from the fields above, computed once on first use.
    derived: Derived,
}

/// Facts derived from a [`Rule`]'s fields on first use: several lint checks (and the
/// repository-wide summary) need each of them. A clone starts without them (it may be
/// changed before it is asked), so only a rule changed in place after it was asked keeps
/// stale facts: see [`Rule::condition_expr`].
#[derive(Debug, Default)]
struct Derived {
    condition: OnceLock<Result<Expr, condition::ParseError>>,
    firsts: OnceLock<Vec<u32>>,
}

impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

#[derive(Debug, Clone)]
pub struct RelatedRule {
    pub id: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub span: Span,
    pub types: Vec<TypeValues>,
}

#[derive(Debug, Clone)]
pub struct TypeValues {
    /// `None` when the key is not a known type (the schema reports it).
    pub ty: Option<IndicatorType>,
    pub key: String,
    pub span: Span,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Value {
    pub raw: String,
    pub span: Span,
    pub checked: Checked,
}

impl Value {
    /// The canonical form used for comparisons (the raw text when invalid).
    pub fn canonical(&self) -> &str {
        match &self.checked {
            Checked::Valid { canonical } => canonical,
            Checked::Regex { .. } | Checked::Invalid(_) => &self.raw,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RuleTest {
    pub name: String,
    pub expect_match: Option<bool>,
    pub event: Vec<(String, Vec<String>)>,
    pub span: Span,
}

impl Rule {
    /// Reads the model from a parsed document.
    pub fn from_node(root: &Node) -> Rule {
        // One pass over the top-level keys (the first of a name is the one `Node::get`
        // finds; a duplicate key does not parse).
        let mut top: [Option<&Entry>; KEYS.len()] = [None; KEYS.len()];
        for e in root.as_map().unwrap_or_default() {
            let Some(k) = e.key.as_scalar() else { continue };
            if let Some(i) = KEYS.iter().position(|key| *key == k.value) {
                top[i].get_or_insert(e);
            }
        }
        // The entry of `$k`, one of KEYS (its index is found at compile time), and its value.
        macro_rules! entry {
            ($k:literal) => {
                top[const { key_index($k) }]
            };
        }
        macro_rules! node {
            ($k:literal) => {
                entry!($k).map(|e| &e.value)
            };
        }
        let text = |n: Option<&Node>| -> Option<Spanned<String>> {
            let n = n?;
            scalar_text(n).map(|value| Spanned {
                value,
                span: n.span,
            })
        };
        let list = |n: Option<&Node>| -> Vec<Spanned<String>> {
            n.and_then(Node::as_seq)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|n| {
                            scalar_text(n).map(|value| Spanned {
                                value,
                                span: n.span,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut rule = Rule {
            id: text(node!("id")),
            title: text(node!("title")),
            status: text(node!("status")),
            severity: text(node!("severity")),
            confidence: text(node!("confidence")),
            tlp: text(node!("tlp")),
            author: text(node!("author")),
            created: text(node!("created")),
            modified: text(node!("modified")),
            expires: text(node!("expires")),
            description: text(node!("description")),
            references: list(node!("references")),
            tags: list(node!("tags")),
            falsepositives: list(node!("falsepositives")),
            condition: text(node!("condition")),
            span: root.span,
            ..Rule::default()
        };
        if let Some(items) = node!("related").and_then(Node::as_seq) {
            for n in items {
                let field = |k: &str| {
                    let v = n.get(k)?;
                    scalar_text(v).map(|value| Spanned {
                        value,
                        span: v.span,
                    })
                };
                rule.related.push(RelatedRule {
                    id: field("id"),
                    kind: field("type"),
                    span: n.span,
                });
            }
        }
        if let Some(entry) = entry!("indicators") {
            rule.indicators_span = Some(entry.key.span);
            let groups = entry.value.as_map().unwrap_or_default();
            rule.indicators.reserve_exact(groups.len());
            for g in groups {
                let Some(name) = g.key.as_scalar().map(|s| s.value.clone()) else {
                    continue;
                };
                let types = g.value.as_map().unwrap_or_default();
                let mut group = Group {
                    name,
                    span: g.key.span,
                    types: Vec::with_capacity(types.len()),
                };
                for t in types {
                    let Some(key) = t.key.as_scalar().map(|s| s.value.clone()) else {
                        continue;
                    };
                    let ty = IndicatorType::from_name(&key);
                    let items = t.value.as_seq().unwrap_or_default();
                    // Sized once for every item (a null item is the only one left out).
                    let mut values = Vec::with_capacity(items.len());
                    values.extend(items.iter().filter_map(|v| {
                        let raw = scalar_text(v)?;
                        let checked = match ty {
                            Some(ty) => indicator::check(ty, &raw),
                            None => Checked::Invalid("unknown indicator type".into()),
                        };
                        Some(Value {
                            raw,
                            span: v.span,
                            checked,
                        })
                    }));
                    group.types.push(TypeValues {
                        ty,
                        key,
                        span: t.key.span,
                        values,
                    });
                }
                rule.indicators.push(group);
            }
        }
        if let Some(items) = node!("tests").and_then(Node::as_seq) {
            for t in items {
                let name = t.get("name").and_then(scalar_text).unwrap_or_default();
                let expect_match = match t.get("expect").and_then(Node::as_str) {
                    Some("match") => Some(true),
                    Some("no_match") => Some(false),
                    _ => None,
                };
                let mut event = Vec::new();
                for e in t.get("event").and_then(Node::as_map).unwrap_or_default() {
                    let Some(field) = e.key.as_scalar().map(|s| s.value.clone()) else {
                        continue;
                    };
                    let values = match e.value.as_seq() {
                        Some(items) => items.iter().filter_map(scalar_text).collect(),
                        None => scalar_text(&e.value).into_iter().collect(),
                    };
                    event.push((field, values));
                }
                rule.tests.push(RuleTest {
                    name,
                    expect_match,
                    event,
                    span: t.span,
                });
            }
        }
        rule
    }

    /// The parsed condition (the default when absent); `Err` when it does not parse.
    pub fn parsed_condition(&self) -> Result<Expr, condition::ParseError> {
        self.condition_expr().clone()
    }

    /// [`Rule::parsed_condition`], parsed once and borrowed.
    ///
    /// Like [`Rule::first_occurrences`], it is computed on the first call and kept with the
    /// rule: to change `condition` or `indicators` after asking, change a clone (a clone
    /// computes again).
    pub fn condition_expr(&self) -> &Result<Expr, condition::ParseError> {
        self.derived
            .condition
            .get_or_init(|| match &self.condition {
                Some(c) => condition::parse(&c.value),
                None => Ok(Expr::default_condition()),
            })
    }

    pub fn group_names(&self) -> Vec<&str> {
        self.indicators.iter().map(|g| g.name.as_str()).collect()
    }

    /// Every indicator value with its group and type.
    pub fn values(&self) -> impl Iterator<Item = (&Group, &TypeValues, &Value)> {
        self.indicators.iter().flat_map(|g| {
            g.types
                .iter()
                .flat_map(move |t| t.values.iter().map(move |v| (g, t, v)))
        })
    }

    /// For each of [`Rule::values`], in order, the index of the first value of a known type
    /// with the same type and canonical form (its own index when it is the first, or when
    /// its type is unknown). RF204 reports the others; the repository-wide summary keeps
    /// only the first ones.
    pub fn first_occurrences(&self) -> &[u32] {
        self.derived.firsts.get_or_init(|| {
            let values: Vec<(Option<IndicatorType>, &str)> = self
                .values()
                .map(|(_, t, v)| (t.ty, v.canonical()))
                .collect();
            first_occurrences(&values)
        })
    }

    pub fn is_deprecated(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.value == "deprecated")
    }
}

/// For each item, the index of the first item with a known type equal to it (its own index
/// when it is the first or its type is unknown). Rules hold a handful of values, compared
/// pairwise; a long list goes through a hash map.
fn first_occurrences(values: &[(Option<IndicatorType>, &str)]) -> Vec<u32> {
    let mut firsts = Vec::with_capacity(values.len());
    if values.len() <= 32 {
        for (i, (ty, v)) in values.iter().enumerate() {
            let first = match ty {
                None => i,
                Some(_) => (0..i)
                    .find(|&j| firsts[j] == j as u32 && values[j].0 == *ty && values[j].1 == *v)
                    .unwrap_or(i),
            };
            firsts.push(first as u32);
        }
    } else {
        let mut seen: rustc_hash::FxHashMap<(IndicatorType, &str), u32> =
            rustc_hash::FxHashMap::default();
        seen.reserve(values.len());
        for (i, (ty, v)) in values.iter().enumerate() {
            let first = match ty {
                None => i as u32,
                Some(ty) => *seen.entry((*ty, v)).or_insert(i as u32),
            };
            firsts.push(first);
        }
    }
    firsts
}

/// The text of a scalar as the rule author wrote it (numbers and booleans included).
pub fn scalar_text(n: &Node) -> Option<String> {
    let s = n.as_scalar()?;
    match s.resolve() {
        Resolved::Null => None,
        _ => Some(s.value.clone()),
    }
}

/// Parses a `YYYY-MM-DD` date, the form of `created`, `modified` and `expires` (and of
/// Sigma's `date` and `modified`).
pub fn parse_date(s: &str) -> Option<time::Date> {
    // The usual form, exactly four, two and two ASCII digits, read directly; anything else
    // (and any invalid day) goes through the `time` parser, which decides the same.
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *s.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
            let month = time::Month::try_from(n(&digits[4..6]) as u8).ok();
            if let Some(d) = month.and_then(|m| {
                time::Date::from_calendar_date(i32::from(n(&digits[..4])), m, n(&digits[6..]) as u8)
                    .ok()
            }) {
                return Some(d);
            }
        }
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, fmt).ok()
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(d: time::Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(fmt).unwrap_or_default()
}

/// A rule file read from disk or from a git tree, parsed as far as it goes.
#[derive(Debug)]
pub struct RuleFile {
    pub source: SourceFile,
    pub parsed: Result<(Node, Rule), crate::yaml::LoadError>,
}

impl RuleFile {
    pub fn parse(source: SourceFile) -> RuleFile {
        let parsed = crate::yaml::parse(&source).map(|node| {
            let rule = Rule::from_node(&node);
            (node, rule)
        });
        RuleFile { source, parsed }
    }

    pub fn rule(&self) -> Option<&Rule> {
        self.parsed.as_ref().ok().map(|(_, r)| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        Rule::from_node(&crate::yaml::parse(&SourceFile::new("a.yml", text)).unwrap())
    }

    /// The direct reading of `YYYY-MM-DD` decides as the `time` parser does.
    #[test]
    fn dates_read_directly_as_the_time_parser_reads_them() {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let mut cases: Vec<String> = [
            "2024-02-29",
            "2023-02-29",
            "2000-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-12-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "0000-01-01",
            "9999-12-31",
            "2024-1-01",
            "2024-01-1",
            "24-01-01",
            "2024/01/01",
            "2024-01-01 ",
            " 2024-01-01",
            "+2024-01-01",
            "-2024-01-01",
            "2024-01-0a",
            "２０２４-01-01",
            "",
            "2024-01-01T00",
        ]
        .map(String::from)
        .to_vec();
        for y in [1999, 2000, 2023, 2024] {
            for m in 0..=13 {
                for d in 0..=32 {
                    cases.push(format!("{y:04}-{m:02}-{d:02}"));
                }
            }
        }
        for c in cases {
            assert_eq!(parse_date(&c), time::Date::parse(&c, fmt).ok(), "{c:?}");
        }
    }

    /// The top-level keys are found in one pass, as `Node::get` finds them one by one.
    #[test]
    fn the_model_reads_the_keys_node_get_finds() {
        let text = "tests: []\n\"title\": Quoted key title\n'id': 4e5d0c1c-3b5d-4a8e-9a38-0d1b8f6f9c2a\n\
                    ? [complex]\n: 1\nstatus: stable\nunknown: x\ncondition: a and b\n\
                    indicators:\n  a:\n    md5: [d41d8cd98f00b204e9800998ecf8427e]\n  b:\n    ip: [10.0.0.1]\n\
                    related:\n  - id: 5e5d0c1c-3b5d-4a8e-9a38-0d1b8f6f9c2a\n    type: derived\n\
                    references: [https://example.org/a]\ntags: [attack.t1059]\n";
        let root = crate::yaml::parse(&SourceFile::new("a.yml", text)).unwrap();
        let r = Rule::from_node(&root);
        let text_of = |k: &str| root.get(k).and_then(scalar_text);
        assert_eq!(r.id.as_ref().map(|s| s.value.clone()), text_of("id"));
        assert_eq!(r.title.as_ref().map(|s| s.value.clone()), text_of("title"));
        assert_eq!(
            r.title.as_ref().map(|s| s.span),
            root.get("title").map(|n| n.span)
        );
        assert_eq!(r.status.as_ref().unwrap().value, "stable");
        assert_eq!(r.condition.as_ref().unwrap().value, "a and b");
        assert_eq!(
            r.indicators_span,
            root.entry("indicators").map(|e| e.key.span)
        );
        assert_eq!(r.group_names(), ["a", "b"]);
        assert_eq!(r.related.len(), 1);
        assert_eq!(r.references.len(), 1);
        assert_eq!(r.tags[0].value, "attack.t1059");
        assert!(r.author.is_none() && r.tests.is_empty());
    }

    /// The parsed condition is parsed once, and is what `condition::parse` gives.
    #[test]
    fn the_condition_is_parsed_once_as_the_parser_parses_it() {
        for (text, cond) in [
            ("condition: a and (b or c)\n", Some("a and (b or c)")),
            ("condition: a and (\n", Some("a and (")),
            ("title: x\n", None),
        ] {
            let r = rule(text);
            let expected = match cond {
                Some(c) => condition::parse(c),
                None => Ok(Expr::default_condition()),
            };
            assert_eq!(r.condition_expr(), &expected, "{text:?}");
            assert!(std::ptr::eq(r.condition_expr(), r.condition_expr()));
            assert_eq!(r.parsed_condition(), expected);
            assert_eq!(r.clone().condition_expr(), &expected);
        }
    }

    /// A clone of a rule whose derived facts were computed, then changed, derives them from
    /// its own fields.
    #[test]
    fn a_changed_clone_derives_its_own_facts() {
        let r = rule("condition: a and b\n");
        assert!(r.condition_expr().is_ok());
        let _ = r.first_occurrences();
        let mut c = r.clone();
        c.condition.as_mut().unwrap().value = "a and (".into();
        assert_eq!(c.condition_expr(), &condition::parse("a and ("));
        assert!(c.condition_expr().is_err());
        assert!(r.condition_expr().is_ok());
    }

    /// The first occurrence of each value is the one a set of (type, canonical value) pairs
    /// sees first, for short lists (compared pairwise) and long ones (hashed).
    #[test]
    fn first_occurrences_are_those_of_a_set() {
        fn reference(values: &[(Option<IndicatorType>, &str)]) -> Vec<u32> {
            let mut seen = std::collections::HashMap::new();
            values
                .iter()
                .enumerate()
                .map(|(i, (ty, v))| match ty {
                    None => i as u32,
                    Some(ty) => *seen.entry((*ty, *v)).or_insert(i as u32),
                })
                .collect()
        }
        let pool = ["a", "b", "c", "a", "d"];
        let types = [
            Some(IndicatorType::Md5),
            Some(IndicatorType::Domain),
            None,
            Some(IndicatorType::Md5),
        ];
        for n in [0, 1, 2, 5, 31, 32, 33, 64, 200] {
            let values: Vec<_> = (0..n)
                .map(|i| {
                    (
                        types[(i * 7 / 3) % types.len()],
                        pool[(i * 5 + i / 3) % pool.len()],
                    )
                })
                .collect();
            assert_eq!(first_occurrences(&values), reference(&values), "{n} values");
        }
        let r = rule(
            "indicators:\n  a:\n    domain: [Example.com, example.com, x.org]\n    bogus: [x.org, x.org]\n  b:\n    domain: [x.org]\n",
        );
        // `Example.com` and `example.com` have the same canonical form; unknown types are
        // never the same as anything.
        assert_eq!(r.first_occurrences(), [0, 0, 2, 3, 4, 2]);
    }
}
