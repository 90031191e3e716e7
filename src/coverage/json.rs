//! Coverage as JSON, for scripts: every number the other formats show, rules named by id.

use super::{standing_text, Coverage};
use serde_json::{json, Value};

pub fn render(c: &Coverage) -> String {
    let rule = |i: &usize| {
        let r = &c.rules[*i];
        json!({"id": r.id, "title": r.title, "path": r.path, "kind": r.kind,
               "status": r.status, "severity": r.severity})
    };
    let value = json!({
        "attack": {"domain": "enterprise-attack", "version": c.attack.version,
                   "notice": super::attack::NOTICE},
        "rules": {"total": c.rules.len(), "with_attack_tags": c.tagged_rules()},
        "tactics": c.tactics.iter().map(|t| json!({
            "id": t.id, "shortname": t.shortname, "name": t.name,
            "techniques_total": t.techniques_total,
            "techniques_covered": t.techniques_covered,
            "rules": t.rules,
        })).collect::<Vec<Value>>(),
        "techniques": c.techniques.iter().map(|t| json!({
            "id": t.id, "name": t.name, "tactics": t.tactics,
            "attack_status": t.standing.as_ref().map(standing_text).unwrap_or_else(|| "current".into()),
            "rule_count": t.rules.len(),
            "by_status": t.by_status, "by_severity": t.by_severity,
            "only_experimental_or_deprecated": t.weak,
            "rules": t.rules.iter().map(rule).collect::<Vec<Value>>(),
        })).collect::<Vec<Value>>(),
        "unknown_tags": c.unknown.iter().map(|u| json!({
            "tag": u.tag,
            "rules": u.rules.iter().map(rule).collect::<Vec<Value>>(),
        })).collect::<Vec<Value>>(),
        "not_read": c.skipped,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialize");
    text.push('\n');
    text
}
