//! SARIF 2.1.0 output for code scanning, with rule metadata in `tool.driver.rules`.

use super::{location, Sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::registry;
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn to_value(diags: &[Diagnostic], sources: &Sources) -> Value {
    let rules: Vec<_> = registry::all_rules().collect();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "help": {"text": format!("{}\n\nRun `ruleforge rule {}` for details.", r.explanation, r.code)},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": [r.category.as_str()]},
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let src = sources.get(&d.path).map(|s| s.as_ref());
            let loc = location(d, src);
            let mut region = json!({"startLine": loc.line, "startColumn": loc.column});
            if d.span.is_some() {
                region["endLine"] = json!(loc.end_line);
                region["endColumn"] = json!(loc.end_column);
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.path, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }],
            });
            if let Some(i) = rules.iter().position(|r| r.code == d.code) {
                result["ruleIndex"] = json!(i);
            }
            if let (Some(fix), Some(src)) = (&d.fix, src) {
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|e| {
                        let s = src.line_col(e.span.start);
                        let en = src.line_col(e.span.end);
                        json!({
                            "deletedRegion": {"startLine": s.line, "startColumn": s.column, "endLine": en.line, "endColumn": en.column},
                            "insertedContent": {"text": e.replacement},
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": fix.message},
                    "artifactChanges": [{"artifactLocation": {"uri": d.path, "uriBaseId": "%SRCROOT%"}, "replacements": replacements}],
                }]);
            }
            if !d.related.is_empty() {
                result["relatedLocations"] = Value::Array(
                    d.related
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let l = location(&Diagnostic { span: r.span, path: r.path.clone(), ..d.clone() }, sources.get(&r.path).map(|s| s.as_ref()));
                            json!({
                                "id": i,
                                "message": {"text": r.message},
                                "physicalLocation": {
                                    "artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": l.line, "startColumn": l.column},
                                }
                            })
                        })
                        .collect(),
                );
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ruleforge",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": driver_rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub fn render(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diags, sources)).expect("SARIF serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The category of each rule comes from its registry entry: Sigma rules are filed by what
    /// they check, not all as "policy".
    #[test]
    fn rule_categories_come_from_the_registry() {
        let v = to_value(&[], &Sources::new());
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let tag = |code: &str| {
            let r = rules.iter().find(|r| r["id"] == code).unwrap();
            r["properties"]["tags"][0].as_str().unwrap().to_string()
        };
        for (code, category) in [
            ("RF001", "structure"),
            ("RF101", "metadata"),
            ("RF201", "indicators"),
            ("RF301", "condition"),
            ("RF401", "repository"),
            ("RF501", "policy"),
            ("RF600", "structure"),
            ("RF601", "condition"),
            ("RF610", "detection"),
            ("RF635", "logsource"),
            ("RF656", "metadata"),
            ("RF690", "repository"),
        ] {
            assert_eq!(tag(code), category, "{code}");
        }
        assert_eq!(rules.len(), registry::all_rules().count());
    }
}
