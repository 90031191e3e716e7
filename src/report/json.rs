//! JSON output: an array of findings with 1-based positions (documented in docs/output-formats.md).

use super::{location, Sources};
use crate::diagnostic::Diagnostic;
use serde_json::{json, Value};

pub fn to_value(diags: &[Diagnostic], sources: &Sources) -> Value {
    Value::Array(
        diags
            .iter()
            .map(|d| {
                let loc = location(d, sources.get(&d.path).map(|s| s.as_ref()));
                let rule = crate::lint::registry::lookup(d.code);
                json!({
                    "code": d.code,
                    "name": rule.map(|r| r.name),
                    "severity": d.severity.as_str(),
                    "message": d.message,
                    "path": d.path,
                    "line": loc.line,
                    "column": loc.column,
                    "end_line": loc.end_line,
                    "end_column": loc.end_column,
                    "fix": d.fix.as_ref().and_then(|f| f.edits.first()).map(|e| e.replacement.clone()),
                    "fix_applicability": d.fix.as_ref().map(|f| f.applicability),
                    "fix_message": d.fix.as_ref().map(|f| f.message.clone()),
                    "related": d.related.iter().map(|r| {
                        let l = location(&Diagnostic { span: r.span, path: r.path.clone(), ..d.clone() }, sources.get(&r.path).map(|s| s.as_ref()));
                        json!({"path": r.path, "line": l.line, "column": l.column, "message": r.message})
                    }).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

pub fn render(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diags, sources)).expect("JSON serializes");
    s.push('\n');
    s
}
