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

mod native;

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
    /// A typed check of the schema, if one is written: true exactly when the validator
    /// accepts the document (a test holds the two equal), so valid documents skip the
    /// validator's walk.
    pub is_valid: Option<fn(&Node) -> bool>,
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
    is_valid: Some(native::is_valid),
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
    is_valid: None,
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
    is_valid: None,
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
    is_valid: None,
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
    // Most documents are valid: a boolean check on the tree as it is (the typed check where
    // one is written, else the validator's) costs far less than converting it to JSON and
    // collecting errors, which only invalid documents pay for.
    let valid = match target.is_valid {
        Some(check) => check(root),
        None => target.yaml_validator().is_valid(root),
    };
    if valid {
        return Vec::new();
    }
    errors(target, root)
}

/// The validator's errors on `root`, in the order of the file.
fn errors(target: &'static Target, root: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use std::path::Path;

    /// What `validate` answered before the typed check: the validator's boolean walk, then
    /// its errors.
    fn by_validator(root: &Node) -> Vec<Violation> {
        if NATIVE_RULE.yaml_validator().is_valid(root) {
            Vec::new()
        } else {
            errors(&NATIVE_RULE, root)
        }
    }

    /// The typed check and the validator agree on `root`, and so do the reports.
    fn assert_same(name: &str, root: &Node) -> bool {
        let valid = NATIVE_RULE.yaml_validator().is_valid(root);
        assert_eq!(native::is_valid(root), valid, "validity of {name}");
        assert_eq!(
            validate_rule(root),
            by_validator(root),
            "violations of {name}"
        );
        valid
    }

    fn parse(name: &str, text: &str) -> Option<Node> {
        crate::yaml::parse(&SourceFile::new(name, text)).ok()
    }

    fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(path);
            }
        }
    }

    #[test]
    fn typed_check_equals_the_validator_on_the_repository_rules_vectors_and_fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["rules", "tests/vectors", "tests/fixtures"] {
            yaml_files(&root.join(dir), &mut files);
        }
        let (mut valid, mut invalid) = (0, 0);
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let name = path.display().to_string();
            let Some(node) = parse(&name, &text) else {
                continue;
            };
            if assert_same(&name, &node) {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        // Both answers are exercised: the repository's rules are valid, many fixtures not.
        assert!(valid >= 100, "{valid} valid documents");
        assert!(invalid >= 20, "{invalid} invalid documents");
    }

    /// A rule with every key of the schema.
    const FULL: &str = "\
id: df3decea-a442-451d-8235-35b9cec46253
title: A rule with every key
status: test
severity: medium
confidence: medium
tlp: amber+strict
author: someone
created: 2024-02-29
modified: 2024-03-01
expires: 2030-12-31
description: Everything the schema allows.
references:
  - https://example.org/report
tags:
  - attack.t1505.003
  - cve.2021-34473
  - tlp.amber+strict
related:
  - id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0
    type: derived
falsepositives:
  - admins
indicators:
  g_1:
    md5: [d41d8cd98f00b204e9800998ecf8427e]
    sha1: [da39a3ee5e6b4b0d3255bfef95601890afd80709]
    sha256: [e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855]
    file_name: ['*.aspx']
    file_path: ['C:\\x\\*']
    process_name: [w3wp.exe]
    command_line: ['* -enc *']
    registry_path: ['HKLM\\x']
    user_agent: [curl/*]
    url_path: [/owa/*]
    url: ['https://example.org/a']
    domain: [example.org]
    ip: [192.0.2.1]
    email: [a@example.org]
  other:
    ip: [198.51.100.0/24]
condition: g_1 or other
tests:
  - name: hit
    expect: match
    event:
      process.name: w3wp.exe
      _x.y_1.z: [a, b]
  - name: miss
    expect: no_match
    event:
      ip: '192.0.2.2'
";

    /// `FULL` with `from` replaced by `to` (once, where it first occurs).
    fn edit(from: &str, to: &str) -> String {
        assert!(FULL.contains(from), "{from:?} is in the rule");
        FULL.replacen(from, to, 1)
    }

    #[test]
    fn typed_check_equals_the_validator_on_rules_breaking_each_keyword() {
        let long = |n: usize, c: char| std::iter::repeat_n(c, n).collect::<String>();
        // (what is broken or kept, the document, whether the schema accepts it)
        let cases: Vec<(&str, String, bool)> = vec![
            ("every key", FULL.to_string(), true),
            ("root type", "- a\n- b\n".into(), false),
            ("root scalar", "just text\n".into(), false),
            ("root additionalProperties", edit("status: test\n", "status: test\nstatuss: x\n"), false),
            ("root complex key", edit("status: test\n", "status: test\n? [id]\n: 1\n"), false),
            ("required id", edit("id: df3decea-a442-451d-8235-35b9cec46253\n", ""), false),
            ("required title", edit("title: A rule with every key\n", ""), false),
            ("required status", edit("status: test\n", ""), false),
            ("required severity", edit("severity: medium\n", ""), false),
            ("required author", edit("author: someone\n", ""), false),
            ("required created", edit("created: 2024-02-29\n", ""), false),
            ("required modified", edit("modified: 2024-03-01\n", ""), false),
            ("required description", edit("description: Everything the schema allows.\n", ""), false),
            ("required indicators", FULL.split("indicators:").next().unwrap().to_string() + "condition: x\n", false),
            ("optional keys absent", "id: df3decea-a442-451d-8235-35b9cec46253\ntitle: t\nstatus: stable\nseverity: info\nauthor: a\ncreated: 2024-01-01\nmodified: 2024-01-01\ndescription: d\nindicators:\n  g:\n    ip: [192.0.2.1]\n".into(), true),
            ("id pattern (upper case)", edit("id: df3decea", "id: DF3DECEA"), false),
            ("id pattern (short)", edit("id: df3decea-a442-451d-8235-35b9cec46253", "id: df3decea-a442-451d-8235-35b9cec4625"), false),
            ("id pattern (hyphen moved)", edit("id: df3decea-a442", "id: df3dece-aa442"), false),
            ("id type", edit("id: df3decea-a442-451d-8235-35b9cec46253", "id: 12"), false),
            ("id quoted", edit("id: df3decea-a442-451d-8235-35b9cec46253", "id: 'df3decea-a442-451d-8235-35b9cec46253'"), true),
            ("title minLength", edit("title: A rule with every key", "title: ''"), false),
            ("title maxLength 200", edit("title: A rule with every key", &format!("title: {}", long(200, 'é'))), true),
            ("title maxLength 201", edit("title: A rule with every key", &format!("title: {}", long(201, 'a'))), false),
            ("title maxLength 201 wide", edit("title: A rule with every key", &format!("title: {}", long(201, 'é'))), false),
            ("title type number", edit("title: A rule with every key", "title: 1.5"), false),
            ("title type bool", edit("title: A rule with every key", "title: true"), false),
            ("title type null", edit("title: A rule with every key", "title: ~"), false),
            ("title non-finite float is its text", edit("title: A rule with every key", "title: .inf"), true),
            ("title tagged string", edit("title: A rule with every key", "title: !!str 12"), true),
            ("title list", edit("title: A rule with every key", "title: [a]"), false),
            ("status enum", edit("status: test", "status: testing"), false),
            ("status type", edit("status: test", "status: 1"), false),
            ("severity enum", edit("severity: medium", "severity: Medium"), false),
            ("confidence enum", edit("confidence: medium", "confidence: critical"), false),
            ("tlp enum", edit("tlp: amber+strict", "tlp: white"), false),
            ("author minLength", edit("author: someone", "author: \"\""), false),
            ("author type", edit("author: someone", "author: {a: b}"), false),
            ("created pattern", edit("created: 2024-02-29", "created: 2024-2-29"), false),
            ("created format (not a leap year)", edit("created: 2024-02-29", "created: 2023-02-29"), false),
            ("created format (1900 not leap)", edit("created: 2024-02-29", "created: 1900-02-29"), false),
            ("created format (2000 leap)", edit("created: 2024-02-29", "created: 2000-02-29"), true),
            ("created format (month 13)", edit("created: 2024-02-29", "created: 2024-13-01"), false),
            ("created format (month 00)", edit("created: 2024-02-29", "created: 2024-00-01"), false),
            ("created format (day 00)", edit("created: 2024-02-29", "created: 2024-01-00"), false),
            ("created format (April 31)", edit("created: 2024-02-29", "created: 2024-04-31"), false),
            ("created format (December 31)", edit("created: 2024-02-29", "created: 2024-12-31"), true),
            ("created type", edit("created: 2024-02-29", "created: 20240229"), false),
            ("created trailing text", edit("created: 2024-02-29", "created: 2024-02-29x"), false),
            ("created full-width digit", edit("created: 2024-02-29", "created: 2024-02-2９"), false),
            ("modified format", edit("modified: 2024-03-01", "modified: 2024-03-32"), false),
            ("expires pattern", edit("expires: 2030-12-31", "expires: 2030/12/31"), false),
            ("description minLength", edit("description: Everything the schema allows.", "description: ''"), false),
            ("references type", edit("references:\n  - https://example.org/report", "references: https://example.org/report"), false),
            ("references items minLength", edit("  - https://example.org/report", "  - ''"), false),
            ("references items type", edit("  - https://example.org/report", "  - 3"), false),
            ("references empty list", edit("references:\n  - https://example.org/report", "references: []"), true),
            ("tags items pattern (upper case)", edit("  - attack.t1505.003", "  - Attack.t1505.003"), false),
            ("tags items pattern (leading dot)", edit("  - attack.t1505.003", "  - .attack"), false),
            ("tags items pattern (space)", edit("  - attack.t1505.003", "  - attack t1505"), false),
            ("tags items pattern (digit first, symbols)", edit("  - attack.t1505.003", "  - 1a._+-"), true),
            ("tags items type", edit("  - attack.t1505.003", "  - 12"), false),
            ("tags type", edit("tags:\n  - attack.t1505.003\n  - cve.2021-34473\n  - tlp.amber+strict", "tags: {a: b}"), false),
            ("related items type", edit("  - id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\n    type: derived", "  - derived"), false),
            ("related items required type", edit("\n    type: derived", ""), false),
            ("related items required id", edit("  - id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\n    type: derived", "  - type: derived"), false),
            ("related items additionalProperties", edit("    type: derived", "    type: derived\n    note: x"), false),
            ("related items id pattern", edit("  - id: 0b1c2d3e", "  - id: 0B1C2D3E"), false),
            ("related items type enum", edit("    type: derived", "    type: derives"), false),
            ("related type", edit("related:\n  - id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\n    type: derived", "related: x"), false),
            ("falsepositives items minLength", edit("  - admins", "  - ''"), false),
            ("indicators type", edit("indicators:\n  g_1:", "indicators: x\nunused:\n  g_1:"), false),
            ("indicators minProperties", FULL.split("indicators:").next().unwrap().to_string() + "indicators: {}\n", false),
            ("indicators propertyNames (upper case)", edit("  g_1:", "  G_1:"), false),
            ("indicators propertyNames (digit first)", edit("  g_1:", "  1g:"), false),
            ("indicators propertyNames (hyphen)", edit("  g_1:", "  g-1:"), false),
            ("indicators propertyNames (complex)", edit("  other:", "  ? [other]\n  :"), false),
            ("group type", edit("  other:\n    ip: [198.51.100.0/24]", "  other: [198.51.100.0/24]"), false),
            ("group minProperties", edit("  other:\n    ip: [198.51.100.0/24]", "  other: {}"), false),
            ("group additionalProperties", edit("    ip: [198.51.100.0/24]", "    ipv4: [198.51.100.0/24]"), false),
            ("values type", edit("    ip: [198.51.100.0/24]", "    ip: 198.51.100.0/24"), false),
            ("values minItems", edit("    ip: [198.51.100.0/24]", "    ip: []"), false),
            ("values items minLength", edit("    ip: [198.51.100.0/24]", "    ip: ['']"), false),
            ("values items type", edit("    ip: [198.51.100.0/24]", "    ip: [12]"), false),
            ("values items null", edit("    ip: [198.51.100.0/24]", "    ip: [~]"), false),
            ("condition minLength", edit("condition: g_1 or other", "condition: ''"), false),
            ("condition type", edit("condition: g_1 or other", "condition: [g_1]"), false),
            ("tests type", edit("tests:\n  - name: hit", "tests: {}\nx:\n  - name: hit"), false),
            ("test type", edit("  - name: miss\n    expect: no_match\n    event:\n      ip: '192.0.2.2'", "  - miss"), false),
            ("test required name", edit("  - name: miss\n    expect: no_match", "  - expect: no_match"), false),
            ("test required expect", edit("    expect: no_match\n", ""), false),
            ("test required event", edit("    event:\n      ip: '192.0.2.2'\n", ""), false),
            ("test additionalProperties", edit("    expect: no_match", "    expect: no_match\n    note: x"), false),
            ("test name minLength", edit("  - name: miss", "  - name: ''"), false),
            ("test expect enum", edit("    expect: no_match", "    expect: nomatch"), false),
            ("event type", edit("    event:\n      ip: '192.0.2.2'", "    event: ip"), false),
            ("event minProperties", edit("    event:\n      ip: '192.0.2.2'", "    event: {}"), false),
            ("event propertyNames (upper case)", edit("      ip: '192.0.2.2'", "      IP: '192.0.2.2'"), false),
            ("event propertyNames (digit first)", edit("      ip: '192.0.2.2'", "      1ip: '192.0.2.2'"), false),
            ("event propertyNames (empty part)", edit("      ip: '192.0.2.2'", "      a..b: '192.0.2.2'"), false),
            ("event propertyNames (trailing dot)", edit("      ip: '192.0.2.2'", "      a.: '192.0.2.2'"), false),
            ("event propertyNames (digit part)", edit("      ip: '192.0.2.2'", "      a.1: '192.0.2.2'"), true),
            ("event value oneOf (number)", edit("      ip: '192.0.2.2'", "      ip: 3"), false),
            ("event value oneOf (mapping)", edit("      ip: '192.0.2.2'", "      ip: {a: b}"), false),
            ("event value items type", edit("      _x.y_1.z: [a, b]", "      _x.y_1.z: [a, 1]"), false),
            ("event value empty list", edit("      _x.y_1.z: [a, b]", "      _x.y_1.z: []"), true),
            ("event value empty string", edit("      ip: '192.0.2.2'", "      ip: ''"), true),
            ("two errors", edit("status: test", "status: x\nseverity2: y"), false),
        ];
        for (what, text, expected) in &cases {
            let root = parse(what, text).unwrap_or_else(|| panic!("{what} parses"));
            let valid = assert_same(what, &root);
            assert_eq!(valid, *expected, "the schema's answer for {what}");
        }
    }
}
