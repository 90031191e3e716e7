//! STIX 2.1: each `indicator` with `pattern_type: stix` becomes one rule.
//!
//! Input: a bundle, a TAXII 2.1 envelope (`{"objects": [...]}`) or a lone object. Several
//! versions of one indicator (same `id`) in the input: the latest `modified` wins.
//!
//! **What a rule can say.** One observation expression (`[ … ]`, or several joined by `OR`,
//! which match per event like groups under `1 of them`) whose comparisons are joined by `AND`
//! and `OR`, each comparing an object path we have an indicator type for:
//!
//! | object path | type |
//! |---|---|
//! | `file:hashes.MD5`, `file:hashes.'SHA-1'`, `file:hashes.'SHA-256'` | `md5`, `sha1`, `sha256` |
//! | `file:name` | `file_name` |
//! | `domain-name:value` | `domain` |
//! | `ipv4-addr:value`, `ipv6-addr:value` | `ip` |
//! | `url:value` | `url` |
//! | `email-addr:value` | `email` |
//! | `process:command_line` | `command_line` |
//! | `windows-registry-key:key` | `registry_path` |
//! | `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'` | `user_agent` |
//!
//! with `=`, `IN`, `LIKE` (`%` → `*`, `_` → `?`, or a `regex:` when a glob cannot say it),
//! `MATCHES` (→ `regex:`, when the Rust `regex` crate accepts the pattern) and `ISSUBSET`
//! (→ an `ip` network). Everything else refuses the whole indicator with a [`StixRefusal`]:
//! rather no rule than one that matches other events than the pattern does.
//!
//! Metadata: `name` → title, `description`, `created`/`modified` → dates, `valid_until` →
//! `expires`, `confidence` (0–100) → `low`/`medium`/`high`, `created_by_ref` → author (the
//! identity's name), `object_marking_refs` → `tlp`, `kill_chain_phases` (MITRE ATT&CK) →
//! `attack.<tactic>` tags, `external_references` → ATT&CK and CVE tags and `references`,
//! `indicates` relationships → `malware.`, `actor.`, `campaign.`, `tool.` and ATT&CK tags.

pub mod pattern;

use super::expr::{Expr, Term};
use super::{Draft, Format, ImportError, Item, Reason, Refused, SourceRef};
use crate::indicator::{IndicatorType, Syntax};
use pattern::{Comparison, Literal, ObjectPath, Observation, Operand, Operator, PathStep};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Why an indicator becomes no rule.
#[derive(Debug, Clone, PartialEq)]
pub enum StixRefusal {
    /// `pattern_type` is not `stix` (a Sigma, YARA, Snort… pattern).
    PatternType(String),
    /// The pattern does not parse.
    PatternSyntax(pattern::PatternError),
    /// Two observations joined by `AND` (`[A] AND [B]`): a rule matches one event at a time.
    SeveralObservations,
    /// `FOLLOWEDBY`: an order of events.
    FollowedBy,
    /// `WITHIN n SECONDS`: a time window.
    Within,
    /// `REPEATS n TIMES`: a count of events.
    Repeats,
    /// `START … STOP …`: a time range.
    StartStop,
    /// `NOT`, `!=` or `<>`: a rule cannot negate one comparison.
    Negation(String),
    /// `<`, `>`, `<=`, `>=`: no indicator type orders values.
    Ordering(String),
    /// `EXISTS`: a rule matches values, not the presence of a property.
    Exists(String),
    /// `ISSUPERSET`: a network containing the event's network.
    IsSuperset(String),
    /// An object path that no indicator type reads.
    UnsupportedPath(String),
    /// An operator the path's type cannot express (`LIKE` with wildcards on a hash, `MATCHES`
    /// on a domain, `ISSUBSET` on anything but an address).
    UnsupportedOperator { path: String, op: &'static str },
    /// A literal that is not a string (an integer, a binary, a timestamp…).
    Literal { path: String, kind: &'static str },
    /// A `MATCHES` expression the Rust `regex` crate does not accept (look-around,
    /// back-references).
    Regex { pattern: String, error: String },
    /// The indicator is revoked.
    Revoked,
    /// A required property is missing or has the wrong type.
    Malformed(String),
}

impl StixRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            StixRefusal::PatternType(_) => "pattern-type",
            StixRefusal::PatternSyntax(_) => "pattern-syntax",
            StixRefusal::SeveralObservations => "several-observations",
            StixRefusal::FollowedBy => "followedby",
            StixRefusal::Within => "within",
            StixRefusal::Repeats => "repeats",
            StixRefusal::StartStop => "start-stop",
            StixRefusal::Negation(_) => "negation",
            StixRefusal::Ordering(_) => "ordering",
            StixRefusal::Exists(_) => "exists",
            StixRefusal::IsSuperset(_) => "issuperset",
            StixRefusal::UnsupportedPath(_) => "unsupported-path",
            StixRefusal::UnsupportedOperator { .. } => "unsupported-operator",
            StixRefusal::Literal { .. } => "literal",
            StixRefusal::Regex { .. } => "regex",
            StixRefusal::Revoked => "revoked",
            StixRefusal::Malformed(_) => "malformed",
        }
    }

    pub fn sentence(&self) -> String {
        match self {
            StixRefusal::PatternType(t) => {
                format!("pattern_type `{t}` is not a STIX pattern: only `stix` patterns are imported")
            }
            StixRefusal::PatternSyntax(e) => format!("the pattern does not parse: {e}"),
            StixRefusal::SeveralObservations => {
                "several observations joined by AND ([A] AND [B]): a rule matches one event at a time".into()
            }
            StixRefusal::FollowedBy => {
                "FOLLOWEDBY needs an order of events: a rule matches one event at a time".into()
            }
            StixRefusal::Within => "WITHIN needs a time window: a rule has none".into(),
            StixRefusal::Repeats => "REPEATS needs a count of events: a rule has none".into(),
            StixRefusal::StartStop => "START/STOP needs a time range: a rule has none".into(),
            StixRefusal::Negation(p) => {
                format!("`{p}` is negated (NOT, != or <>): a rule cannot negate one comparison")
            }
            StixRefusal::Ordering(p) => {
                format!("`{p}` is compared with <, >, <= or >=: no indicator type orders values")
            }
            StixRefusal::Exists(p) => {
                format!("EXISTS {p}: a rule matches values, not the presence of a property")
            }
            StixRefusal::IsSuperset(p) => {
                format!("`{p}` ISSUPERSET: a rule cannot match networks containing a network")
            }
            StixRefusal::UnsupportedPath(p) => {
                format!("`{p}` is a property no indicator type reads")
            }
            StixRefusal::UnsupportedOperator { path, op } => {
                format!("`{path}` {op}: its indicator type cannot express this comparison")
            }
            StixRefusal::Literal { path, kind } => {
                format!("`{path}` is compared with {} {kind} literal: indicator values are strings", if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" })
            }
            StixRefusal::Regex { pattern, error } => format!(
                "MATCHES '{pattern}' is not a pattern the `regex:` form accepts: {error}"
            ),
            StixRefusal::Revoked => "the indicator is revoked".into(),
            StixRefusal::Malformed(what) => format!("not a valid indicator: {what}"),
        }
    }

    pub fn reason(&self) -> Reason {
        Reason {
            code: self.code(),
            message: self.sentence(),
        }
    }
}

/// The indicator type an object path is matched as.
pub fn path_type(path: &ObjectPath) -> Option<IndicatorType> {
    let keys: Option<Vec<&str>> = path
        .steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let keys = keys?;
    use IndicatorType::*;
    Some(match (path.object_type.as_str(), keys.as_slice()) {
        ("file", ["hashes", alg]) => match alg.to_ascii_uppercase().as_str() {
            "MD5" => Md5,
            "SHA-1" | "SHA1" => Sha1,
            "SHA-256" | "SHA256" => Sha256,
            _ => return None,
        },
        ("file", ["name"]) => FileName,
        ("domain-name", ["value"]) => Domain,
        ("ipv4-addr" | "ipv6-addr", ["value"]) => Ip,
        ("url", ["value"]) => Url,
        ("email-addr", ["value"]) => Email,
        ("process", ["command_line"]) => CommandLine,
        ("windows-registry-key", ["key"]) => RegistryPath,
        ("network-traffic", ["extensions", "http-request-ext", "request_header", h])
            if h.eq_ignore_ascii_case("user-agent") =>
        {
            UserAgent
        }
        _ => return None,
    })
}

/// The regular-expression text of a literal string.
fn escape(s: &str) -> String {
    regex::escape(s)
}

/// `regex:` form of a whole-value match, case-insensitive for the types whose globs are.
fn anchored_regex(ty: IndicatorType, body: &str) -> String {
    let flags = match ty.syntax() {
        Syntax::Glob {
            case_insensitive: true,
        } => "(?i)",
        _ => "",
    };
    format!("regex:{flags}^{body}$")
}

/// The value matching exactly the string `s` (`=`, `IN`).
fn equal_value(ty: IndicatorType, s: &str) -> String {
    match ty.syntax() {
        Syntax::Glob { .. } if s.contains(['*', '?']) => anchored_regex(ty, &escape(s)),
        Syntax::Url if s.contains('*') => anchored_regex(ty, &escape(s)),
        _ => s.to_string(),
    }
}

/// The value matching what `LIKE pattern` matches.
fn like_value(ty: IndicatorType, path: &str, pattern: &str) -> Result<String, StixRefusal> {
    let wild = pattern.contains(['%', '_']);
    let like_regex = || {
        let mut body = String::new();
        for c in pattern.chars() {
            match c {
                '%' => body.push_str(".*"),
                '_' => body.push('.'),
                c => body.push_str(&escape(&c.to_string())),
            }
        }
        anchored_regex(ty, &body)
    };
    let unsupported = || StixRefusal::UnsupportedOperator {
        path: path.to_string(),
        op: "LIKE",
    };
    match ty.syntax() {
        _ if !wild => Ok(equal_value(ty, pattern)),
        Syntax::Glob { .. } => Ok(if pattern.contains(['*', '?']) {
            like_regex()
        } else {
            pattern.replace('%', "*").replace('_', "?")
        }),
        Syntax::Url => Ok(if pattern.contains(['*', '_']) {
            like_regex()
        } else {
            pattern.replace('%', "*")
        }),
        Syntax::Domain => match pattern.strip_prefix("%.") {
            Some(rest) if !rest.contains(['%', '_']) => Ok(format!("*.{rest}")),
            _ => Err(unsupported()),
        },
        Syntax::Hash(_) | Syntax::Ip | Syntax::Email => Err(unsupported()),
    }
}

fn string_of(path: &str, lit: &Literal) -> Result<String, StixRefusal> {
    match lit {
        Literal::Str(s) => Ok(s.clone()),
        other => Err(StixRefusal::Literal {
            path: path.to_string(),
            kind: other.kind(),
        }),
    }
}

fn comparison(c: &Comparison) -> Result<Expr, StixRefusal> {
    match c {
        Comparison::And(a, b) => Ok(Expr::All(vec![comparison(a)?, comparison(b)?])),
        Comparison::Or(a, b) => Ok(Expr::Any(vec![comparison(a)?, comparison(b)?])),
        Comparison::Test(t) => {
            let path = t.path.to_string();
            match t.op {
                Operator::Exists => return Err(StixRefusal::Exists(path)),
                _ if t.negated => return Err(StixRefusal::Negation(path)),
                Operator::Neq => return Err(StixRefusal::Negation(path)),
                Operator::Gt | Operator::Lt | Operator::Ge | Operator::Le => {
                    return Err(StixRefusal::Ordering(path))
                }
                Operator::IsSuperset => return Err(StixRefusal::IsSuperset(path)),
                _ => {}
            }
            let ty =
                path_type(&t.path).ok_or_else(|| StixRefusal::UnsupportedPath(path.clone()))?;
            let values = match (&t.op, &t.value) {
                (Operator::In, Some(Operand::Set(items))) => items
                    .iter()
                    .map(|l| string_of(&path, l).map(|s| equal_value(ty, &s)))
                    .collect::<Result<Vec<_>, _>>()?,
                (_, Some(Operand::One(lit))) => {
                    let s = string_of(&path, lit)?;
                    vec![match t.op {
                        Operator::Eq => equal_value(ty, &s),
                        Operator::Like => like_value(ty, &path, &s)?,
                        Operator::Matches => {
                            if !ty.allows_regex() {
                                return Err(StixRefusal::UnsupportedOperator {
                                    path,
                                    op: "MATCHES",
                                });
                            }
                            if let Err(e) = regex::RegexBuilder::new(&s)
                                .size_limit(crate::indicator::REGEX_SIZE_LIMIT)
                                .build()
                            {
                                return Err(StixRefusal::Regex {
                                    pattern: s,
                                    error: e
                                        .to_string()
                                        .lines()
                                        .last()
                                        .unwrap_or("")
                                        .trim()
                                        .to_string(),
                                });
                            }
                            format!("regex:{s}")
                        }
                        Operator::IsSubset if ty == IndicatorType::Ip => s,
                        op => {
                            return Err(StixRefusal::UnsupportedOperator {
                                path,
                                op: op.as_str(),
                            })
                        }
                    }]
                }
                _ => {
                    return Err(StixRefusal::UnsupportedOperator {
                        path,
                        op: t.op.as_str(),
                    })
                }
            };
            Ok(Expr::Term(Term::new(ty, values)))
        }
    }
}

/// Maps a parsed pattern onto an indicator expression.
pub fn pattern_expr(obs: &Observation) -> Result<Expr, StixRefusal> {
    match obs {
        Observation::Simple(c) => comparison(c),
        Observation::Or(a, b) => Ok(Expr::Any(vec![pattern_expr(a)?, pattern_expr(b)?])),
        Observation::And(..) => Err(StixRefusal::SeveralObservations),
        Observation::FollowedBy(..) => Err(StixRefusal::FollowedBy),
        Observation::Qualified(_, q) => Err(match q {
            pattern::Qualifier::Within(_) => StixRefusal::Within,
            pattern::Qualifier::Repeats(_) => StixRefusal::Repeats,
            pattern::Qualifier::StartStop(..) => StixRefusal::StartStop,
        }),
    }
}

/// Parses and maps a pattern.
pub fn map_pattern(text: &str) -> Result<Expr, StixRefusal> {
    let obs = pattern::parse(text).map_err(StixRefusal::PatternSyntax)?;
    pattern_expr(&obs)
}

const TLP_ORDER: [&str; 5] = ["clear", "green", "amber", "amber+strict", "red"];

/// The TLP level of a marking definition id that every STIX producer shares (TLP 1.0 from the
/// STIX 2.1 specification, TLP 2.0 from the OASIS TLP extension).
fn known_tlp(id: &str) -> Option<&'static str> {
    Some(match id.strip_prefix("marking-definition--")? {
        "613f2e26-407d-48c7-9eca-b8e91df99dc9" | "94868c89-83c2-464b-929b-a1a8aa3c8487" => "clear",
        "34098fce-860f-48ae-8e50-ebd3cc5e41da" | "bab4a63c-aed9-4cf5-a766-dfca5abac2bb" => "green",
        "f88d31f6-486f-44da-b317-01333bde0b82" | "55d920b0-5e8b-4f79-9ee9-91f868d9b421" => "amber",
        "939a9414-2ddd-4d32-a0cd-375ea402b003" => "amber+strict",
        "5e57c739-391a-4eb3-b6be-7d15ca92d5ed" | "e828b379-4e03-4974-9ac4-e53a884c97c1" => "red",
        _ => return None,
    })
}

fn tlp_level(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.strip_prefix("tlp:").unwrap_or(&n);
    match n {
        "white" | "clear" => Some("clear"),
        "green" => Some("green"),
        "amber" => Some("amber"),
        "amber+strict" => Some("amber+strict"),
        "red" => Some("red"),
        _ => None,
    }
}

/// What the other objects of the input say about indicators.
#[derive(Default)]
struct Context<'a> {
    identities: HashMap<&'a str, &'a str>,
    markings: HashMap<&'a str, &'static str>,
    by_id: HashMap<&'a str, &'a Value>,
    /// indicator id → target ids of its `indicates` relationships.
    indicates: HashMap<&'a str, Vec<&'a str>>,
}

fn str_of<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

impl<'a> Context<'a> {
    fn new(objects: &'a [Value]) -> Self {
        let mut cx = Context::default();
        for o in objects {
            let (Some(ty), Some(id)) = (str_of(o, "type"), str_of(o, "id")) else {
                continue;
            };
            cx.by_id.insert(id, o);
            match ty {
                "identity" => {
                    if let Some(name) = str_of(o, "name") {
                        cx.identities.insert(id, name);
                    }
                }
                "marking-definition" => {
                    let level = o
                        .pointer("/definition/tlp")
                        .and_then(Value::as_str)
                        .and_then(tlp_level)
                        .or_else(|| {
                            o.get("extensions")
                                .and_then(Value::as_object)
                                .and_then(|x| {
                                    x.values().find_map(|e| {
                                        e.get("tlp_2_0").and_then(Value::as_str).and_then(tlp_level)
                                    })
                                })
                        })
                        .or_else(|| str_of(o, "name").and_then(tlp_level));
                    if let Some(l) = level {
                        cx.markings.insert(id, l);
                    }
                }
                "relationship" if str_of(o, "relationship_type") == Some("indicates") => {
                    if let (Some(s), Some(t)) = (str_of(o, "source_ref"), str_of(o, "target_ref")) {
                        cx.indicates.entry(s).or_default().push(t);
                    }
                }
                _ => {}
            }
        }
        cx
    }
}

fn external_refs(o: &Value, tags: &mut Vec<String>, references: &mut Vec<String>) {
    for r in o
        .get("external_references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let source = str_of(r, "source_name").unwrap_or("").to_ascii_lowercase();
        if let Some(ext) = str_of(r, "external_id") {
            let tag = if source.starts_with("mitre") {
                super::attack_tag(ext)
            } else if source == "cve" {
                super::cve_tag(ext)
            } else {
                None
            };
            tags.extend(tag);
        }
        if let Some(url) = str_of(r, "url") {
            if url.starts_with("https://") || url.starts_with("http://") {
                references.push(url.to_string());
            }
        }
    }
}

/// One indicator object → a draft or a refusal.
fn indicator(file: &str, o: &Value, cx: &Context<'_>) -> Item {
    let id = str_of(o, "id").unwrap_or("").to_string();
    let source = SourceRef {
        format: Format::Stix,
        file: file.to_string(),
        id: id.clone(),
        name: str_of(o, "name").map(str::to_string),
    };
    let refuse = |r: StixRefusal| {
        Item::Refused(Refused {
            source: source.clone(),
            reason: r.reason(),
            dropped: Vec::new(),
        })
    };
    let Some(pattern) = str_of(o, "pattern") else {
        return refuse(StixRefusal::Malformed("no `pattern` string".into()));
    };
    if o.get("revoked").and_then(Value::as_bool) == Some(true) {
        return refuse(StixRefusal::Revoked);
    }
    let pattern_type = str_of(o, "pattern_type").unwrap_or("stix");
    if pattern_type != "stix" {
        return refuse(StixRefusal::PatternType(pattern_type.to_string()));
    }
    let expr = match map_pattern(pattern) {
        Ok(e) => e,
        Err(r) => return refuse(r),
    };
    let mut d = Draft::new(source, expr);
    d.title = str_of(o, "name").map(str::to_string);
    d.description = str_of(o, "description").map(str::to_string);
    d.created = str_of(o, "created").and_then(super::date_of);
    d.modified = str_of(o, "modified").and_then(super::date_of);
    d.expires = str_of(o, "valid_until").and_then(super::date_of);
    d.author = str_of(o, "created_by_ref")
        .and_then(|r| cx.identities.get(r))
        .map(|s| s.to_string());
    d.confidence = o
        .get("confidence")
        .and_then(Value::as_u64)
        .and_then(|c| match c {
            1..=29 => Some("low"),
            30..=69 => Some("medium"),
            70..=100 => Some("high"),
            _ => None,
        });
    d.tlp = o
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|m| known_tlp(m).or_else(|| cx.markings.get(m).copied()))
        .max_by_key(|l| TLP_ORDER.iter().position(|x| x == l));
    for k in o
        .get("kill_chain_phases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if str_of(k, "kill_chain_name").is_some_and(|n| n.starts_with("mitre-")) {
            if let Some(p) = str_of(k, "phase_name") {
                d.tags.push(format!("attack.{}", super::slug(p)));
            }
        }
    }
    external_refs(o, &mut d.tags, &mut d.references);
    for target in cx.indicates.get(id.as_str()).into_iter().flatten() {
        let Some(t) = cx.by_id.get(target) else {
            continue;
        };
        let name = str_of(t, "name").map(super::slug).filter(|s| !s.is_empty());
        match (str_of(t, "type"), name) {
            (Some("malware"), Some(n)) => d.tags.push(format!("malware.{n}")),
            (Some("intrusion-set" | "threat-actor"), Some(n)) => d.tags.push(format!("actor.{n}")),
            (Some("campaign"), Some(n)) => d.tags.push(format!("campaign.{n}")),
            (Some("tool"), Some(n)) => d.tags.push(format!("tool.{n}")),
            (Some("attack-pattern"), _) => {
                let mut refs = Vec::new();
                external_refs(t, &mut d.tags, &mut refs);
            }
            _ => {}
        }
    }
    Item::Draft(Box::new(d))
}

/// The objects of a bundle, a TAXII envelope, or a lone object.
fn objects(file: &str, doc: Value) -> Result<Vec<Value>, ImportError> {
    match doc {
        Value::Object(mut m) => {
            let is_bundle = m.get("type").and_then(Value::as_str) == Some("bundle");
            if is_bundle || (!m.contains_key("type") && m.contains_key("objects")) {
                match m.remove("objects") {
                    Some(Value::Array(v)) => Ok(v),
                    None if is_bundle => Ok(Vec::new()),
                    _ => Err(ImportError::shape(file, "`objects` is not a list")),
                }
            } else if m.get("type").and_then(Value::as_str).is_some() {
                Ok(vec![Value::Object(m)])
            } else {
                Err(ImportError::shape(
                    file,
                    "not a STIX bundle, TAXII envelope or STIX object (no `type`, no `objects`)",
                ))
            }
        }
        _ => Err(ImportError::shape(
            file,
            "not a STIX bundle, TAXII envelope or STIX object (the top level is not a JSON object)",
        )),
    }
}

/// Maps the objects of one input.
pub fn items(file: &str, doc: Value) -> Result<Vec<Item>, ImportError> {
    let objects = objects(file, doc)?;
    let cx = Context::new(&objects);
    // The latest version of each indicator, in the order indicators first appear.
    let mut order: Vec<&str> = Vec::new();
    let mut latest: HashMap<&str, &Value> = HashMap::new();
    let mut out = Vec::new();
    for o in &objects {
        if str_of(o, "type") != Some("indicator") {
            continue;
        }
        let Some(id) = str_of(o, "id") else {
            out.push(Item::Refused(Refused {
                source: SourceRef {
                    format: Format::Stix,
                    file: file.to_string(),
                    id: String::new(),
                    name: str_of(o, "name").map(str::to_string),
                },
                reason: StixRefusal::Malformed("no `id` string".into()).reason(),
                dropped: Vec::new(),
            }));
            continue;
        };
        match latest.get(id) {
            None => {
                order.push(id);
                latest.insert(id, o);
            }
            Some(prev) => {
                if str_of(o, "modified").unwrap_or("") > str_of(prev, "modified").unwrap_or("") {
                    latest.insert(id, o);
                }
            }
        }
    }
    out.extend(order.iter().map(|id| indicator(file, latest[id], &cx)));
    Ok(out)
}

/// Reads a STIX input file.
pub fn read(path: &Path) -> Result<Vec<Item>, ImportError> {
    let file = path.display().to_string();
    let text = super::read_input(path)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| ImportError::json(&file, &e))?;
    items(&file, doc)
}

#[cfg(test)]
mod tests;
