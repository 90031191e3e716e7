//! Sigma rules as a second rule kind: a typed, lenient model of Sigma detection rules,
//! correlation rules and filters, read from the spanned YAML tree.
//!
//! Like the native model (`rule.rs`), it keeps whatever is usable, with spans, and leaves
//! structural errors to the JSON Schemas (`schema.rs`, the official Sigma schemas).
//!
//! A Sigma file usually holds one document. A file may hold several (`---`-separated): a
//! correlation rule with the rules it correlates, or a collection. Each document is checked
//! on its own against the schema of its type.

pub mod condition;
pub mod modifiers;

use crate::diagnostic::Span;
use crate::rule::{scalar_text, RelatedRule, Spanned};
use crate::source::SourceFile;
use crate::yaml::{self, LoadError, Node, NodeKind, Resolved};
use modifiers::VType;

/// What a Sigma document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocType {
    /// A detection rule (`logsource` + `detection`).
    Rule,
    /// A correlation rule (`correlation`).
    Correlation,
    /// A filter (`logsource` + `filter`).
    Filter,
}

impl DocType {
    /// The type of a document by its keys (`correlation` → correlation, `filter` without
    /// `detection` → filter, anything else → detection rule).
    pub fn of(node: &Node) -> DocType {
        if node.get("correlation").is_some() && node.get("detection").is_none() {
            DocType::Correlation
        } else if node.get("filter").is_some() && node.get("detection").is_none() {
            DocType::Filter
        } else {
            DocType::Rule
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DocType::Rule => "rule",
            DocType::Correlation => "correlation rule",
            DocType::Filter => "filter",
        }
    }
}

/// One Sigma document.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    pub doc_type: DocType,
    /// The whole document.
    pub span: Span,
    pub id: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub level: Option<Spanned<String>>,
    pub date: Option<Spanned<String>>,
    pub modified: Option<Spanned<String>>,
    pub author: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub references: Vec<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    pub falsepositives: Vec<Spanned<String>>,
    /// The deprecated `fields` key, if present (its key span).
    pub fields_key: Option<Span>,
    pub related: Vec<RelatedRule>,
    pub logsource: Option<LogSource>,
    /// `detection` of a rule, or the selections and condition of a filter's `filter`.
    pub detection: Option<Detection>,
    pub correlation: Option<Correlation>,
    /// Rules a filter applies to (`filter.rules`).
    pub filter_rules: Vec<Spanned<String>>,
    /// Top-level keys the specification does not define (key spans).
    pub custom_keys: Vec<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct LogSource {
    /// The `logsource` key.
    pub span: Span,
    pub category: Option<Spanned<String>>,
    pub product: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub definition: Option<Spanned<String>>,
    /// Keys other than category, product, service and definition (key spans).
    pub extra: Vec<Spanned<String>>,
}

impl LogSource {
    fn field(&self, f: &Option<Spanned<String>>) -> Option<String> {
        f.as_ref().map(|s| s.value.clone())
    }
    /// `(category, product, service)`.
    pub fn triple(&self) -> (Option<String>, Option<String>, Option<String>) {
        (
            self.field(&self.category),
            self.field(&self.product),
            self.field(&self.service),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Detection {
    /// The `detection` (or `filter`) key.
    pub span: Span,
    pub selections: Vec<Selection>,
    /// One condition, or several (the old list form).
    pub conditions: Vec<Spanned<String>>,
    pub timeframe: Option<Spanned<String>>,
}

impl Detection {
    pub fn selection(&self, name: &str) -> Option<&Selection> {
        self.selections.iter().find(|s| s.name == name)
    }
    /// Every detection item of every selection.
    pub fn items(&self) -> impl Iterator<Item = (&Selection, &Item)> {
        self.selections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }
}

/// A named search identifier (`selection_img: ...`).
#[derive(Debug, Clone)]
pub struct Selection {
    pub name: String,
    /// The name's key.
    pub span: Span,
    /// The value node.
    pub value_span: Span,
    pub items: Vec<Item>,
    /// The definition is null, an empty mapping or an empty list.
    pub empty: bool,
}

/// One detection item: a field (with modifiers) and its values, or a list of keywords.
#[derive(Debug, Clone)]
pub struct Item {
    /// `None` for keywords (no field).
    pub field: Option<String>,
    /// The whole key (`CommandLine|contains|all`), when there is one.
    pub key: Option<Spanned<String>>,
    /// The field name's span inside the key.
    pub field_span: Option<Span>,
    pub modifiers: Vec<Spanned<String>>,
    pub values: Vec<Value>,
    /// The value node (a scalar or a list).
    pub span: Span,
    /// The values were written as a list.
    pub list: bool,
}

impl Item {
    pub fn has(&self, modifier: &str) -> bool {
        self.modifiers.iter().any(|m| m.value == modifier)
    }
    /// A label for messages: the field, or "keywords".
    pub fn label(&self) -> String {
        match &self.field {
            Some(f) => format!("`{f}`"),
            None => "the keyword list".into(),
        }
    }
    /// The span to point at for the whole item.
    pub fn key_span(&self) -> Span {
        self.key.as_ref().map_or(self.span, |k| k.span)
    }
}

/// One value of a detection item.
#[derive(Debug, Clone)]
pub struct Value {
    /// The scalar text (`""` for null and for nested structures).
    pub raw: String,
    pub ty: VType,
    pub span: Span,
    /// A list or mapping where a scalar was expected.
    pub nested: bool,
}

impl Value {
    pub fn spanned(&self) -> Spanned<String> {
        Spanned {
            value: self.raw.clone(),
            span: self.span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Correlation {
    /// The `correlation` key.
    pub span: Span,
    pub ty: Option<Spanned<String>>,
    pub rules: Vec<Spanned<String>>,
    pub group_by: Vec<Spanned<String>>,
    pub group_by_present: bool,
    pub timespan: Option<Spanned<String>>,
}

/// The top-level keys of a Sigma detection rule (the official schema's properties); the
/// schema's did-you-mean hints use the same list.
pub const DETECTION_KEYS: [&str; 19] = [
    "title",
    "id",
    "related",
    "name",
    "taxonomy",
    "status",
    "description",
    "license",
    "author",
    "references",
    "date",
    "modified",
    "logsource",
    "detection",
    "fields",
    "falsepositives",
    "level",
    "tags",
    "scope",
];

/// Keys of correlation rules and filters, also known (not custom) in a Sigma document.
const OTHER_DOCUMENT_KEYS: [&str; 3] = ["correlation", "generate", "filter"];

fn spanned(n: &Node) -> Option<Spanned<String>> {
    scalar_text(n).map(|value| Spanned {
        value,
        span: n.span,
    })
}

fn text(root: &Node, k: &str) -> Option<Spanned<String>> {
    root.get(k).and_then(spanned)
}

/// A string or a list of strings.
fn list(n: Option<&Node>) -> Vec<Spanned<String>> {
    match n {
        Some(n) => match n.as_seq() {
            Some(items) => items.iter().filter_map(spanned).collect(),
            None => spanned(n).into_iter().collect(),
        },
        None => Vec::new(),
    }
}

/// The type pySigma gives a scalar. Sigma tooling reads YAML with PyYAML, which resolves
/// plain scalars by YAML 1.1 rules: `00000429` is a string there (not the number 429),
/// `0777` an octal number, `yes`/`off` booleans.
pub fn sigma_type(s: &yaml::Scalar) -> VType {
    if !s.plain || s.tag.is_some() {
        return match s.resolve() {
            Resolved::Null => VType::Null,
            Resolved::Bool(_) => VType::Bool,
            Resolved::Int(_) | Resolved::Float(_) => VType::Num,
            Resolved::Str(_) => VType::Str,
        };
    }
    yaml11_type(&s.value)
}

fn yaml11_type(v: &str) -> VType {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return VType::Null,
        "yes" | "Yes" | "YES" | "no" | "No" | "NO" | "true" | "True" | "TRUE" | "false"
        | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => return VType::Bool,
        ".inf" | ".Inf" | ".INF" | "-.inf" | "-.Inf" | "-.INF" | "+.inf" | "+.Inf" | "+.INF"
        | ".nan" | ".NaN" | ".NAN" => return VType::Num,
        _ => {}
    }
    let u = v.strip_prefix(['-', '+']).unwrap_or(v);
    let all = |s: &str, f: fn(u8) -> bool| !s.is_empty() && s.bytes().all(|b| f(b) || b == b'_');
    let int = if let Some(b) = u.strip_prefix("0b") {
        all(b, |c| c == b'0' || c == b'1')
    } else if let Some(h) = u.strip_prefix("0x") {
        all(h, |c| c.is_ascii_hexdigit())
    } else if u == "0" {
        true
    } else if let Some(o) = u.strip_prefix('0') {
        all(o, |c| (b'0'..=b'7').contains(&c))
    } else {
        u.as_bytes()
            .first()
            .is_some_and(|c| (b'1'..=b'9').contains(c))
            && all(u, |c| c.is_ascii_digit())
    };
    if int {
        return VType::Num;
    }
    // [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?
    let (mant, exp) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    let float = mant.split_once('.').is_some_and(|(a, b)| {
        (a.is_empty() || (a.as_bytes()[0].is_ascii_digit() && all(a, |c| c.is_ascii_digit())))
            && (b.is_empty() || all(b, |c| c.is_ascii_digit()))
            && !(a.is_empty() && b.is_empty())
    }) && exp.is_none_or(|e| {
        e.strip_prefix(['-', '+'])
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
    });
    if float {
        VType::Num
    } else {
        VType::Str
    }
}

fn value_of(n: &Node) -> Value {
    match &n.kind {
        NodeKind::Scalar(s) => {
            let ty = sigma_type(s);
            Value {
                raw: if ty == VType::Null {
                    String::new()
                } else {
                    s.value.clone()
                },
                ty,
                span: n.span,
                nested: false,
            }
        }
        _ => Value {
            raw: String::new(),
            ty: VType::Str,
            span: n.span,
            nested: true,
        },
    }
}

/// Splits a key `Field|mod1|mod2` into its parts with spans, using the key's source text
/// when it is written plainly (or quoted) so each part points at its own characters.
fn split_key(src: &SourceFile, key: &Node) -> (Option<String>, Option<Span>, Vec<Spanned<String>>) {
    let text = yaml::key_text(key);
    let raw = src.slice(key.span);
    let base = if raw == text {
        Some(key.span.start)
    } else if raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text.as_str()) {
        Some(key.span.start + 1)
    } else {
        None
    };
    let mut parts = Vec::new();
    let mut at = 0;
    for p in text.split('|') {
        let span = match base {
            Some(b) => Span::new(b + at, b + at + p.len()),
            None => key.span,
        };
        parts.push(Spanned {
            value: p.to_string(),
            span,
        });
        at += p.len() + 1;
    }
    let first = parts.remove(0);
    let field = (!first.value.is_empty()).then(|| first.value.clone());
    let field_span = field.as_ref().map(|_| first.span);
    (field, field_span, parts)
}

fn item_from(src: &SourceFile, key: Option<&Node>, value: &Node) -> Item {
    let (field, field_span, modifiers) = match key {
        Some(k) => split_key(src, k),
        None => (None, None, Vec::new()),
    };
    let (values, list) = match value.as_seq() {
        Some(items) => (items.iter().map(value_of).collect(), true),
        None => (vec![value_of(value)], false),
    };
    Item {
        field,
        key: key.map(|k| Spanned {
            value: yaml::key_text(k),
            span: k.span,
        }),
        field_span,
        modifiers,
        values,
        span: value.span,
        list,
    }
}

fn selection_from(src: &SourceFile, name: String, key: &Node, value: &Node) -> Selection {
    let mut items = Vec::new();
    let empty;
    match &value.kind {
        NodeKind::Map(entries) => {
            empty = entries.is_empty();
            for e in entries {
                items.push(item_from(src, Some(&e.key), &e.value));
            }
        }
        NodeKind::Seq(seq) => {
            empty = seq.is_empty();
            // A list of mappings (OR of ANDs) or a list of keywords.
            let mut keywords: Vec<&Node> = Vec::new();
            for n in seq {
                match &n.kind {
                    NodeKind::Map(entries) => {
                        for e in entries {
                            items.push(item_from(src, Some(&e.key), &e.value));
                        }
                    }
                    _ => keywords.push(n),
                }
            }
            if !keywords.is_empty() {
                let start = keywords[0].span.start;
                let end = keywords[keywords.len() - 1].span.end;
                items.push(Item {
                    field: None,
                    key: None,
                    field_span: None,
                    modifiers: Vec::new(),
                    values: keywords.iter().map(|n| value_of(n)).collect(),
                    span: Span::new(start, end),
                    list: true,
                });
            }
        }
        NodeKind::Scalar(s) => {
            empty = matches!(s.resolve(), Resolved::Null);
            if !empty {
                items.push(item_from(src, None, value));
            }
        }
    }
    Selection {
        name,
        span: key.span,
        value_span: value.span,
        items,
        empty,
    }
}

fn detection_from(src: &SourceFile, key: &Node, node: &Node, skip: &[&str]) -> Detection {
    let mut d = Detection {
        span: key.span,
        selections: Vec::new(),
        conditions: Vec::new(),
        timeframe: None,
    };
    for e in node.as_map().unwrap_or_default() {
        let name = yaml::key_text(&e.key);
        match name.as_str() {
            "condition" => d.conditions = list(Some(&e.value)),
            "timeframe" => d.timeframe = spanned(&e.value),
            n if skip.contains(&n) => {}
            _ => d
                .selections
                .push(selection_from(src, name, &e.key, &e.value)),
        }
    }
    d
}

impl SigmaRule {
    /// Reads the model from one parsed document.
    pub fn from_node(src: &SourceFile, root: &Node) -> SigmaRule {
        let doc_type = DocType::of(root);
        let mut r = SigmaRule {
            doc_type,
            span: root.span,
            id: text(root, "id"),
            name: text(root, "name"),
            title: text(root, "title"),
            status: text(root, "status"),
            level: text(root, "level"),
            date: text(root, "date"),
            modified: text(root, "modified"),
            author: text(root, "author"),
            description: text(root, "description"),
            references: list(root.get("references")),
            tags: list(root.get("tags")),
            falsepositives: list(root.get("falsepositives")),
            fields_key: root.entry("fields").map(|e| e.key.span),
            related: Vec::new(),
            logsource: None,
            detection: None,
            correlation: None,
            filter_rules: Vec::new(),
            custom_keys: Vec::new(),
        };
        for e in root.as_map().unwrap_or_default() {
            let k = yaml::key_text(&e.key);
            if !DETECTION_KEYS.contains(&k.as_str()) && !OTHER_DOCUMENT_KEYS.contains(&k.as_str()) {
                r.custom_keys.push(Spanned {
                    value: k,
                    span: e.key.span,
                });
            }
        }
        if let Some(items) = root.get("related").and_then(Node::as_seq) {
            for n in items {
                r.related.push(RelatedRule {
                    id: n.get("id").and_then(spanned),
                    kind: n.get("type").and_then(spanned),
                    span: n.span,
                });
            }
        }
        if let Some(e) = root.entry("logsource") {
            let mut ls = LogSource {
                span: e.key.span,
                category: e.value.get("category").and_then(spanned),
                product: e.value.get("product").and_then(spanned),
                service: e.value.get("service").and_then(spanned),
                definition: e.value.get("definition").and_then(spanned),
                extra: Vec::new(),
            };
            for f in e.value.as_map().unwrap_or_default() {
                let k = yaml::key_text(&f.key);
                if !matches!(
                    k.as_str(),
                    "category" | "product" | "service" | "definition"
                ) {
                    ls.extra.push(Spanned {
                        value: k,
                        span: f.key.span,
                    });
                }
            }
            r.logsource = Some(ls);
        }
        match doc_type {
            DocType::Rule => {
                if let Some(e) = root.entry("detection") {
                    r.detection = Some(detection_from(src, &e.key, &e.value, &[]));
                }
            }
            DocType::Filter => {
                if let Some(e) = root.entry("filter") {
                    r.filter_rules = list(e.value.get("rules"));
                    r.detection = Some(detection_from(src, &e.key, &e.value, &["rules"]));
                }
            }
            DocType::Correlation => {
                if let Some(e) = root.entry("correlation") {
                    let c = &e.value;
                    r.correlation = Some(Correlation {
                        span: e.key.span,
                        ty: c.get("type").and_then(spanned),
                        rules: list(c.get("rules")),
                        group_by: list(c.get("group-by")),
                        group_by_present: c.get("group-by").is_some(),
                        timespan: c.get("timespan").and_then(spanned),
                    });
                }
            }
        }
        r
    }

    pub fn is_deprecated(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.value == "deprecated")
    }

    /// The span to point at when something is missing: the title, else the document start.
    pub fn anchor(&self) -> Span {
        self.title
            .as_ref()
            .map_or(Span::empty(self.span.start), |t| t.span)
    }
}

/// A parsed Sigma document: its tree and its model.
#[derive(Debug)]
pub struct SigmaDoc {
    pub node: Node,
    pub rule: SigmaRule,
}

/// A Sigma file read from disk or from a git tree, parsed as far as it goes.
#[derive(Debug)]
pub struct SigmaFile {
    pub source: SourceFile,
    pub parsed: Result<Vec<SigmaDoc>, LoadError>,
}

impl SigmaFile {
    pub fn parse(source: SourceFile) -> SigmaFile {
        let parsed = yaml::parse_documents(&source).map(|d| Self::docs(&source, d.nodes));
        SigmaFile { source, parsed }
    }

    /// Builds the file from documents already parsed.
    pub fn from_documents(source: SourceFile, nodes: Vec<Node>) -> SigmaFile {
        let docs = Self::docs(&source, nodes);
        SigmaFile {
            source,
            parsed: Ok(docs),
        }
    }

    fn docs(source: &SourceFile, nodes: Vec<Node>) -> Vec<SigmaDoc> {
        nodes
            .into_iter()
            .map(|node| {
                let rule = SigmaRule::from_node(source, &node);
                SigmaDoc { node, rule }
            })
            .collect()
    }

    pub fn rules(&self) -> impl Iterator<Item = &SigmaRule> {
        self.parsed.iter().flatten().map(|d| &d.rule)
    }
}

/// One part of a Sigma string: literal text, or a wildcard (`*` or `?`).
pub type Part<'a> = Result<std::borrow::Cow<'a, str>, char>;

/// Parses a Sigma string value the way pySigma does: `*` and `?` are wildcards, a backslash
/// escapes `*`, `?` and `\`, and before any other character stands for itself.
/// Literal runs borrow from `s` unless an escape had to be removed.
pub fn string_parts(s: &str) -> Vec<Part<'_>> {
    use std::borrow::Cow;
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0; // start of the current literal run in `s`
    let mut owned: Option<String> = None; // the run, once an escape was removed
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() && matches!(b[i + 1], b'*' | b'?' | b'\\') => {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(&s[start..i]);
                o.push(b[i + 1] as char);
                i += 2;
                start = i;
            }
            c @ (b'*' | b'?') => {
                match owned.take() {
                    Some(mut o) => {
                        o.push_str(&s[start..i]);
                        if !o.is_empty() {
                            out.push(Ok(Cow::Owned(o)));
                        }
                    }
                    None if i > start => out.push(Ok(Cow::Borrowed(&s[start..i]))),
                    None => {}
                }
                out.push(Err(c as char));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    match owned.take() {
        Some(mut o) => {
            o.push_str(&s[start..]);
            if !o.is_empty() {
                out.push(Ok(Cow::Owned(o)));
            }
        }
        None if start < s.len() => out.push(Ok(Cow::Borrowed(&s[start..]))),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "title: Test rule\nid: 5f1a1c3e-8a7e-4c1e-9d3b-2f9a3e7c1b20\nlogsource:\n  category: process_creation\n  product: windows\n  colour: red\ndetection:\n  selection:\n    Image|endswith: '\\cmd.exe'\n    'CommandLine|contains|all':\n      - ' /c '\n      - whoami\n  keywords:\n    - mimikatz\n    - 42\n  empty: []\n  condition: selection and not keywords\nx-custom: 1\n";

    #[test]
    fn model() {
        let f = SigmaFile::parse(SourceFile::new("a.yml", RULE));
        let docs = f.parsed.as_ref().unwrap();
        let r = &docs[0].rule;
        assert_eq!(r.doc_type, DocType::Rule);
        assert_eq!(r.title.as_ref().unwrap().value, "Test rule");
        let ls = r.logsource.as_ref().unwrap();
        assert_eq!(ls.extra[0].value, "colour");
        let d = r.detection.as_ref().unwrap();
        assert_eq!(d.conditions[0].value, "selection and not keywords");
        assert_eq!(d.selections.len(), 3);
        let sel = d.selection("selection").unwrap();
        let item = &sel.items[1];
        assert_eq!(item.field.as_deref(), Some("CommandLine"));
        let mods: Vec<&str> = item.modifiers.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(mods, ["contains", "all"]);
        assert_eq!(f.source.slice(item.modifiers[1].span), "all");
        assert_eq!(f.source.slice(item.field_span.unwrap()), "CommandLine");
        assert_eq!(item.values.len(), 2);
        let kw = &d.selection("keywords").unwrap().items[0];
        assert!(kw.field.is_none());
        assert_eq!(kw.values[1].ty, VType::Num);
        assert!(d.selection("empty").unwrap().empty);
        assert_eq!(r.custom_keys[0].value, "x-custom");
    }

    #[test]
    fn correlation_and_multi_documents() {
        let text = "title: Base\nname: base_rule\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\ntitle: Many failures\ncorrelation:\n  type: event_count\n  rules:\n    - base_rule\n  group-by:\n    - TargetUserName\n  timespan: 5m\n  condition:\n    gte: 10\n";
        let f = SigmaFile::parse(SourceFile::new("a.yml", text));
        let rules: Vec<&SigmaRule> = f.rules().collect();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].doc_type, DocType::Correlation);
        let c = rules[1].correlation.as_ref().unwrap();
        assert_eq!(c.rules[0].value, "base_rule");
        assert_eq!(c.group_by[0].value, "TargetUserName");
    }

    #[test]
    fn yaml_1_1_typing() {
        for (v, t) in [
            ("00000429", VType::Str),
            ("0777", VType::Num),
            ("4688", VType::Num),
            ("0x1F", VType::Num),
            ("1.5", VType::Num),
            ("1e5", VType::Str),
            ("1.0e+5", VType::Num),
            ("yes", VType::Bool),
            ("Off", VType::Bool),
            ("~", VType::Null),
            ("1_000", VType::Num),
            ("12ab", VType::Str),
            (".", VType::Str),
            ("-", VType::Str),
        ] {
            assert_eq!(yaml11_type(v), t, "{v}");
        }
    }

    #[test]
    fn strings() {
        assert_eq!(
            string_parts("a*b\\*c\\\\d\\e?"),
            vec![Ok("a".into()), Err('*'), Ok("b*c\\d\\e".into()), Err('?')]
        );
        assert_eq!(string_parts("x\\"), vec![Ok("x\\".into())]);
    }
}
