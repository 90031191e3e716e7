//! JSON Schema validation of rule documents, with errors mapped back to YAML spans.
//! The schemas are embedded at build time and compiled once.

use crate::diagnostic::{Diagnostic, Span};
use crate::yaml::Node;
use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use std::sync::OnceLock;

pub const RULE_SCHEMA: &str = include_str!("../schemas/rule.schema.json");
pub const CONFIG_SCHEMA: &str = include_str!("../schemas/config.schema.json");

fn compile(text: &str) -> Validator {
    let schema: serde_json::Value = serde_json::from_str(text).expect("embedded schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("embedded schema compiles")
}

pub fn rule_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| compile(RULE_SCHEMA))
}

/// Validates a rule document; returns RF010 diagnostics pointing at the offending nodes.
/// Errors on `/id` patterns are left to RF101, which explains them better.
pub fn validate_rule(path: &str, root: &Node) -> Vec<Diagnostic> {
    let instance = root.to_json();
    let mut out = Vec::new();
    for err in rule_validator().iter_errors(&instance) {
        let pointer = err.instance_path().as_str().to_string();
        if pointer == "/id" && matches!(err.kind(), ValidationErrorKind::Pattern { .. }) {
            continue;
        }
        let (span, message) = describe(root, &pointer, err.kind(), &instance);
        out.push(Diagnostic::new("RF010", path, Some(span), message));
    }
    out.sort_by_key(|d| d.span.map(|s| s.start));
    out
}

/// `indicators.webshell.sha256[0]` from `/indicators/webshell/sha256/0`.
pub fn field_name(pointer: &str) -> String {
    let mut s = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
            s.push_str(&format!("[{part}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&part);
        }
    }
    if s.is_empty() {
        "the rule".to_string()
    } else {
        format!("`{s}`")
    }
}

fn describe(
    root: &Node,
    pointer: &str,
    kind: &ValidationErrorKind,
    instance: &serde_json::Value,
) -> (Span, String) {
    let (key, node) = root.pointer(pointer).unwrap_or((None, root));
    let field = field_name(pointer);
    let found = || node.kind_name();
    let value = instance.pointer(pointer);
    use ValidationErrorKind as K;
    match kind {
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            let first = unexpected.first().cloned().unwrap_or_default();
            let span = node.entry(&first).map(|e| e.key.span).unwrap_or(node.span);
            let what = if pointer.is_empty() {
                "rule".to_string()
            } else if pointer.matches('/').count() == 2 && pointer.starts_with("/indicators/") {
                "indicator group".to_string()
            } else {
                field.clone()
            };
            let hint = known_keys(pointer, &first);
            (span, format!("unknown key `{first}` in {what}{hint}"))
        }
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let span = key.map(|k| k.span).unwrap_or_else(|| first_line(root));
            let owner = if pointer.is_empty() {
                "the rule".to_string()
            } else {
                field
            };
            (
                span,
                format!("{owner} is missing the required key `{name}`"),
            )
        }
        K::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(t) => format!("{t}"),
                jsonschema::error::TypeKind::Multiple(ts) => format!("{ts:?}"),
            };
            (
                node.span,
                format!("{field} must be {}, found {}", article(&expected), found()),
            )
        }
        K::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                node.span,
                format!(
                    "{field} must be one of {}, found {}",
                    opts.join(", "),
                    show(value)
                ),
            )
        }
        K::Pattern { pattern } => (
            node.span,
            format!(
                "{field} does not match the pattern `{pattern}`: {}",
                show(value)
            ),
        ),
        K::Format { format } => (
            node.span,
            format!("{field} is not a valid {format}: {}", show(value)),
        ),
        K::MinItems { limit } => (node.span, format!("{field} needs at least {limit} item(s)")),
        K::MaxItems { limit } => (node.span, format!("{field} allows at most {limit} item(s)")),
        K::MinLength { limit } => (
            node.span,
            format!("{field} must be at least {limit} character(s) long"),
        ),
        K::MaxLength { limit } => (
            node.span,
            format!("{field} must be at most {limit} characters long"),
        ),
        K::MinProperties { limit } => (
            node.span,
            format!(
                "{field} needs at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            ),
        ),
        K::PropertyNames { error } => {
            // The offending name is the instance of the inner error.
            let bad = error_instance_string(error);
            let span = bad
                .as_deref()
                .and_then(|b| node.entry(b))
                .map(|e| e.key.span)
                .unwrap_or(node.span);
            let what = if pointer == "/indicators" {
                "group name"
            } else {
                "key"
            };
            (
                span,
                format!(
                    "invalid {what} `{}` in {field}: {}",
                    bad.unwrap_or_default(),
                    if pointer == "/indicators" {
                        "use lower-case letters, digits and `_`, starting with a letter"
                    } else {
                        "see the schema"
                    }
                ),
            )
        }
        K::OneOfNotValid { .. } | K::AnyOf { .. } => (
            node.span,
            format!(
                "{field} must be a string or a list of strings, found {}",
                found()
            ),
        ),
        other => (node.span, format!("{field}: {}", kind_text(other))),
    }
}

fn error_instance_string(err: &jsonschema::ValidationError<'_>) -> Option<String> {
    err.instance().as_str().map(str::to_string)
}

fn kind_text(kind: &ValidationErrorKind) -> String {
    format!("{kind:?}")
}

fn article(t: &str) -> String {
    match t {
        "object" => "a mapping".into(),
        "array" => "a list".into(),
        "string" => "a string".into(),
        "integer" => "an integer".into(),
        other => format!("a {other}"),
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => format!("`{s}`"),
        Some(other) => format!("`{other}`"),
        None => "nothing".into(),
    }
}

fn first_line(root: &Node) -> Span {
    Span::new(root.span.start, root.span.start)
}

const TOP_KEYS: &[&str] = &[
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

/// A "did you mean" hint for a misspelt key.
fn known_keys(pointer: &str, bad: &str) -> String {
    let candidates: Vec<&str> = if pointer.is_empty() {
        TOP_KEYS.to_vec()
    } else if pointer.starts_with("/indicators/") {
        crate::indicator::IndicatorType::ALL
            .iter()
            .map(|t| t.name())
            .collect()
    } else {
        return String::new();
    };
    let best = candidates
        .iter()
        .map(|c| (strsim(bad, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min();
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None if pointer.starts_with("/indicators/") => {
            format!(" (indicator types: {})", candidates.join(", "))
        }
        None => String::new(),
    }
}

/// Levenshtein distance (small strings).
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
