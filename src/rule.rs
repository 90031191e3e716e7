//! The typed rule model, read leniently from the spanned YAML tree.
//!
//! Structural errors are the JSON Schema's job (`schema.rs`); this model keeps whatever is
//! usable, with spans, so every check can point at the exact node.

use crate::condition::{self, Expr};
use crate::diagnostic::Span;
use crate::indicator::{self, Checked, IndicatorType};
use crate::source::SourceFile;
use crate::yaml::{Node, Resolved};

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
        let text = |k: &str| -> Option<Spanned<String>> {
            let n = root.get(k)?;
            scalar_text(n).map(|value| Spanned {
                value,
                span: n.span,
            })
        };
        let list = |k: &str| -> Vec<Spanned<String>> {
            root.get(k)
                .and_then(Node::as_seq)
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
            id: text("id"),
            title: text("title"),
            status: text("status"),
            severity: text("severity"),
            confidence: text("confidence"),
            tlp: text("tlp"),
            author: text("author"),
            created: text("created"),
            modified: text("modified"),
            expires: text("expires"),
            description: text("description"),
            references: list("references"),
            tags: list("tags"),
            falsepositives: list("falsepositives"),
            condition: text("condition"),
            span: root.span,
            ..Rule::default()
        };
        if let Some(items) = root.get("related").and_then(Node::as_seq) {
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
        if let Some(entry) = root.entry("indicators") {
            rule.indicators_span = Some(entry.key.span);
            for g in entry.value.as_map().unwrap_or_default() {
                let Some(name) = g.key.as_scalar().map(|s| s.value.clone()) else {
                    continue;
                };
                let mut group = Group {
                    name,
                    span: g.key.span,
                    types: Vec::new(),
                };
                for t in g.value.as_map().unwrap_or_default() {
                    let Some(key) = t.key.as_scalar().map(|s| s.value.clone()) else {
                        continue;
                    };
                    let ty = IndicatorType::from_name(&key);
                    let values = t
                        .value
                        .as_seq()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|v| {
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
                        })
                        .collect();
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
        if let Some(items) = root.get("tests").and_then(Node::as_seq) {
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
        match &self.condition {
            Some(c) => condition::parse(&c.value),
            None => Ok(Expr::default_condition()),
        }
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

    pub fn is_deprecated(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.value == "deprecated")
    }
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
