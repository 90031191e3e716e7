//! Comparing two versions of one Sigma document (rule, correlation rule or filter) in
//! meaning rather than in bytes.
//!
//! - scalars compare as trimmed strings (quoting is not a change), `description` with runs
//!   of whitespace collapsed;
//! - `references`, `tags`, `falsepositives`, `related`, `fields`, `scope`, a correlation's
//!   `rules` and `group-by` and a filter's `rules` compare as sets;
//! - `logsource` compares as a mapping (key order is not a change);
//! - `condition` compares the canonical form of the parsed expression (`(a and b)` =
//!   `a and b`); a correlation's condition (`gte: 10`) as a mapping;
//! - detection (a rule's `detection`, a filter's `filter`) compares per selection and per
//!   detection item (`Field|modifier`): the values of an item are a set, so reordering them,
//!   or the keys of a selection, is not a change. An item whose modifiers change is one item
//!   removed and another added (`Image|endswith` → `Image|contains`).

use super::compare::{normalize_text, Comparison, FieldChange};
use super::SigmaSnapshot;
use crate::rule::scalar_text;
use crate::yaml::{self, Node, NodeKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What happened to a selection or a detection item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Delta {
    Added,
    Removed,
    Modified,
}

impl Delta {
    pub fn as_str(self) -> &'static str {
        match self {
            Delta::Added => "added",
            Delta::Removed => "removed",
            Delta::Modified => "modified",
        }
    }
}

/// A selection (search identifier) of a Sigma rule's `detection` or a filter's `filter`
/// that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionChange {
    pub name: String,
    pub change: Delta,
    /// Items added, removed or modified (every item of an added or removed selection),
    /// sorted by key.
    pub items: Vec<ItemChange>,
    /// The same items and values, grouped differently into alternatives (a list of maps).
    pub regrouped: bool,
}

/// One detection item (`Field|modifier: values`, or a keyword list) that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    /// The whole key (`Image|endswith`); `None` for keywords.
    pub key: Option<String>,
    pub change: Delta,
    /// Values only in head (all values of an added item), sorted.
    pub added: Vec<String>,
    /// Values only in base (all values of a removed item), sorted.
    pub removed: Vec<String>,
}

impl ItemChange {
    /// The key, or `keywords`.
    pub fn label(&self) -> &str {
        self.key.as_deref().unwrap_or("keywords")
    }

    /// The field name (before the first `|`); `None` for keywords.
    pub fn field(&self) -> Option<&str> {
        self.key
            .as_deref()
            .map(|k| k.split('|').next().unwrap_or(""))
    }

    /// The modifiers (after the field name).
    pub fn modifiers(&self) -> Vec<&str> {
        self.key
            .as_deref()
            .map(|k| k.split('|').skip(1).collect())
            .unwrap_or_default()
    }
}

/// A value for display: numbers as written, anything else in single quotes (YAML style).
pub fn show_value(v: &str) -> String {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// Values for display, comma-separated.
pub fn show_values(vs: &[String]) -> String {
    vs.iter()
        .map(|v| show_value(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields compared, in display order.
const SCALARS: [&str; 9] = [
    "title", "name", "status", "level", "author", "date", "modified", "license", "taxonomy",
];
const SETS: [&str; 5] = ["references", "tags", "falsepositives", "fields", "scope"];

/// The section holding the selections: `detection` (rule) or `filter` (filter).
fn section(root: &Node) -> Option<&Node> {
    root.get("detection").or_else(|| root.get("filter"))
}

fn trimmed(n: Option<&Node>) -> Option<String> {
    n.and_then(scalar_text).map(|s| s.trim().to_string())
}

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

/// A string or a list of strings.
fn strings(n: Option<&Node>) -> Vec<String> {
    match n {
        None => Vec::new(),
        Some(n) => match n.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(scalar_text)
                .map(|s| s.trim().to_string())
                .collect(),
            None => scalar_text(n)
                .map(|s| s.trim().to_string())
                .into_iter()
                .collect(),
        },
    }
}

fn set_of(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            o => o.to_string().to_lowercase(),
        })
        .collect()
}

fn related(root: &Node) -> Value {
    Value::Array(
        root.get("related")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .map(|n| json!({"id": trimmed(n.get("id")), "type": trimmed(n.get("type"))}))
            .collect(),
    )
}

fn logsource(root: &Node) -> Value {
    let Some(ls) = root.get("logsource") else {
        return Value::Null;
    };
    let m: BTreeMap<String, Value> = ls
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| (yaml::key_text(&e.key), opt(trimmed(Some(&e.value)))))
        .collect();
    Value::Object(m.into_iter().collect())
}

fn canonical_condition(text: &str) -> String {
    match crate::sigma::condition::parse(text) {
        Ok(e) => e.to_string(),
        Err(_) => normalize_text(text),
    }
}

/// A rule's or filter's condition (canonical), or a correlation's condition (`gte: 10`,
/// keys sorted).
fn condition(root: &Node) -> Option<String> {
    if let Some(c) = root.get("correlation").and_then(|c| c.get("condition")) {
        return Some(match c.as_map() {
            Some(entries) => {
                let mut parts: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        let v = trimmed(Some(&e.value)).unwrap_or_else(|| {
                            let j = e.value.to_json();
                            if j.is_null() {
                                String::new()
                            } else {
                                j.to_string()
                            }
                        });
                        format!("{}: {v}", yaml::key_text(&e.key))
                    })
                    .collect();
                parts.sort();
                parts.join(", ")
            }
            None => trimmed(Some(c)).unwrap_or_default(),
        });
    }
    let c = section(root)?.get("condition")?;
    let list = strings(Some(c));
    if list.is_empty() {
        return None;
    }
    Some(
        list.iter()
            .map(|s| canonical_condition(s))
            .collect::<Vec<_>>()
            .join(" | "),
    )
}

/// `correlation.KEY`.
fn corr<'a>(root: &'a Node, key: &str) -> Option<&'a Node> {
    root.get("correlation").and_then(|c| c.get(key))
}

/// The rules a correlation or a filter refers to.
fn rules(root: &Node) -> Vec<String> {
    match corr(root, "rules") {
        Some(n) => strings(Some(n)),
        None => strings(root.get("filter").and_then(|f| f.get("rules"))),
    }
}

/// The fields of a document, in display order, as `(name, value, comparison key)`.
fn fields(root: &Node) -> Vec<(&'static str, Value, Value)> {
    let mut out = Vec::new();
    let scalar = |out: &mut Vec<(&'static str, Value, Value)>, name, v: Option<String>| {
        let v = opt(v);
        out.push((name, v.clone(), v));
    };
    let set = |out: &mut Vec<(&'static str, Value, Value)>, name, v: Vec<String>| {
        let key = Value::Array(set_of(&json!(v)).into_iter().map(Value::String).collect());
        out.push((name, json!(v), key));
    };
    for name in SCALARS {
        scalar(&mut out, name, trimmed(root.get(name)));
        if name == "level" {
            let d = root.get("description").and_then(scalar_text);
            let key = opt(d.as_deref().map(normalize_text));
            out.push(("description", opt(d), key));
        }
    }
    for name in SETS {
        set(&mut out, name, strings(root.get(name)));
    }
    let r = related(root);
    let key = Value::Array(set_of(&r).into_iter().map(Value::String).collect());
    out.push(("related", r, key));
    let ls = logsource(root);
    out.push(("logsource", ls.clone(), ls));
    scalar(&mut out, "type", trimmed(corr(root, "type")));
    set(&mut out, "rules", rules(root));
    set(&mut out, "group-by", strings(corr(root, "group-by")));
    scalar(&mut out, "timespan", trimmed(corr(root, "timespan")));
    scalar(&mut out, "generate", trimmed(corr(root, "generate")));
    let aliases = corr(root, "aliases").map_or(Value::Null, Node::to_json);
    out.push(("aliases", aliases.clone(), aliases));
    scalar(
        &mut out,
        "timeframe",
        trimmed(section(root).and_then(|d| d.get("timeframe"))),
    );
    scalar(&mut out, "condition", condition(root));
    out
}

/// Every field of the Sigma model the diff compares, for the JSON Schema and the docs.
pub const FIELD_NAMES: [&str; 25] = [
    "title",
    "name",
    "status",
    "level",
    "description",
    "author",
    "date",
    "modified",
    "license",
    "taxonomy",
    "references",
    "tags",
    "falsepositives",
    "fields",
    "scope",
    "related",
    "logsource",
    "type",
    "rules",
    "group-by",
    "timespan",
    "generate",
    "aliases",
    "timeframe",
    "condition",
];

/// One selection: its items' values by key (the union over alternatives), and a canonical
/// form of its structure (which alternative holds what).
#[derive(Default)]
struct Sel {
    items: BTreeMap<Option<String>, BTreeSet<String>>,
    shape: BTreeSet<String>,
}

fn value_text(n: &Node) -> String {
    match &n.kind {
        NodeKind::Scalar(s) => {
            if crate::sigma::sigma_type(s) == crate::sigma::modifiers::VType::Null {
                "null".into()
            } else {
                s.value.clone()
            }
        }
        _ => n.to_json().to_string(),
    }
}

fn values(n: &Node) -> BTreeSet<String> {
    match n.as_seq() {
        Some(items) => items.iter().map(value_text).collect(),
        None => std::iter::once(value_text(n)).collect(),
    }
}

fn selection(n: &Node) -> Sel {
    let mut sel = Sel::default();
    let branch = |sel: &mut Sel, entries: &[yaml::Entry]| {
        let mut b: Vec<(String, BTreeSet<String>)> = Vec::new();
        for e in entries {
            let key = yaml::key_text(&e.key);
            let vs = values(&e.value);
            sel.items
                .entry(Some(key.clone()))
                .or_default()
                .extend(vs.iter().cloned());
            b.push((key, vs));
        }
        b.sort();
        sel.shape.insert(format!("{b:?}"));
    };
    match &n.kind {
        NodeKind::Map(entries) => branch(&mut sel, entries),
        NodeKind::Seq(items) => {
            let mut keywords = BTreeSet::new();
            for i in items {
                match &i.kind {
                    NodeKind::Map(entries) => branch(&mut sel, entries),
                    _ => {
                        keywords.insert(value_text(i));
                    }
                }
            }
            if !keywords.is_empty() {
                sel.shape.insert(format!("keywords {keywords:?}"));
                sel.items.insert(None, keywords);
            }
        }
        NodeKind::Scalar(_) => {
            let v = value_text(n);
            if v != "null" {
                sel.shape.insert(format!("keyword {v:?}"));
                sel.items.insert(None, std::iter::once(v).collect());
            }
        }
    }
    sel
}

fn selections(root: &Node) -> BTreeMap<String, Sel> {
    let Some(d) = section(root) else {
        return BTreeMap::new();
    };
    let filter = root.get("detection").is_none();
    d.as_map()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let name = yaml::key_text(&e.key);
            let skip =
                matches!(name.as_str(), "condition" | "timeframe") || (filter && name == "rules");
            (!skip).then(|| (name, selection(&e.value)))
        })
        .collect()
}

fn all_items(sel: &Sel, change: Delta) -> Vec<ItemChange> {
    sel.items
        .iter()
        .map(|(key, vs)| {
            let vs: Vec<String> = vs.iter().cloned().collect();
            let (added, removed) = match change {
                Delta::Added => (vs, Vec::new()),
                _ => (Vec::new(), vs),
            };
            ItemChange {
                key: key.clone(),
                change,
                added,
                removed,
            }
        })
        .collect()
}

/// Every selection of a document, as added (or removed): the detection of a new (or
/// deleted) rule.
pub fn whole(s: &SigmaSnapshot, change: Delta) -> Vec<SelectionChange> {
    selections(&s.node)
        .into_iter()
        .map(|(name, sel)| SelectionChange {
            name,
            change,
            items: all_items(&sel, change),
            regrouped: false,
        })
        .collect()
}

fn detection(old: &Node, new: &Node) -> Vec<SelectionChange> {
    let (mut o, n) = (selections(old), selections(new));
    let mut out = Vec::new();
    for (name, ns) in n {
        let Some(os) = o.remove(&name) else {
            out.push(SelectionChange {
                items: all_items(&ns, Delta::Added),
                name,
                change: Delta::Added,
                regrouped: false,
            });
            continue;
        };
        let mut items = Vec::new();
        let keys: BTreeSet<&Option<String>> = os.items.keys().chain(ns.items.keys()).collect();
        for key in keys {
            let empty = BTreeSet::new();
            let (ov, nv) = (
                os.items.get(key).unwrap_or(&empty),
                ns.items.get(key).unwrap_or(&empty),
            );
            let change = match (os.items.contains_key(key), ns.items.contains_key(key)) {
                (false, _) => Delta::Added,
                (_, false) => Delta::Removed,
                _ => Delta::Modified,
            };
            let added: Vec<String> = nv.difference(ov).cloned().collect();
            let removed: Vec<String> = ov.difference(nv).cloned().collect();
            if change != Delta::Modified || !added.is_empty() || !removed.is_empty() {
                items.push(ItemChange {
                    key: key.clone(),
                    change,
                    added,
                    removed,
                });
            }
        }
        let regrouped = items.is_empty() && os.shape != ns.shape;
        if !items.is_empty() || regrouped {
            out.push(SelectionChange {
                name,
                change: Delta::Modified,
                items,
                regrouped,
            });
        }
    }
    for (name, os) in o {
        out.push(SelectionChange {
            items: all_items(&os, Delta::Removed),
            name,
            change: Delta::Removed,
            regrouped: false,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The differences between two versions of a Sigma document.
pub fn compare(old: &SigmaSnapshot, new: &SigmaSnapshot) -> Comparison {
    let (of, nf) = (fields(&old.node), fields(&new.node));
    let fields = of
        .into_iter()
        .zip(nf)
        .filter(|((_, _, ok), (_, _, nk))| ok != nk)
        .map(|((name, o, _), (_, n, _))| FieldChange {
            name,
            old: o,
            new: n,
        })
        .collect();
    Comparison {
        fields,
        detection: detection(&old.node, &new.node),
        ..Comparison::default()
    }
}

/// The keys of a mapping field (`logsource`) whose values differ: `(key, old, new)`.
pub fn object_delta(f: &FieldChange) -> Option<Vec<(String, Value, Value)>> {
    if !(f.old.is_object() || f.new.is_object()) || f.name != "logsource" {
        return None;
    }
    let empty = serde_json::Map::new();
    let (o, n) = (
        f.old.as_object().unwrap_or(&empty),
        f.new.as_object().unwrap_or(&empty),
    );
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    Some(
        keys.into_iter()
            .filter_map(|k| {
                let (ov, nv) = (
                    o.get(k).cloned().unwrap_or(Value::Null),
                    n.get(k).cloned().unwrap_or(Value::Null),
                );
                (ov != nv).then(|| (k.clone(), ov, nv))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::SigmaFile;
    use crate::source::SourceFile;

    fn doc(text: &str) -> SigmaSnapshot {
        let f = SigmaFile::parse(SourceFile::new("a.yml", text));
        let d = f.parsed.unwrap().into_iter().next().unwrap();
        SigmaSnapshot {
            rule: d.rule,
            node: d.node,
        }
    }

    const BASE: &str = "title: Suspicious child\nid: 0c7f3d52-5d1e-4a9b-9a55-000000000001\nstatus: test\nlevel: high\ntags: [attack.execution, attack.t1059]\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection_img:\n    Image|endswith:\n      - '\\bad.exe'\n      - '\\worse.exe'\n    CommandLine|contains: ' -enc '\n  filter:\n    User: SYSTEM\n  condition: selection_img and not filter\n";

    #[test]
    fn reordering_is_not_a_change() {
        let other = "id: 0c7f3d52-5d1e-4a9b-9a55-000000000001\ntitle: 'Suspicious child'\nlevel: high\nstatus: test\ntags:\n  - attack.t1059\n  - attack.execution\nlogsource: {product: windows, category: process_creation}\ndetection:\n  condition: (selection_img and not filter)\n  filter:\n    User: 'SYSTEM'\n  selection_img:\n    CommandLine|contains: ' -enc '\n    'Image|endswith': ['\\worse.exe', '\\bad.exe']\n";
        let c = compare(&doc(BASE), &doc(other));
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn per_selection_changes() {
        let other = BASE
            .replace("'\\bad.exe'", "'\\evil.exe'")
            .replace("    CommandLine|contains: ' -enc '\n", "")
            .replace("User: SYSTEM", "User|contains: SYSTEM")
            .replace("product: windows", "product: windows\n  service: sysmon")
            .replace(
                "condition: selection_img and not filter",
                "condition: selection_img",
            );
        let c = compare(&doc(BASE), &doc(&other));
        let names: Vec<&str> = c.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["logsource", "condition"]);
        let ls = object_delta(&c.fields[0]).unwrap();
        assert_eq!(ls, vec![("service".into(), Value::Null, json!("sysmon"))]);
        assert_eq!(c.detection.len(), 2);
        let f = &c.detection[0];
        assert_eq!((f.name.as_str(), f.change), ("filter", Delta::Modified));
        assert_eq!(f.items[0].label(), "User");
        assert_eq!(f.items[0].change, Delta::Removed);
        assert_eq!(f.items[1].label(), "User|contains");
        assert_eq!(f.items[1].change, Delta::Added);
        let s = &c.detection[1];
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].label(), "CommandLine|contains");
        assert_eq!(s.items[0].change, Delta::Removed);
        assert_eq!(s.items[1].added, vec!["\\evil.exe".to_string()]);
        assert_eq!(s.items[1].removed, vec!["\\bad.exe".to_string()]);
    }

    #[test]
    fn field_names_are_the_fields_compared() {
        let names: Vec<&str> = fields(&doc(BASE).node).iter().map(|f| f.0).collect();
        assert_eq!(names, FIELD_NAMES);
    }

    #[test]
    fn regrouping_alternatives_is_reported() {
        let a = "id: x\nlogsource: {product: windows}\ndetection:\n  sel:\n    - A: 1\n      B: 2\n    - A: 3\n  condition: sel\n";
        let b = "id: x\nlogsource: {product: windows}\ndetection:\n  sel:\n    - A: 1\n    - A: 3\n      B: 2\n  condition: sel\n";
        let c = compare(&doc(a), &doc(b));
        assert_eq!(c.detection.len(), 1);
        assert!(c.detection[0].regrouped);
    }

    #[test]
    fn correlation_changes() {
        let a = "title: Many failures\nid: c1\ncorrelation:\n  type: event_count\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n  condition:\n    gte: 10\n";
        let b = "title: Many failures\nid: c1\ncorrelation:\n  type: event_count\n  rules: [b, a, c]\n  group-by: [User]\n  timespan: 10m\n  condition: {gte: 20}\n";
        let c = compare(&doc(a), &doc(b));
        let names: Vec<&str> = c.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["rules", "timespan", "condition"]);
        assert_eq!(c.fields[2].old, json!("gte: 10"));
    }
}
