//! JSON output of a diff, described by `schemas/diff.schema.json` (documented in docs/diff.md).

use super::{ChangeKind, Diff, IndicatorRef, RuleChange, SelectionChange};
use serde_json::{json, Map, Value};

/// Version of the JSON shape; bumped only on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

fn indicators(list: &[IndicatorRef]) -> Value {
    Value::Array(
        list.iter()
            .map(|i| json!({"group": i.group, "type": i.ty, "value": i.value}))
            .collect(),
    )
}

fn rule(c: &RuleChange) -> Value {
    let cur = c.current();
    let fields: Map<String, Value> = c
        .fields
        .iter()
        .map(|f| (f.name.to_string(), json!({"old": f.old, "new": f.new})))
        .collect();
    let mut v = json!({
        "id": c.id,
        "kind": c.rule_kind.as_str(),
        "change": c.kind.as_str(),
        "title": cur.title(),
        "status": cur.status(),
        "severity": cur.severity(),
        "path": c.path(),
        "old_path": c.old_path(),
        "moved": c.moved(),
        "fields": fields,
        "indicators": {
            "added": indicators(&c.indicators_added),
            "removed": indicators(&c.indicators_removed),
        },
    });
    if let Some(s) = cur.sigma() {
        let doc = match s.rule.doc_type {
            crate::sigma::DocType::Rule => "rule",
            crate::sigma::DocType::Correlation => "correlation",
            crate::sigma::DocType::Filter => "filter",
        };
        v["sigma_type"] = doc.into();
        v["detection"] = Value::Array(c.detection.iter().map(selection).collect());
    }
    v
}

fn selection(s: &SelectionChange) -> Value {
    json!({
        "selection": s.name,
        "change": s.change.as_str(),
        "regrouped": s.regrouped,
        "items": s.items.iter().map(|i| json!({
            "key": i.key,
            "field": i.field(),
            "modifiers": i.modifiers(),
            "change": i.change.as_str(),
            "added": i.added,
            "removed": i.removed,
        })).collect::<Vec<_>>(),
    })
}

pub fn to_value(diff: &Diff) -> Value {
    let s = &diff.summary;
    let mut summary = Map::new();
    summary.insert("rules_changed".into(), s.rules_changed().into());
    for k in ChangeKind::ALL {
        summary.insert(k.as_str().into(), s.count(k).into());
    }
    summary.insert("reformatted".into(), s.reformatted.into());
    summary.insert("indicators_added".into(), s.indicators_added.into());
    summary.insert("indicators_removed".into(), s.indicators_removed.into());
    summary.insert("native".into(), s.native.into());
    summary.insert("sigma".into(), s.sigma.into());
    json!({
        "version": FORMAT_VERSION,
        "base": diff.base.commit,
        "head": diff.head.commit,
        "base_rev": diff.base.rev,
        "head_rev": diff.head.rev,
        "summary": summary,
        "rules": diff.changes.iter().map(rule).collect::<Vec<_>>(),
        "unreadable": diff.unreadable.iter().map(|u| json!({
            "path": u.path,
            "side": u.side.as_str(),
            "message": u.message,
        })).collect::<Vec<_>>(),
    })
}

pub fn render(diff: &Diff) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diff)).expect("JSON serializes");
    s.push('\n');
    s
}
