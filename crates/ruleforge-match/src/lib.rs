//! The reference matcher of ruleforge rules: what a rule matches, defined in code, for
//! scanners and for the `ruleforge` tool alike. It reads rules as [`RuleSpec`]s — from a
//! verified bundle's compiled rules ([`RuleSpec::from_compiled`], with the `ruleforge-bundle`
//! crate) or from the tool's parsed YAML rules — and needs no YAML, git or schema engine.
//! [`indicator`] holds the indicator types and their canonical forms, [`condition`] the
//! condition language.
//!
//! An *observable* (an event) is a flat map of Elastic Common Schema field names to one or
//! more string values. A rule matches an observable when its `condition` holds, where a group
//! holds when **every** indicator type of the group matches (AND) through at least one of the
//! ECS fields the type reads, and a type matches when **any** of its values matches (OR) any
//! value of those fields. Per-type semantics (`docs/matching.md` documents them with examples):
//!
//! | type | event value is | a rule value matches when |
//! |------|----------------|---------------------------|
//! | md5, sha1, sha256 | lower-cased (ASCII) | equal to the canonical (lower-case) digest |
//! | file_name, file_path, process_name, command_line, registry_path, url_path | lower-cased (Unicode) | the lower-cased glob matches the whole value |
//! | user_agent | as is | the glob matches the whole value (case-sensitive) |
//! | url | WHATWG-normalized when it parses | equal to the canonical URL, or the `*` glob matches (`?` is literal) |
//! | domain | trailing dot dropped, IDNA (lower-case punycode) | equal, or `*.base` and the value is a proper subdomain of `base` |
//! | ip | parsed (IPv4-mapped IPv6 read as IPv4) | the address lies in the network |
//! | email | local part lower-cased, domain as for `domain` | equal to the canonical address |
//!
//! `regex:` values (string types and `url`) are unanchored searches over the event value as
//! it is (for `url`: over the normalized URL), case-sensitive unless the pattern says `(?i)`.
//!
//! [`RuleMatcher`] is the reference: it evaluates value by value and explains its verdict.
//! [`CompiledSet`] is the fast form for many rules and many events; tests keep the two equal.

pub mod compiled;
pub mod condition;
pub mod event;
pub mod glob;
pub mod indicator;

pub use compiled::{CompiledSet, RuleRun, SetMatch};
pub use event::{EventError, EventValues, FieldTable, ParsedLines};

use condition::Expr;
use indicator::{Checked, IndicatorType, Syntax};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::Write;
use std::net::IpAddr;
use std::str::FromStr;

/// A rule reduced to what matching needs, whatever it was read from (a YAML rule file, a
/// bundle's compiled rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub groups: Vec<GroupSpec>,
    /// The condition text; `None` means `1 of them`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSpec {
    pub name: String,
    pub types: Vec<TypeSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeSpec {
    /// The indicator type's name (`sha256`); an unknown name never matches.
    #[serde(rename = "type")]
    pub key: String,
    /// Values as written (they are checked and canonicalized when the matcher is built).
    pub values: Vec<String>,
}

impl RuleSpec {
    /// The spec of a rule of a bundle's `rules.json` (its values are already canonical).
    pub fn from_compiled(rule: &ruleforge_bundle::CompiledRule) -> RuleSpec {
        RuleSpec {
            id: rule.id.clone(),
            title: rule.title.clone(),
            groups: rule
                .groups
                .iter()
                .map(|(name, types)| GroupSpec {
                    name: name.clone(),
                    types: types
                        .iter()
                        .map(|(key, values)| TypeSpec {
                            key: key.clone(),
                            values: values.clone(),
                        })
                        .collect(),
                })
                .collect(),
            condition: Some(rule.condition.clone()),
        }
    }

    /// The parsed condition (the default when absent).
    pub fn parsed_condition(&self) -> Result<Expr, condition::ParseError> {
        match &self.condition {
            Some(c) => condition::parse(c),
            None => Ok(Expr::default_condition()),
        }
    }
}

/// An event: ECS field names (flat, dotted) with one or more string values each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observable {
    fields: Vec<(String, Vec<String>)>,
}

impl Observable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to a field (a field may hold several values).
    pub fn push(&mut self, field: &str, value: impl Into<String>) {
        match self.fields.iter_mut().find(|(f, _)| f == field) {
            Some((_, vs)) => vs.push(value.into()),
            None => self.fields.push((field.to_string(), vec![value.into()])),
        }
    }

    /// The values of a field (empty when absent).
    pub fn get(&self, field: &str) -> &[String] {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.fields.iter().map(|(f, v)| (f.as_str(), v.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Reads a JSON object. Nested objects are flattened into dotted names
    /// (`{"file": {"hash": {"sha256": "…"}}}` is `file.hash.sha256`); arrays give several
    /// values; numbers and booleans are read as their JSON text; `null` is absent.
    pub fn from_json(value: &serde_json::Value) -> Result<Observable, NotAnObject> {
        let serde_json::Value::Object(map) = value else {
            return Err(NotAnObject {
                found: json_kind(value),
            });
        };
        let mut obs = Observable::new();
        for (k, v) in map {
            obs.flatten(k, v);
        }
        Ok(obs)
    }

    fn flatten(&mut self, name: &str, v: &serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Null => {}
            Value::String(s) => self.push(name, s.clone()),
            Value::Number(n) => self.push(name, n.to_string()),
            Value::Bool(b) => self.push(name, b.to_string()),
            Value::Array(items) => items.iter().for_each(|i| self.flatten(name, i)),
            Value::Object(map) => {
                for (k, v) in map {
                    self.flatten(&format!("{name}.{k}"), v);
                }
            }
        }
    }

    /// JSON form: a field with one value maps to a string, with several to an array.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (f, vs) in &self.fields {
            let v = if vs.len() == 1 {
                serde_json::Value::String(vs[0].clone())
            } else {
                vs.iter().cloned().collect()
            };
            map.insert(f.clone(), v);
        }
        serde_json::Value::Object(map)
    }
}

/// An event that is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event must be a JSON object, found {found}")]
pub struct NotAnObject {
    /// What it is instead (`an array`, `a string`...).
    pub found: &'static str,
}

impl From<&[(String, Vec<String>)]> for Observable {
    fn from(pairs: &[(String, Vec<String>)]) -> Self {
        let mut obs = Observable::new();
        for (f, vs) in pairs {
            for v in vs {
                obs.push(f, v.clone());
            }
        }
        obs
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The indicator type an ECS field is read by (every field belongs to exactly one type).
pub fn field_type(field: &str) -> Option<IndicatorType> {
    IndicatorType::ALL
        .into_iter()
        .find(|t| t.ecs_fields().contains(&field))
}

/// An event value in the form a type compares it in (see the module table). For `ip`, the
/// canonical text of the address, or the value as is when it is not an address.
pub fn normalize_event_value(ty: IndicatorType, value: &str) -> String {
    match ty.syntax() {
        Syntax::Hash(_) => value.to_ascii_lowercase(),
        Syntax::Glob {
            case_insensitive: true,
        } => value.to_lowercase(),
        Syntax::Glob {
            case_insensitive: false,
        } => value.to_string(),
        Syntax::Url => normalize_url(value),
        Syntax::Domain => normalize_domain(value),
        Syntax::Ip => event_ip(value).map_or_else(|| value.to_string(), |a| a.to_string()),
        Syntax::Email => normalize_email(value),
    }
}

/// [`normalize_event_value`] without copying values already in normal form (the common case
/// for hashes, lower-case paths and plain ASCII domains).
pub fn normalize_event_value_cow(ty: IndicatorType, value: &str) -> Cow<'_, str> {
    match ty.syntax() {
        Syntax::Hash(_) if !value.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(value),
        Syntax::Glob {
            case_insensitive: true,
        } if value.is_ascii() && !value.bytes().any(|b| b.is_ascii_uppercase()) => {
            Cow::Borrowed(value)
        }
        Syntax::Glob {
            case_insensitive: false,
        } => Cow::Borrowed(value),
        Syntax::Domain if plain_domain(value) => Cow::Borrowed(value),
        _ => Cow::Owned(normalize_event_value(ty, value)),
    }
}

/// Whether `value` is a domain that [`normalize_domain`] leaves as it is: lower-case ASCII
/// letters, digits, `-` and `.`, no trailing dot and no punycode (`xn--`) label. IDNA maps
/// these characters to themselves, and when it rejects the name the fallback (lower-casing)
/// changes nothing either.
fn plain_domain(value: &str) -> bool {
    !value.is_empty()
        && !value.ends_with('.')
        && value
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.'))
        && !value.contains("xn--")
}

/// An event URL in WHATWG serialization (lower-case scheme and host, default port dropped,
/// percent-encoding normalized); the value as is when it does not parse.
pub fn normalize_url(value: &str) -> String {
    url::Url::parse(value).map_or_else(|_| value.to_string(), |u| u.to_string())
}

/// An event domain: one trailing dot dropped, IDNA to lower-case punycode (lower-cased as is
/// when IDNA rejects it).
pub fn normalize_domain(value: &str) -> String {
    let v = value.strip_suffix('.').unwrap_or(value);
    match idna::domain_to_ascii(v) {
        Ok(a) if !a.is_empty() => a,
        _ => v.to_lowercase(),
    }
}

/// An event e-mail address: local part lower-cased, domain normalized as a domain.
pub fn normalize_email(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((local, domain)) => format!("{}@{}", local.to_lowercase(), normalize_domain(domain)),
        None => value.to_lowercase(),
    }
}

/// An event IP address; IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) read as IPv4.
pub fn event_ip(value: &str) -> Option<IpAddr> {
    IpAddr::from_str(value).ok().map(|a| a.to_canonical())
}

/// A URL glob with its scheme and authority lower-cased (they are case-insensitive and the
/// normalized event URL has them in lower case); the rest is kept as written.
pub fn url_pattern(pattern: &str) -> String {
    match pattern.find("://") {
        Some(i) => {
            let rest = &pattern[i + 3..];
            let end = i + 3 + rest.find('/').unwrap_or(rest.len());
            format!("{}{}", pattern[..end].to_lowercase(), &pattern[end..])
        }
        None => pattern.to_string(),
    }
}

/// How one rule value is compared.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Equal to the normalized event value.
    Exact(String),
    /// Glob over the normalized event value (`?` literal when `question_wild` is false).
    Glob {
        pattern: String,
        question_wild: bool,
    },
    /// `*.base`: the normalized event domain ends with `.base` and is longer.
    Subdomain(String),
    /// The event address lies in the network.
    Net(IpNet),
    /// Unanchored search (over the raw value; over the normalized URL for `url`).
    Regex(regex::Regex),
    /// Not a valid value: never matches.
    Invalid(String),
}

/// Compiles one rule value of type `ty`.
pub fn compile_value(ty: IndicatorType, raw: &str) -> Pattern {
    // `regex:` values are compiled once here (the same rules as `indicator::check`).
    if let Some(p) = raw.strip_prefix(indicator::REGEX_PREFIX) {
        if !ty.allows_regex() {
            return Pattern::Invalid(format!(
                "`{}` values cannot use the `regex:` form",
                ty.name()
            ));
        }
        if p.is_empty() {
            return Pattern::Invalid("empty regular expression".into());
        }
        return match regex::RegexBuilder::new(p)
            .size_limit(indicator::REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => Pattern::Regex(re),
            Err(e) => Pattern::Invalid(e.to_string()),
        };
    }
    match indicator::check(ty, raw) {
        Checked::Invalid(msg) => Pattern::Invalid(msg),
        Checked::Regex { pattern } => match regex::RegexBuilder::new(&pattern)
            .size_limit(indicator::REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => Pattern::Regex(re),
            Err(e) => Pattern::Invalid(e.to_string()),
        },
        Checked::Valid { canonical } => of_canonical(ty, canonical),
    }
}

/// Compiles one value of a verified bundle, which holds every value in its canonical form
/// (the bundle compiler wrote it so, and the signature covers it): a value of that shape is
/// taken as written instead of being checked and canonicalized again (IDNA, URL parsing);
/// any other goes through [`compile_value`]. For a canonical value both give the same
/// pattern.
pub fn compile_canonical(ty: IndicatorType, raw: &str) -> Pattern {
    if canonical_shape(ty, raw) {
        of_canonical(ty, raw.to_string())
    } else {
        compile_value(ty, raw)
    }
}

/// Whether `raw` has the shape of a canonical value of `ty` (see [`compile_canonical`]).
fn canonical_shape(ty: IndicatorType, raw: &str) -> bool {
    let no_control = if raw.is_ascii() {
        !raw.bytes().any(|b| b.is_ascii_control())
    } else {
        !raw.chars().any(char::is_control)
    };
    let plain = !raw.is_empty() && !raw.starts_with(indicator::REGEX_PREFIX) && no_control;
    plain
        && match ty.syntax() {
            Syntax::Hash(len) => {
                raw.len() == len && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
            Syntax::Glob { .. } => raw.trim() == raw,
            Syntax::Ip => indicator::parse_net(raw).is_some(),
            Syntax::Domain => match raw.strip_prefix("*.") {
                Some(base) => canonical_domain_shape(base, true),
                None => canonical_domain_shape(raw, false),
            },
            // Lower-case scheme and host, as the WHATWG serialization writes them.
            Syntax::Url => {
                raw.is_ascii()
                    && raw.split_once("://").is_some_and(|(_, rest)| {
                        let authority = rest.split('/').next().unwrap_or(rest);
                        !raw[..raw.len() - rest.len()]
                            .bytes()
                            .chain(authority.bytes())
                            .any(|b| b.is_ascii_uppercase())
                    })
            }
            Syntax::Email => false,
        }
}

/// Whether `d` is a domain (`*.` taken off when `wild`) that [`indicator::check`] accepts
/// as its own canonical form without IDNA changing it: lower-case LDH labels of 1 to 63
/// characters, none starting or ending with `-` or with `--` in third and fourth place (so
/// no punycode), at most 253 characters, two labels or more (one after a wildcard), a
/// top-level label that is not all digits.
pub(crate) fn canonical_domain_shape(d: &str, wild: bool) -> bool {
    let mut labels = 0;
    let mut last_numeric = false;
    let ok = d.len() <= 253
        && d.split('.').all(|l| {
            labels += 1;
            last_numeric = l.bytes().all(|b| b.is_ascii_digit());
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.get(2..4) != Some("--")
        });
    ok && (labels >= 2 || wild) && !last_numeric
}

/// The pattern of a valid value in its canonical form.
fn of_canonical(ty: IndicatorType, canonical: String) -> Pattern {
    match ty.syntax() {
        Syntax::Hash(_) | Syntax::Email => Pattern::Exact(canonical),
        Syntax::Glob { case_insensitive } => {
            let p = if case_insensitive {
                canonical.to_lowercase()
            } else {
                canonical
            };
            if glob::has_wildcards(&p, true) {
                Pattern::Glob {
                    pattern: p,
                    question_wild: true,
                }
            } else {
                Pattern::Exact(p)
            }
        }
        Syntax::Url => {
            if glob::has_wildcards(&canonical, false) {
                Pattern::Glob {
                    pattern: url_pattern(&canonical),
                    question_wild: false,
                }
            } else {
                Pattern::Exact(canonical)
            }
        }
        Syntax::Domain => match canonical.strip_prefix("*.") {
            Some(base) => Pattern::Subdomain(base.to_string()),
            None => Pattern::Exact(canonical),
        },
        Syntax::Ip => match indicator::parse_net(&canonical) {
            Some(net) => Pattern::Net(net),
            None => Pattern::Invalid("not an address or network".into()),
        },
    }
}

/// One event value prepared for a type: as written, normalized, and as an address.
pub struct Prepared<'a> {
    pub raw: &'a str,
    pub text: String,
    pub ip: Option<IpAddr>,
}

impl<'a> Prepared<'a> {
    pub fn new(ty: IndicatorType, raw: &'a str) -> Self {
        match ty.syntax() {
            Syntax::Ip => Prepared {
                raw,
                text: String::new(),
                ip: event_ip(raw),
            },
            _ => Prepared {
                raw,
                text: normalize_event_value(ty, raw),
                ip: None,
            },
        }
    }
}

impl Pattern {
    /// Whether the pattern matches a prepared event value of type `ty`.
    pub fn is_match(&self, ty: IndicatorType, v: &Prepared<'_>) -> bool {
        match self {
            Pattern::Exact(s) => v.text == *s,
            Pattern::Glob {
                pattern,
                question_wild,
            } => glob::matches(pattern, &v.text, *question_wild),
            Pattern::Subdomain(base) => {
                v.text.len() > base.len() + 1
                    && v.text.ends_with(base.as_str())
                    && v.text.as_bytes()[v.text.len() - base.len() - 1] == b'.'
            }
            Pattern::Net(net) => v.ip.is_some_and(|a| net.contains(&a)),
            Pattern::Regex(re) => {
                if ty == IndicatorType::Url {
                    re.is_match(&v.text)
                } else {
                    re.is_match(v.raw)
                }
            }
            Pattern::Invalid(_) => false,
        }
    }
}

struct ValueM {
    raw: String,
    pattern: Pattern,
}

struct TypeM {
    key: String,
    ty: Option<IndicatorType>,
    values: Vec<ValueM>,
}

struct GroupM {
    name: String,
    types: Vec<TypeM>,
}

/// The reference matcher for one rule.
pub struct RuleMatcher {
    pub id: String,
    pub title: String,
    condition: Expr,
    groups: Vec<GroupM>,
}

/// Why a verdict was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub matched: bool,
    /// The condition evaluated (canonical spelling).
    pub condition: String,
    pub groups: Vec<GroupExplanation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupExplanation {
    pub name: String,
    pub matched: bool,
    pub types: Vec<TypeExplanation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeExplanation {
    #[serde(rename = "type")]
    pub key: String,
    pub matched: bool,
    /// The ECS fields this type reads.
    pub fields: Vec<String>,
    /// Every (event value, rule value) pair that matched.
    pub hits: Vec<Hit>,
    /// Why the type cannot match (unknown type, invalid values), if it cannot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub field: String,
    pub event_value: String,
    pub rule_value: String,
}

impl RuleMatcher {
    /// Builds the matcher; fails only when the condition does not parse.
    pub fn new(spec: &RuleSpec) -> Result<RuleMatcher, condition::ParseError> {
        let condition = spec.parsed_condition()?;
        let groups = spec
            .groups
            .iter()
            .map(|g| GroupM {
                name: g.name.clone(),
                types: g
                    .types
                    .iter()
                    .map(|t| {
                        let ty = IndicatorType::from_name(&t.key);
                        TypeM {
                            key: t.key.clone(),
                            ty,
                            values: t
                                .values
                                .iter()
                                .map(|raw| ValueM {
                                    raw: raw.clone(),
                                    pattern: match ty {
                                        Some(ty) => compile_value(ty, raw),
                                        None => Pattern::Invalid("unknown indicator type".into()),
                                    },
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Ok(RuleMatcher {
            id: spec.id.clone(),
            title: spec.title.clone(),
            condition,
            groups,
        })
    }

    pub fn is_match(&self, obs: &Observable) -> bool {
        self.explain(obs).matched
    }

    /// Evaluates the rule on `obs` and says why.
    pub fn explain(&self, obs: &Observable) -> Explanation {
        let groups: Vec<GroupExplanation> = self
            .groups
            .iter()
            .map(|g| {
                let types: Vec<TypeExplanation> =
                    g.types.iter().map(|t| explain_type(t, obs)).collect();
                GroupExplanation {
                    name: g.name.clone(),
                    matched: !types.is_empty() && types.iter().all(|t| t.matched),
                    types,
                }
            })
            .collect();
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let matched = self
            .condition
            .eval(&names, &|n| groups.iter().any(|g| g.name == n && g.matched));
        Explanation {
            matched,
            condition: self.condition.to_string(),
            groups,
        }
    }
}

fn explain_type(t: &TypeM, obs: &Observable) -> TypeExplanation {
    let mut out = TypeExplanation {
        key: t.key.clone(),
        matched: false,
        fields: Vec::new(),
        hits: Vec::new(),
        notes: Vec::new(),
    };
    let Some(ty) = t.ty else {
        out.notes
            .push(format!("`{}` is not an indicator type", t.key));
        return out;
    };
    out.fields = ty.ecs_fields().iter().map(|f| f.to_string()).collect();
    for v in &t.values {
        if let Pattern::Invalid(msg) = &v.pattern {
            out.notes
                .push(format!("value `{}` never matches: {msg}", v.raw));
        }
    }
    for field in ty.ecs_fields() {
        for ev in obs.get(field) {
            let prepared = Prepared::new(ty, ev);
            for v in &t.values {
                if v.pattern.is_match(ty, &prepared) {
                    out.hits.push(Hit {
                        field: field.to_string(),
                        event_value: ev.clone(),
                        rule_value: v.raw.clone(),
                    });
                }
            }
        }
    }
    out.matched = !out.hits.is_empty();
    out
}

impl Explanation {
    pub fn matched_groups(&self) -> Vec<&str> {
        self.groups
            .iter()
            .filter(|g| g.matched)
            .map(|g| g.name.as_str())
            .collect()
    }

    /// A human-readable account, each line prefixed with `indent`.
    pub fn render_text(&self, obs: &Observable, indent: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{indent}condition `{}` is {}",
            self.condition,
            if self.matched { "true" } else { "false" }
        );
        for g in &self.groups {
            let _ = writeln!(
                s,
                "{indent}  group `{}`: {}",
                g.name,
                if g.matched { "matched" } else { "no match" }
            );
            for t in &g.types {
                if t.matched {
                    for h in &t.hits {
                        let _ = writeln!(
                            s,
                            "{indent}    {}: {} `{}` matches `{}`",
                            t.key, h.field, h.event_value, h.rule_value
                        );
                    }
                } else {
                    let present: Vec<String> = t
                        .fields
                        .iter()
                        .flat_map(|f| obs.get(f).iter().map(move |v| format!("{f} `{v}`")))
                        .collect();
                    let why = if !t.notes.is_empty() && t.fields.is_empty() {
                        t.notes.join("; ")
                    } else if present.is_empty() {
                        format!("the event has none of {}", t.fields.join(", "))
                    } else {
                        format!("no value matches {}", present.join(", "))
                    };
                    let _ = writeln!(s, "{indent}    {}: {why}", t.key);
                    if !t.fields.is_empty() {
                        for n in &t.notes {
                            let _ = writeln!(s, "{indent}      note: {n}");
                        }
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests;
