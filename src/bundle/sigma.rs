//! Sigma documents → normalized JSON: the `sigma.json` member of a bundle.
//!
//! Every Sigma document (detection rule, correlation rule, filter) of the selected files
//! becomes one entry: a few fields lifted out for filtering (`id`, `type`, `name`, `title`,
//! `status`, `level`) and the whole `document` converted to JSON the way Sigma tooling
//! (pySigma, PyYAML) reads it — YAML 1.1 scalar typing (`0777` is the number 511, `yes` is
//! `true`, `00000429` stays a string) — with mapping keys sorted at every level and list
//! order kept. Entries are sorted by id, so the same documents always give the same bytes.
//! Described by `schemas/bundle-sigma.schema.json`.

use crate::sigma::modifiers::VType;
use crate::sigma::{DocType, SigmaFile};
use crate::yaml::{self, Node, NodeKind};
use std::collections::BTreeMap;

pub use ruleforge_bundle::payload::{SigmaEntry, SigmaSet};

/// Sigma's levels.
pub const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// The `type` of an entry.
pub fn type_name(t: DocType) -> &'static str {
    match t {
        DocType::Rule => "rule",
        DocType::Correlation => "correlation",
        DocType::Filter => "filter",
    }
}

/// Compiles the documents of one parsed Sigma file, one result per document. Errors name the
/// file, line and column; besides a document without `id` or `title`, they only occur when
/// lint errors were ignored (the bundle command refuses to build on lint errors).
pub fn compile_file(file: &SigmaFile) -> Vec<Result<SigmaEntry, String>> {
    let src = &file.source;
    let at = |span: crate::Span| {
        let lc = src.line_col(span.start);
        format!("{}:{}:{}", src.path, lc.line, lc.column)
    };
    let docs = match &file.parsed {
        Ok(docs) => docs,
        Err(e) => return vec![Err(format!("{}: {}", at(e.span), e.message))],
    };
    docs.iter()
        .map(|doc| {
            let r = &doc.rule;
            let what = r.doc_type.name();
            let id = r.id.as_ref().map(|s| s.value.trim().to_string());
            let Some(id) = id.filter(|i| !i.is_empty()) else {
                return Err(format!(
                    "{}: the Sigma {what} has no `id`: a bundled document needs one",
                    at(r.anchor())
                ));
            };
            let Some(title) = r.title.as_ref().map(|s| s.value.clone()) else {
                return Err(format!(
                    "{}: the Sigma {what} has no `title`",
                    at(r.anchor())
                ));
            };
            let level = r.level.as_ref().map(|s| s.value.clone());
            if let Some(l) = level.as_deref().filter(|l| !LEVELS.contains(l)) {
                let span = r.level.as_ref().map_or(r.span, |s| s.span);
                return Err(format!("{}: unknown Sigma level `{l}`", at(span)));
            }
            if doc.node.as_map().is_none() {
                return Err(format!(
                    "{}: a Sigma document is a mapping, not {}",
                    at(doc.node.span),
                    doc.node.kind_name()
                ));
            }
            Ok(SigmaEntry {
                id,
                doc_type: type_name(r.doc_type).to_string(),
                name: r.name.as_ref().map(|s| s.value.clone()),
                title,
                status: r.status.as_ref().map(|s| s.value.clone()),
                level,
                document: to_json(&doc.node),
            })
        })
        .collect()
}

/// A YAML node as JSON the way pySigma reads it: YAML 1.1 typing of plain scalars, mapping
/// keys sorted (by UTF-8 bytes), list order kept.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        NodeKind::Scalar(s) => {
            if !s.plain || s.tag.is_some() {
                // Quoted, block or tagged: the core schema (quoted is always a string).
                return node.to_json();
            }
            let v = s.value.as_str();
            match crate::sigma::sigma_type(s) {
                VType::Null => Value::Null,
                VType::Bool => Value::Bool(matches!(
                    v,
                    "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
                )),
                VType::Num => yaml11_number(v).unwrap_or_else(|| Value::String(v.to_string())),
                _ => Value::String(v.to_string()),
            }
        }
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => {
            let sorted: BTreeMap<String, Value> = entries
                .iter()
                .map(|e| (yaml::key_text(&e.key), to_json(&e.value)))
                .collect();
            Value::Object(sorted.into_iter().collect())
        }
    }
}

/// The value of a YAML 1.1 int or float (`_` separators, `0b`, `0x`, leading-`0` octal);
/// `None` when JSON cannot hold it (infinities, NaN, integers beyond 64 bits), and the
/// caller keeps the text.
fn yaml11_number(v: &str) -> Option<serde_json::Value> {
    let clean: String = v.chars().filter(|&c| c != '_').collect();
    let (neg, u) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let int = |digits: &str, radix: u32| -> Option<serde_json::Value> {
        let n = i128::from_str_radix(digits, radix).ok()?;
        let n = if neg { -n } else { n };
        i64::try_from(n)
            .map(serde_json::Value::from)
            .ok()
            .or_else(|| u64::try_from(n).ok().map(serde_json::Value::from))
    };
    if let Some(b) = u.strip_prefix("0b") {
        return int(b, 2);
    }
    if let Some(h) = u.strip_prefix("0x") {
        return int(h, 16);
    }
    if u.bytes().all(|c| c.is_ascii_digit()) && !u.is_empty() {
        return if u.len() > 1 && u.starts_with('0') {
            int(&u[1..], 8)
        } else {
            int(u, 10)
        };
    }
    let f: f64 = clean.parse().ok()?;
    serde_json::Number::from_f64(f).map(serde_json::Value::Number)
}

/// The canonical bytes of `sigma.json`: compact JSON and a final newline.
pub fn set_to_json(set: &SigmaSet) -> Vec<u8> {
    let head = SigmaSet {
        format_version: set.format_version,
        rules: Vec::new(),
    };
    super::compile::canonical_json_list(&head, &set.rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn json(text: &str) -> serde_json::Value {
        to_json(&yaml::parse(&SourceFile::new("a.yml", text)).unwrap())
    }

    #[test]
    fn yaml_1_1_values_and_sorted_keys() {
        let v = json(
            "z: 1\na: [0777, '0777', 00000429, 4688, 0x1F, yes, Off, ~, 1_000, 1.5, .inf, \
             -12, abc, 2024-01-01, 99999999999999999999999]\n",
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":[511,"0777","00000429",4688,31,true,false,null,1000,1.5,".inf",-12,"abc","2024-01-01","99999999999999999999999"],"z":1}"#
        );
    }

    #[test]
    fn documents_of_a_file() {
        let text = "title: Base\nid: b0000000-0000-4000-8000-000000000001\nname: base\nstatus: test\n\
                    level: high\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 4625\n  \
                    condition: sel\n---\ntitle: Many\ncorrelation:\n  type: event_count\n  rules: [base]\n  \
                    timespan: 5m\n  condition:\n    gte: 10\n";
        let f = SigmaFile::parse(SourceFile::new("s/a.yml", text));
        let out = compile_file(&f);
        let base = out[0].as_ref().unwrap();
        assert_eq!(base.doc_type, "rule");
        assert_eq!(base.name.as_deref(), Some("base"));
        assert_eq!(base.document["detection"]["sel"]["EventID"], 4625);
        let e = out[1].as_ref().unwrap_err();
        assert!(
            e.starts_with("s/a.yml:13:8: the Sigma correlation rule has no `id`"),
            "{e}"
        );
        for n in [0, 1, 300] {
            let set = SigmaSet {
                format_version: 2,
                rules: vec![base.clone(); n],
            };
            assert_eq!(
                set_to_json(&set),
                super::super::compile::canonical_json(&set),
                "{n} documents"
            );
        }
    }
}
