//! MISP: one event per rule, `misp/<rule id>.json` (the `{"Event": {…}}` form that MISP's
//! "Add event from JSON" and PyMISP's `MISPEvent.load` read).
//!
//! What it can express: literal values. An AND-term of the condition that is one group with
//! one type becomes attributes with `to_ids: true` (MISP's IDS exports match each attribute
//! alone, an OR, as the group's values are). A term that ANDs several types (or groups) becomes
//! MISP objects with `to_ids: false` on every attribute: the object records that the values
//! belong together, and an IDS export, which would split the AND into single values, does not
//! use them. One object per combination of values (at most [`MAX_OBJECTS_PER_TERM`]): a
//! `file` object for hashes, file names and paths; an `http-request` object for hosts, IPs,
//! user agents, URLs and URL paths, which MISP's template accepts only with a URL or a path.
//!
//! | ruleforge type | attribute (category) | object relation | faithful? |
//! |----------------|----------------------|-----------------|-----------|
//! | `domain` (exact) | `hostname` (Network activity) | `http-request` `host` | yes (`domain` would also match the parent domain in MISP) |
//! | `ip` | `ip-dst` (Network activity), CIDR kept | `http-request` `ip-dst` | yes for destinations; sources are not matched (narrower) |
//! | `md5`, `sha1`, `sha256` | same name (Payload delivery) | `file` `md5`/`sha1`/`sha256` | yes |
//! | `file_name`, `file_path` (exact) | `filename` (Payload delivery) | `file` `filename` / `fullpath` | yes |
//! | `url` (exact) | `url` (Network activity) | `http-request` `url` | yes |
//! | `url_path` (exact) | `uri` (Network activity) | `http-request` `uri` | yes |
//! | `user_agent` (exact) | `user-agent` (Network activity) | `http-request` `user-agent` | yes |
//! | `registry_path` (exact) | `regkey` (Persistence mechanism) | — | yes |
//! | `email` | `email` (Network activity) | — | yes |
//!
//! Not expressible: globs, `regex:` values and `*.` subdomains (`misp-pattern`; with
//! `--approximate`, `*.base` becomes the `domain` attribute `base`, which MISP also matches on
//! `base` itself, and the report lists it),
//! `command_line` and `process_name` (no attribute type compares them; `misp-type`), AND-terms
//! that no object template holds (`misp-and`).
//!
//! Ids and times: the event uuid is the rule id; every attribute and object uuid is a UUIDv5
//! in the rule id's namespace over what it holds, so the same rule gives the same uuids.
//! `date` is `created`, `timestamp` is midnight UTC of `modified`. Tags: `tlp:<level>`, an
//! ATT&CK galaxy tag `misp-galaxy:mitre-attack-pattern="<name> - <id>"` per technique tag, and
//! `ruleforge:tag="<tag>"` for every other tag. `threat_level_id` follows `severity`
//! (critical/high 1, medium 2, low 3, info 4), `analysis` follows `status` (experimental 0,
//! test 1, stable and deprecated 2). `distribution` is 0 (this organisation): who to share
//! with is decided in MISP.

use super::model::{ExportRule, Pattern};
use super::report::{Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The most objects one AND-term may become (the product of its value counts).
pub const MAX_OBJECTS_PER_TERM: usize = 64;

/// MISP object templates used (name, uuid, version), as in the MISP objects repository.
const FILE_TEMPLATE: (&str, &str, u32) = ("file", "688c46fb-5edb-40a3-8273-1af7923e2215", 25);
const HTTP_TEMPLATE: (&str, &str, u32) =
    ("http-request", "b4a8d163-8110-4239-bfcf-e08f3a9fdf7b", 4);

pub const PATTERN: Reason = Reason {
    code: "misp-pattern",
    sentence: "MISP attributes hold literal values: globs, regular expressions and `*.` subdomains cannot be expressed",
};
pub const TYPE: Reason = Reason {
    code: "misp-type",
    sentence: "no MISP attribute type compares this indicator type",
};
pub const AND_TERM: Reason = Reason {
    code: "misp-and",
    sentence: "a condition term ANDs types that no MISP object template holds together",
};
pub const TOO_MANY: Reason = Reason {
    code: "misp-too-many",
    sentence: "the condition term would need more objects than an export carries",
};

pub const REASONS: [Reason; 4] = [PATTERN, TYPE, AND_TERM, TOO_MANY];

/// (attribute type, category) of a literal value of `ty`.
fn attribute_type(ty: IndicatorType) -> Result<(&'static str, &'static str), Skip> {
    use IndicatorType::*;
    Ok(match ty {
        Domain => ("hostname", "Network activity"),
        Ip => ("ip-dst", "Network activity"),
        Md5 => ("md5", "Payload delivery"),
        Sha1 => ("sha1", "Payload delivery"),
        Sha256 => ("sha256", "Payload delivery"),
        FileName | FilePath => ("filename", "Payload delivery"),
        Url => ("url", "Network activity"),
        UrlPath => ("uri", "Network activity"),
        UserAgent => ("user-agent", "Network activity"),
        RegistryPath => ("regkey", "Persistence mechanism"),
        Email => ("email", "Network activity"),
        CommandLine | ProcessName => return Err(Skip::with(TYPE, format!("`{}`", ty.name()))),
    })
}

/// The literal value, or why there is none.
fn literal(ty: IndicatorType, p: &Pattern) -> Result<&str, Skip> {
    match p {
        Pattern::Exact(v) => Ok(v),
        _ => Err(Skip::with(
            PATTERN,
            format!("`{}` value `{}`", ty.name(), p.rule_text()),
        )),
    }
}

/// The object template and relation of `ty` (per template).
fn relation(ty: IndicatorType) -> Option<((&'static str, &'static str, u32), &'static str)> {
    use IndicatorType::*;
    Some(match ty {
        Md5 => (FILE_TEMPLATE, "md5"),
        Sha1 => (FILE_TEMPLATE, "sha1"),
        Sha256 => (FILE_TEMPLATE, "sha256"),
        FileName => (FILE_TEMPLATE, "filename"),
        FilePath => (FILE_TEMPLATE, "fullpath"),
        Domain => (HTTP_TEMPLATE, "host"),
        Ip => (HTTP_TEMPLATE, "ip-dst"),
        Url => (HTTP_TEMPLATE, "url"),
        UrlPath => (HTTP_TEMPLATE, "uri"),
        UserAgent => (HTTP_TEMPLATE, "user-agent"),
        _ => return None,
    })
}

// The event as MISP reads it. Field order is the output's key order.

#[derive(Serialize)]
struct EventFile<'a> {
    #[serde(rename = "Event")]
    event: Event<'a>,
}

#[derive(Serialize)]
struct Event<'a> {
    uuid: &'a str,
    info: String,
    date: &'a str,
    threat_level_id: &'static str,
    analysis: &'static str,
    distribution: &'static str,
    published: bool,
    timestamp: &'a str,
    #[serde(rename = "Orgc")]
    orgc: Org<'a>,
    #[serde(rename = "Tag")]
    tags: Vec<Tag>,
    #[serde(rename = "Attribute")]
    attributes: Vec<Attribute<'a>>,
    #[serde(rename = "Object")]
    objects: Vec<Object<'a>>,
}

#[derive(Serialize)]
struct Org<'a> {
    name: &'a str,
    uuid: &'a str,
}

#[derive(Serialize)]
struct Tag {
    name: String,
}

#[derive(Serialize)]
struct Attribute<'a> {
    uuid: String,
    #[serde(rename = "type")]
    ty: &'static str,
    category: &'static str,
    value: &'a str,
    to_ids: bool,
    distribution: &'static str,
    timestamp: &'a str,
    comment: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_relation: Option<&'static str>,
}

#[derive(Serialize)]
struct Object<'a> {
    uuid: String,
    name: &'static str,
    #[serde(rename = "meta-category")]
    meta_category: &'static str,
    template_uuid: &'static str,
    template_version: String,
    description: String,
    distribution: &'static str,
    timestamp: &'a str,
    comment: String,
    #[serde(rename = "Attribute")]
    attributes: Vec<Attribute<'a>>,
}

struct Builder<'a> {
    rule: &'a ExportRule,
    namespace: Uuid,
    timestamp: &'a str,
    /// `--approximate`: `*.base` may become a MISP `domain` attribute.
    approximate: bool,
    /// The approximations used.
    notes: std::cell::RefCell<Vec<String>>,
}

impl<'a> Builder<'a> {
    fn uuid(&self, name: &str) -> String {
        Uuid::new_v5(&self.namespace, name.as_bytes()).to_string()
    }

    fn attribute(
        &self,
        key: &str,
        ty: &'static str,
        category: &'static str,
        value: &'a str,
        to_ids: bool,
        object_relation: Option<&'static str>,
    ) -> Attribute<'a> {
        Attribute {
            uuid: self.uuid(&format!("attribute\n{key}\n{ty}\n{value}")),
            ty,
            category,
            value,
            to_ids,
            distribution: "5",
            timestamp: self.timestamp,
            comment: &self.rule.title,
            object_relation,
        }
    }
}

/// Attributes (single-type single-group terms) or objects (the rest) of one term.
fn term_items<'a>(
    b: &Builder<'a>,
    term: &[String],
    attributes: &mut Vec<Attribute<'a>>,
    objects: &mut Vec<Object<'a>>,
) -> Result<Vec<Skip>, Skip> {
    let rule = b.rule;
    let term_text = term.join(" and ");
    let mut merged: BTreeMap<IndicatorType, &'a Vec<Pattern>> = BTreeMap::new();
    for name in term {
        for (ty, patterns) in &rule.groups[name] {
            if merged.insert(*ty, patterns).is_some() {
                return Err(Skip::with(
                    AND_TERM,
                    format!("`{}` in two AND-ed groups ({term_text})", ty.name()),
                ));
            }
        }
    }
    if merged.len() == 1 {
        // One type: each literal value is an attribute of its own; the others are left out.
        let (ty, patterns) = merged.iter().next().expect("one type");
        let (t, category) = attribute_type(*ty)?;
        let mut left_out = Vec::new();
        for p in patterns.iter() {
            match (p, b.approximate) {
                // MISP's `domain` type matches the name and its subdomains: wider than `*.base`.
                (Pattern::Subdomains(base), true) => {
                    attributes.push(b.attribute(
                        &term_text,
                        "domain",
                        "Network activity",
                        base,
                        true,
                        None,
                    ));
                    b.notes.borrow_mut().push(format!(
                        "`*.{base}` as the MISP `domain` `{base}`, which also matches `{base}` itself"
                    ));
                }
                _ => match literal(*ty, p) {
                    Ok(v) => attributes.push(b.attribute(&term_text, t, category, v, true, None)),
                    Err(skip) => left_out.push(skip),
                },
            }
        }
        if attributes.is_empty() {
            return Err(left_out.remove(0));
        }
        return Ok(left_out);
    }
    // Several types: every value must be literal and have a type before anything is written.
    let mut values: BTreeMap<IndicatorType, Vec<&'a str>> = BTreeMap::new();
    for (ty, patterns) in &merged {
        let mut list = Vec::new();
        for p in patterns.iter() {
            let v = literal(*ty, p)?;
            attribute_type(*ty)?;
            list.push(v);
        }
        values.insert(*ty, list);
    }
    let mut template = None;
    for ty in values.keys() {
        let Some((tpl, _)) = relation(*ty) else {
            return Err(Skip::with(
                AND_TERM,
                format!("`{}` in {term_text}", ty.name()),
            ));
        };
        match template {
            None => template = Some(tpl),
            Some(t) if t == tpl => {}
            Some(_) => {
                let names: Vec<&str> = values.keys().map(|t| t.name()).collect();
                return Err(Skip::with(AND_TERM, names.join(" and ")));
            }
        }
    }
    let (name, template_uuid, version) = template.expect("two types at least");
    // The http-request template requires a url or a uri; a host alone would need an invented one.
    if name == HTTP_TEMPLATE.0
        && !values.contains_key(&IndicatorType::Url)
        && !values.contains_key(&IndicatorType::UrlPath)
    {
        let names: Vec<&str> = values.keys().map(|t| t.name()).collect();
        return Err(Skip::with(
            AND_TERM,
            format!(
                "{} (an HTTP request object needs a `url` or `url_path`)",
                names.join(" and ")
            ),
        ));
    }
    let count = values
        .values()
        .fold(1usize, |n, l| n.saturating_mul(l.len()));
    if count > MAX_OBJECTS_PER_TERM {
        return Err(Skip::with(
            TOO_MANY,
            format!("{count} objects for {term_text}, at most {MAX_OBJECTS_PER_TERM}"),
        ));
    }
    let mut combos: Vec<Vec<(IndicatorType, &'a str)>> = vec![vec![]];
    for (ty, list) in &values {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                list.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((*ty, v));
                    c
                })
            })
            .collect();
    }
    for combo in combos {
        let key: Vec<String> = combo
            .iter()
            .map(|(ty, v)| format!("{}={v}", ty.name()))
            .collect();
        let object_key = format!("object\n{term_text}\n{}", key.join("\n"));
        let attrs: Vec<Attribute<'a>> = combo
            .iter()
            .map(|(ty, v)| {
                let (_, rel) = relation(*ty).expect("checked above");
                let (t, category) = match (name, rel) {
                    ("file", "fullpath") => ("text", "Other"),
                    _ => attribute_type(*ty).expect("checked above"),
                };
                b.attribute(&object_key, t, category, v, false, Some(rel))
            })
            .collect();
        objects.push(Object {
            uuid: b.uuid(&object_key),
            name,
            meta_category: if name == "file" { "file" } else { "network" },
            template_uuid,
            template_version: version.to_string(),
            description: format!("{}: {term_text}", rule.title),
            distribution: "5",
            timestamp: b.timestamp,
            comment: format!("ruleforge {}: {term_text} (all values together)", rule.id),
            attributes: attrs,
        });
    }
    Ok(Vec::new())
}

/// Midnight UTC of a `YYYY-MM-DD` date, in seconds since 1970.
fn epoch(date: &str) -> Option<i64> {
    let d = crate::rule::parse_date(date)?;
    Some(d.midnight().assume_utc().unix_timestamp())
}

fn tags(rule: &ExportRule) -> Vec<Tag> {
    let mut out = Vec::new();
    if let Some(tlp) = &rule.tlp {
        out.push(Tag {
            name: format!("tlp:{tlp}"),
        });
    }
    let attack = crate::coverage::attack::Attack::enterprise();
    for id in rule.attack_techniques() {
        if let Some(t) = attack.technique(&id) {
            out.push(Tag {
                name: format!("misp-galaxy:mitre-attack-pattern=\"{} - {}\"", t.name, t.id),
            });
        }
    }
    for t in &rule.tags {
        out.push(Tag {
            name: format!("ruleforge:tag=\"{}\"", t.replace('"', "'")),
        });
    }
    out
}

/// The producer's organisation: its name and a uuid derived from it.
struct Producer {
    name: String,
    uuid: String,
}

impl Producer {
    fn of(opts: &Options) -> Producer {
        let name = if opts.producer.is_empty() {
            "ruleforge"
        } else {
            opts.producer.as_str()
        };
        let uuid = Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            format!("ruleforge:producer:{name}").as_bytes(),
        )
        .to_string();
        Producer {
            name: name.to_string(),
            uuid,
        }
    }
}

fn export_rule(
    rule: &ExportRule,
    opts: &Options,
    producer: &Producer,
) -> (Option<Vec<u8>>, RuleOutcome) {
    let terms = match terms_or_skip(rule) {
        Ok(t) => t,
        Err(outcome) => return (None, outcome),
    };
    let namespace = Uuid::parse_str(&rule.id).unwrap_or(Uuid::NAMESPACE_OID);
    let modified = rule.modified.as_deref().or(rule.created.as_deref());
    let timestamp = modified.and_then(epoch).unwrap_or(0).to_string();
    let b = Builder {
        rule,
        namespace,
        timestamp: &timestamp,
        approximate: opts.approximate,
        notes: Default::default(),
    };
    let mut attributes = Vec::new();
    let mut objects = Vec::new();
    let mut omitted = Vec::new();
    for term in &terms {
        let (mut a, mut o) = (Vec::new(), Vec::new());
        match term_items(&b, term, &mut a, &mut o) {
            Ok(left_out) => {
                attributes.append(&mut a);
                objects.append(&mut o);
                omitted.extend(left_out.into_iter().map(|skip| Omitted {
                    groups: term.clone(),
                    skip,
                }));
            }
            Err(skip) => omitted.push(Omitted {
                groups: term.clone(),
                skip,
            }),
        }
    }
    if attributes.is_empty() && objects.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(super::report::common::NOTHING_EXPRESSIBLE),
        };
        return (None, RuleOutcome::skipped(&rule.id, &rule.path, skip));
    }
    // The same value in two terms is one attribute.
    attributes.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    attributes.dedup_by(|a, b| a.uuid == b.uuid);
    objects.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    objects.dedup_by(|a, b| a.uuid == b.uuid);
    let threat_level = match rule.severity.as_str() {
        "critical" | "high" => "1",
        "medium" => "2",
        "low" => "3",
        _ => "4",
    };
    let analysis = match rule.status.as_str() {
        "experimental" => "0",
        "test" => "1",
        _ => "2",
    };
    let mut info = rule.title.clone();
    if let Some(d) = &rule.description {
        info = format!("{info}: {}", d.trim());
    }
    let event = EventFile {
        event: Event {
            uuid: &rule.id,
            info,
            date: rule.created.as_deref().unwrap_or("1970-01-01"),
            threat_level_id: threat_level,
            analysis,
            distribution: "0",
            published: false,
            timestamp: &timestamp,
            orgc: Org {
                name: &producer.name,
                uuid: &producer.uuid,
            },
            tags: tags(rule),
            attributes,
            objects,
        },
    };
    let mut bytes = Vec::with_capacity(4096);
    serde_json::to_writer_pretty(&mut bytes, &event).expect("the event serializes");
    bytes.push(b'\n');
    drop(event);
    let mut outcome = RuleOutcome::with_omitted(&rule.id, &rule.path, omitted);
    outcome.approximations = b.notes.into_inner();
    (Some(bytes), outcome)
}

/// Writes `<rule id>.json` for every rule with something to carry.
pub fn export(set: &ExportSet, opts: &Options) -> TargetOutput {
    use rayon::prelude::*;
    let producer = Producer::of(opts);
    // One event per rule, built on every core (in rule order: the output stays the same).
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| export_rule(rule, opts, &producer))
        .collect();
    let mut files = Vec::new();
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    for (rule, (bytes, outcome)) in set.native.iter().zip(built) {
        if let Some(bytes) = bytes {
            files.push((format!("{}.json", rule.id), bytes));
        }
        rules.push(outcome);
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    TargetOutput { files, rules }
}
