//! Comparing two versions of one rule, field by field, in meaning rather than in bytes.
//!
//! - scalars (`title`, `status`, dates, ...) compare as strings, so quoting is not a change;
//! - `description` compares with runs of whitespace collapsed, so re-wrapping a paragraph or
//!   switching between `|`, `>` and a plain scalar is not a change;
//! - `references`, `tags`, `falsepositives`, `related` and `tests` compare as sets, so
//!   reordering is not a change;
//! - `condition` compares the canonical form of the parsed expression (an absent condition
//!   is `1 of them`);
//! - indicators compare as a set of (group, type, canonical value): reordering, quoting or
//!   the case of a hash is not a change.

use crate::rule::{Rule, Spanned};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A field whose meaning changed. `old`/`new` are JSON values (`null` when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub name: &'static str,
    pub old: Value,
    pub new: Value,
}

/// One indicator: group name, type key, canonical value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndicatorRef {
    pub group: String,
    pub ty: String,
    pub value: String,
}

/// The differences between two versions of a rule.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub fields: Vec<FieldChange>,
    pub indicators_added: Vec<IndicatorRef>,
    pub indicators_removed: Vec<IndicatorRef>,
    /// Sigma: changes per selection.
    pub detection: Vec<super::SelectionChange>,
}

impl Comparison {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
            && self.indicators_added.is_empty()
            && self.indicators_removed.is_empty()
            && self.detection.is_empty()
    }
}

pub fn compare(old: &Rule, new: &Rule) -> Comparison {
    let mut fields = Vec::new();
    // Every key but `id` (what rules are matched by), in canonical order; `indicators` are
    // compared separately below.
    for name in crate::rule::KEYS.into_iter().filter(|k| *k != "id") {
        let (o, n, same) = match name {
            "indicators" => continue,
            "description" => {
                let (o, n) = (&old.description, &new.description);
                let same = o.as_ref().map(|s| normalize_text(&s.value))
                    == n.as_ref().map(|s| normalize_text(&s.value));
                (scalar(o), scalar(n), same)
            }
            "references" | "tags" | "falsepositives" => {
                let pick = |r: &Rule| -> Vec<Spanned<String>> {
                    match name {
                        "references" => r.references.clone(),
                        "tags" => r.tags.clone(),
                        _ => r.falsepositives.clone(),
                    }
                };
                let (o, n) = (pick(old), pick(new));
                let set = |l: &[Spanned<String>]| -> BTreeSet<String> {
                    l.iter().map(|s| s.value.trim().to_string()).collect()
                };
                let same = set(&o) == set(&n);
                (list(&o), list(&n), same)
            }
            "related" => {
                let (o, n) = (related(old), related(new));
                let set = |v: &Value| -> BTreeSet<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| x.to_string().to_lowercase())
                        .collect()
                };
                let same = set(&o) == set(&n);
                (o, n, same)
            }
            "condition" => {
                let (o, n) = (condition_text(old), condition_text(new));
                let same = o == n;
                (Value::String(o), Value::String(n), same)
            }
            "tests" => {
                let (o, n) = (tests(old), tests(new));
                let same = tests_key(&o) == tests_key(&n);
                (o, n, same)
            }
            _ => {
                let (o, n) = (scalar_field(old, name), scalar_field(new, name));
                let same = o.map(|s| s.value.trim()) == n.map(|s| s.value.trim());
                (scalar(&o.cloned()), scalar(&n.cloned()), same)
            }
        };
        if !same {
            fields.push(FieldChange {
                name,
                old: o,
                new: n,
            });
        }
    }
    let (o, n) = (indicator_set(old), indicator_set(new));
    Comparison {
        fields,
        indicators_added: n.difference(&o).cloned().collect(),
        indicators_removed: o.difference(&n).cloned().collect(),
        detection: Vec::new(),
    }
}

fn scalar_field<'r>(r: &'r Rule, name: &str) -> Option<&'r Spanned<String>> {
    match name {
        "title" => r.title.as_ref(),
        "status" => r.status.as_ref(),
        "severity" => r.severity.as_ref(),
        "confidence" => r.confidence.as_ref(),
        "tlp" => r.tlp.as_ref(),
        "author" => r.author.as_ref(),
        "created" => r.created.as_ref(),
        "modified" => r.modified.as_ref(),
        "expires" => r.expires.as_ref(),
        _ => None,
    }
}

fn scalar(s: &Option<Spanned<String>>) -> Value {
    s.as_ref()
        .map_or(Value::Null, |s| Value::String(s.value.clone()))
}

fn list(l: &[Spanned<String>]) -> Value {
    Value::Array(l.iter().map(|s| Value::String(s.value.clone())).collect())
}

fn related(r: &Rule) -> Value {
    Value::Array(
        r.related
            .iter()
            .map(|x| {
                json!({
                    "id": x.id.as_ref().map(|s| s.value.clone()),
                    "type": x.kind.as_ref().map(|s| s.value.clone()),
                })
            })
            .collect(),
    )
}

fn tests(r: &Rule) -> Value {
    Value::Array(
        r.tests
            .iter()
            .map(|t| {
                let event: serde_json::Map<String, Value> = t
                    .event
                    .iter()
                    .map(|(k, v)| {
                        let v = if v.len() == 1 {
                            Value::String(v[0].clone())
                        } else {
                            Value::Array(v.iter().cloned().map(Value::String).collect())
                        };
                        (k.clone(), v)
                    })
                    .collect();
                json!({
                    "name": t.name,
                    "expect": t.expect_match.map(|m| if m { "match" } else { "no_match" }),
                    "event": event,
                })
            })
            .collect(),
    )
}

/// Order-insensitive form of the tests (events are maps; a field's values are a set).
fn tests_key(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let mut event: Vec<String> = t["event"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let mut vals: Vec<String> = match v {
                        Value::Array(a) => a.iter().map(|x| x.to_string()).collect(),
                        other => vec![other.to_string()],
                    };
                    vals.sort();
                    format!("{k}={}", vals.join(","))
                })
                .collect();
            event.sort();
            format!("{}|{}|{}", t["name"], t["expect"], event.join(";"))
        })
        .collect()
}

/// The canonical text of a rule's condition (`1 of them` when absent; the raw text when
/// it does not parse).
pub fn condition_text(r: &Rule) -> String {
    match r.parsed_condition() {
        Ok(e) => e.to_string(),
        Err(_) => r
            .condition
            .as_ref()
            .map(|c| c.value.trim().to_string())
            .unwrap_or_default(),
    }
}

/// Fields compared as sets and shown as `+ added; - removed`.
pub const LIST_FIELDS: [&str; 9] = [
    "references",
    "tags",
    "falsepositives",
    "related",
    "tests",
    "fields",
    "scope",
    "rules",
    "group-by",
];

/// What a list field gained and lost (items as display labels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDelta {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Tests present on both sides under the same name with different contents.
    pub changed: Vec<String>,
}

/// The set difference of a list field (`references`, `tags`, `falsepositives`, `related`,
/// `tests`, and the Sigma lists in [`LIST_FIELDS`]); `None` for other fields.
pub fn list_delta(f: &FieldChange) -> Option<ListDelta> {
    let items = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|x| match (f.name, x) {
                (_, Value::String(s)) => (s.trim().to_string(), s.trim().to_string()),
                ("related", o) => {
                    let id = o["id"].as_str().unwrap_or("");
                    let ty = o["type"].as_str().unwrap_or("related");
                    let label = format!("{ty} {id}");
                    (label.to_lowercase(), label)
                }
                ("tests", o) => {
                    let name = o["name"].as_str().unwrap_or("").to_string();
                    (name.clone(), name)
                }
                (_, o) => (o.to_string(), o.to_string()),
            })
            .collect()
    };
    if !LIST_FIELDS.contains(&f.name) {
        return None;
    }
    let (old, new) = (items(&f.old), items(&f.new));
    let keys =
        |l: &[(String, String)]| -> BTreeSet<String> { l.iter().map(|(k, _)| k.clone()).collect() };
    let (ok, nk) = (keys(&old), keys(&new));
    let mut delta = ListDelta::default();
    let mut seen = BTreeSet::new();
    for (k, label) in &new {
        if !ok.contains(k) && seen.insert(k.clone()) {
            delta.added.push(label.clone());
        }
    }
    for (k, label) in &old {
        if !nk.contains(k) && seen.insert(k.clone()) {
            delta.removed.push(label.clone());
        }
    }
    if f.name == "tests" {
        let by_name = |v: &Value| -> std::collections::BTreeMap<String, BTreeSet<String>> {
            let mut m: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
            for t in v.as_array().into_iter().flatten() {
                let name = t["name"].as_str().unwrap_or("").to_string();
                m.entry(name)
                    .or_default()
                    .extend(tests_key(&Value::Array(vec![t.clone()])));
            }
            m
        };
        let (o, n) = (by_name(&f.old), by_name(&f.new));
        for (name, nv) in &n {
            if o.get(name).is_some_and(|ov| ov != nv) {
                delta.changed.push(name.clone());
            }
        }
    }
    Some(delta)
}

/// Collapses runs of whitespace to one space and trims the ends.
pub fn normalize_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The distinct indicators of a rule.
pub fn indicator_set(r: &Rule) -> BTreeSet<IndicatorRef> {
    r.values()
        .map(|(g, t, v)| IndicatorRef {
            group: g.name.clone(),
            ty: t.key.clone(),
            value: v.canonical().to_string(),
        })
        .collect()
}

/// The distinct indicators of a rule, sorted.
pub fn indicator_list(r: &Rule) -> Vec<IndicatorRef> {
    indicator_set(r).into_iter().collect()
}

/// A word-level inline diff of two texts: runs of equal, deleted and inserted text. Runs of
/// whitespace are collapsed first, so re-wrapping shows no change.
pub fn word_diff(old: &str, new: &str) -> Vec<(similar::ChangeTag, String)> {
    let (old, new) = (normalize_text(old), normalize_text(new));
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_words(&old, &new);
    let mut out: Vec<(similar::ChangeTag, String)> = Vec::new();
    for change in diff.iter_all_changes() {
        let tag = change.tag();
        let text = change.value();
        match out.last_mut() {
            Some((t, s)) if *t == tag => s.push_str(text),
            _ => out.push((tag, text.to_string())),
        }
    }
    // Whitespace between two changes goes inside them: `[-a b-]{+c d+}`, not `[-a-] [-b-]`.
    let mut merged = Vec::new();
    let (mut del, mut ins) = (String::new(), String::new());
    let flush =
        |merged: &mut Vec<(similar::ChangeTag, String)>, del: &mut String, ins: &mut String| {
            for (tag, buf) in [
                (similar::ChangeTag::Delete, del),
                (similar::ChangeTag::Insert, ins),
            ] {
                if !buf.trim().is_empty() {
                    merged.push((tag, std::mem::take(buf)));
                }
                buf.clear();
            }
        };
    for (i, (tag, text)) in out.iter().enumerate() {
        match tag {
            similar::ChangeTag::Delete => del.push_str(text),
            similar::ChangeTag::Insert => ins.push_str(text),
            similar::ChangeTag::Equal => {
                let pending = !del.is_empty() || !ins.is_empty();
                let next_changes = out
                    .get(i + 1)
                    .is_some_and(|(t, _)| *t != similar::ChangeTag::Equal);
                if pending && next_changes && text.trim().is_empty() {
                    del.push_str(text);
                    ins.push_str(text);
                } else {
                    flush(&mut merged, &mut del, &mut ins);
                    merged.push((*tag, text.clone()));
                }
            }
        }
    }
    flush(&mut merged, &mut del, &mut ins);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleFile;
    use crate::source::SourceFile;

    fn parse(text: &str) -> Rule {
        RuleFile::parse(SourceFile::new("a.yml", text))
            .rule()
            .unwrap()
            .clone()
    }

    const BASE: &str = "id: x\ntitle: Example rule title\nstatus: test\ntags: [a.b, c.d]\ndescription: |\n  One two three\n  four five.\nindicators:\n  g:\n    sha256:\n      - B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0\n    domain: [evil.example]\ncondition: g\n";

    #[test]
    fn reformatting_is_not_a_change() {
        let other = "# comment\nid: x\nstatus: 'test'\ntitle: \"Example rule title\"\ntags:\n  - c.d\n  - a.b\ndescription: One two three four five.\ncondition: (g)\nindicators:\n  g:\n    domain: ['evil.example']\n    sha256: [b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0]\n";
        let c = compare(&parse(BASE), &parse(other));
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn changes_are_listed() {
        let other = BASE
            .replace("status: test", "status: stable\nseverity: high")
            .replace("evil.example]", "evil.example, other.example]")
            .replace("condition: g", "condition: g or g");
        let c = compare(&parse(BASE), &parse(&other));
        let names: Vec<&str> = c.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["status", "severity", "condition"]);
        assert_eq!(c.fields[1].old, Value::Null);
        assert_eq!(c.fields[2].new, Value::String("g or g".into()));
        assert_eq!(
            c.indicators_added,
            vec![IndicatorRef {
                group: "g".into(),
                ty: "domain".into(),
                value: "other.example".into()
            }]
        );
        assert!(c.indicators_removed.is_empty());
    }

    #[test]
    fn moving_a_value_between_groups_is_a_change() {
        let other = BASE
            .replace("  g:\n", "  h:\n")
            .replace("condition: g", "condition: h");
        let c = compare(&parse(BASE), &parse(&other));
        assert_eq!(c.indicators_added.len(), 2);
        assert_eq!(c.indicators_removed.len(), 2);
    }

    #[test]
    fn word_diff_marks_words() {
        use similar::ChangeTag::*;
        let d = word_diff("the quick brown fox", "the slow brown\n  fox jumps");
        assert_eq!(
            d,
            vec![
                (Equal, "the ".to_string()),
                (Delete, "quick".to_string()),
                (Insert, "slow".to_string()),
                (Equal, " brown fox".to_string()),
                (Insert, " jumps".to_string()),
            ]
        );
    }
}
