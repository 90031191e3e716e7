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
                "properties": {"tags": [category(r.code)]},
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

fn category(code: &str) -> &'static str {
    match &code[..3] {
        "RF0" => "structure",
        "RF1" => "metadata",
        "RF2" => "indicators",
        "RF3" => "condition",
        "RF4" => "repository",
        _ => "policy",
    }
}

pub fn render(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diags, sources)).expect("SARIF serializes");
    s.push('\n');
    s
}
