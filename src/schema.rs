//! JSON Schema validation of rule documents, with errors mapped back to YAML spans.
//! The schemas are embedded at build time and compiled once.
//!
//! One error mapping serves every kind of document: a [`Target`] names the schema, the kind
//! of rule it describes, how the document is called in messages and the keys a misspelt key
//! is compared with. Native rules use [`NATIVE_RULE`]; Sigma rules, correlation rules and
//! filters use [`SIGMA_RULE`], [`SIGMA_CORRELATION`] and [`SIGMA_FILTER`] (the official
//! schemas, vendored in `schemas/sigma/`; [`for_sigma`] picks one by document type).
//!
//! Validation returns [`Violation`]s (a place and a message); `lint` reports them under its
//! codes (RF010 for native rules, RF600 for Sigma documents).

use crate::diagnostic::Span;
use crate::kind::RuleKind;
use crate::sigma::DocType;
use crate::yaml::Node;
use crate::yaml_json::YamlJson;
use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use std::sync::OnceLock;

pub const RULE_SCHEMA: &str = include_str!("../schemas/rule.schema.json");
pub const CONFIG_SCHEMA: &str = include_str!("../schemas/config.schema.json");
pub const SIGMA_RULE_SCHEMA: &str =
    include_str!("../schemas/sigma/sigma-detection-rule-schema.json");
pub const SIGMA_CORRELATION_SCHEMA: &str =
    include_str!("../schemas/sigma/sigma-correlation-rules-schema.json");
pub const SIGMA_FILTER_SCHEMA: &str = include_str!("../schemas/sigma/sigma-filters-schema.json");

/// Patterns run on the `regex` engine: the embedded schemas use no look-around or
/// back-reference (the `fancy-regex` features), so both engines run the same translated
/// expression, and this one without the wrapper every match paid for.
fn compile<F: jsonschema::json::Json>(schema: &serde_json::Value) -> Validator<F> {
    jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .expect("embedded schema compiles")
}

/// A schema compiled twice, each on first use: for the YAML tree read in place (the validity
/// check every document goes through) and for its JSON conversion (error reports, with
/// instance values; only invalid documents need it).
pub struct Compiled {
    schema: OnceLock<serde_json::Value>,
    validator: OnceLock<Validator>,
    yaml: OnceLock<Validator<YamlJson>>,
}

impl Compiled {
    const fn new() -> Self {
        Compiled {
            schema: OnceLock::new(),
            validator: OnceLock::new(),
            yaml: OnceLock::new(),
        }
    }
}

/// A schema and how its errors are reported.
pub struct Target {
    /// The schema text (embedded).
    pub text: &'static str,
    /// The kind of rule the schema describes.
    pub kind: RuleKind,
    /// How the whole document is called in messages ("the rule", "the Sigma rule").
    pub document: &'static str,
    /// The top-level keys, for "did you mean" hints.
    pub top_keys: &'static [&'static str],
    /// Errors left to a dedicated lint rule that explains them better.
    pub skip: fn(pointer: &str, kind: &ValidationErrorKind) -> bool,
    cell: &'static Compiled,
}

impl Target {
    pub fn validator(&self) -> &Validator {
        self.cell.validator.get_or_init(|| compile(self.schema()))
    }
    /// The same schema, validating a YAML tree in place.
    pub fn yaml_validator(&self) -> &Validator<YamlJson> {
        self.cell.yaml.get_or_init(|| compile(self.schema()))
    }
    pub fn schema(&self) -> &serde_json::Value {
        self.cell
            .schema
            .get_or_init(|| serde_json::from_str(self.text).expect("embedded schema is JSON"))
    }
}

static NATIVE_CELL: Compiled = Compiled::new();
static SIGMA_RULE_CELL: Compiled = Compiled::new();
static SIGMA_CORRELATION_CELL: Compiled = Compiled::new();
static SIGMA_FILTER_CELL: Compiled = Compiled::new();

/// Native indicator rules (`schemas/rule.schema.json`), reported as RF010.
pub static NATIVE_RULE: Target = Target {
    text: RULE_SCHEMA,
    kind: RuleKind::Native,
    document: "the rule",
    top_keys: TOP_KEYS,
    // `/id` patterns are RF101's.
    skip: |pointer, kind| pointer == "/id" && matches!(kind, ValidationErrorKind::Pattern { .. }),
    cell: &NATIVE_CELL,
};

/// Errors the Sigma lint rules report with a better message: the id's UUID form (RF650),
/// duplicate tags and references (RF675, RF680).
fn sigma_skip(pointer: &str, kind: &ValidationErrorKind) -> bool {
    (pointer == "/id" && matches!(kind, ValidationErrorKind::Format { .. }))
        || matches!(kind, ValidationErrorKind::UniqueItems)
}

/// Sigma detection rules (official schema), reported as RF600.
pub static SIGMA_RULE: Target = Target {
    text: SIGMA_RULE_SCHEMA,
    kind: RuleKind::Sigma,
    document: "the Sigma rule",
    top_keys: &crate::sigma::DETECTION_KEYS,
    skip: sigma_skip,
    cell: &SIGMA_RULE_CELL,
};

/// Sigma correlation rules (official schema), reported as RF600.
pub static SIGMA_CORRELATION: Target = Target {
    text: SIGMA_CORRELATION_SCHEMA,
    kind: RuleKind::Sigma,
    document: "the Sigma correlation rule",
    top_keys: &[
        "title",
        "id",
        "name",
        "status",
        "description",
        "author",
        "references",
        "date",
        "modified",
        "taxonomy",
        "correlation",
        "falsepositives",
        "level",
        "generate",
        "tags",
    ],
    skip: sigma_skip,
    cell: &SIGMA_CORRELATION_CELL,
};

/// Sigma filters (official schema), reported as RF600.
pub static SIGMA_FILTER: Target = Target {
    text: SIGMA_FILTER_SCHEMA,
    kind: RuleKind::Sigma,
    document: "the Sigma filter",
    top_keys: &[
        "title",
        "id",
        "name",
        "description",
        "date",
        "modified",
        "taxonomy",
        "logsource",
        "filter",
    ],
    skip: sigma_skip,
    cell: &SIGMA_FILTER_CELL,
};

/// The schema of a Sigma document type.
pub fn for_sigma(doc_type: DocType) -> &'static Target {
    match doc_type {
        DocType::Rule => &SIGMA_RULE,
        DocType::Correlation => &SIGMA_CORRELATION,
        DocType::Filter => &SIGMA_FILTER,
    }
}

/// A place where a document does not match its schema, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub span: Span,
    pub message: String,
}

pub fn rule_validator() -> &'static Validator {
    NATIVE_RULE.validator()
}

/// Validates a rule document; violations point at the offending nodes. Errors on `/id`
/// patterns are left to RF101, which explains them better.
pub fn validate_rule(root: &Node) -> Vec<Violation> {
    validate(&NATIVE_RULE, root)
}

/// Validates a document against `target`; violations point at the offending nodes, in the
/// order of the file.
pub fn validate(target: &'static Target, root: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    // Most documents are valid: the boolean check on the tree as it is costs far less than
    // converting it to JSON and collecting errors, which only invalid documents pay for.
    if target.yaml_validator().is_valid(root) {
        return out;
    }
    let instance = root.to_json();
    for err in target.validator().iter_errors(&instance) {
        let pointer = err.instance_path().as_str().to_string();
        if (target.skip)(&pointer, err.kind()) {
            continue;
        }
        let schema_path = err.schema_path().as_str().to_string();
        let (span, message) = describe(target, root, &pointer, &schema_path, err.kind(), &instance);
        out.push(Violation { span, message });
    }
    out.sort_by_key(|v| v.span.start);
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
    target: &Target,
    root: &Node,
    pointer: &str,
    schema_path: &str,
    kind: &ValidationErrorKind,
    instance: &serde_json::Value,
) -> (Span, String) {
    let (key, node) = root.pointer(pointer).unwrap_or((None, root));
    let field = if pointer.is_empty() {
        target.document.to_string()
    } else {
        field_name(pointer)
    };
    let found = || node.kind_name();
    let value = instance.pointer(pointer);
    use ValidationErrorKind as K;
    match kind {
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            let first = unexpected.first().cloned().unwrap_or_default();
            let span = node.entry(&first).map(|e| e.key.span).unwrap_or(node.span);
            let what = if pointer.is_empty() {
                target.document.trim_start_matches("the ").to_string()
            } else if pointer.matches('/').count() == 2 && pointer.starts_with("/indicators/") {
                "indicator group".to_string()
            } else {
                field.clone()
            };
            let hint = known_keys(target, pointer, &first);
            (span, format!("unknown key `{first}` in {what}{hint}"))
        }
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let span = key.map(|k| k.span).unwrap_or_else(|| first_line(root));
            let owner = if pointer.is_empty() {
                target.document.to_string()
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
        K::OneOfNotValid { .. } | K::AnyOf { .. } => {
            let alternatives = target
                .schema()
                .pointer(schema_path)
                .and_then(serde_json::Value::as_array);
            let consts: Vec<String> = alternatives
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.get("const").and_then(|c| c.as_str()))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let types: Vec<String> = alternatives
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.get("type").and_then(|c| c.as_str()))
                        .map(article)
                        .collect()
                })
                .unwrap_or_default();
            let msg = if !consts.is_empty() {
                format!(
                    "{field} must be one of {}, found {}",
                    consts.join(", "),
                    show(value)
                )
            } else if !types.is_empty() {
                let mut types = types;
                types.dedup();
                format!("{field} must be {}, found {}", types.join(" or "), found())
            } else {
                format!(
                    "{field} must be a string or a list of strings, found {}",
                    found()
                )
            };
            (node.span, msg)
        }
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

const TOP_KEYS: &[&str] = &crate::rule::KEYS;

/// A "did you mean" hint for a misspelt key.
fn known_keys(target: &Target, pointer: &str, bad: &str) -> String {
    let candidates: Vec<&str> = if pointer.is_empty() {
        target.top_keys.to_vec()
    } else if pointer == "/logsource" && target.kind == RuleKind::Sigma {
        vec!["category", "product", "service", "definition"]
    } else if pointer.starts_with("/indicators/") && target.kind == RuleKind::Native {
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
        None if pointer.starts_with("/indicators/") && target.kind == RuleKind::Native => {
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
