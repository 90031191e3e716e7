//! MISP: each event becomes one rule.
//!
//! Input: an event as MISP exports it (`{"Event": {…}}`, or the bare event object), a list of
//! events (`{"response": [{"Event": …}]}` or `[{"Event": …}]`), or a feed folder (its
//! `manifest.json` names the events, each in `<uuid>.json`).
//!
//! **What a rule can say.** An attribute marked `to_ids` becomes a value of its type; the
//! event's attributes are alternatives (one group per type, `1 of them`); a MISP object
//! (`file`, `domain-ip`, …) is one group whose types must all match the same event, like the
//! pattern `misp-stix` writes for it; a composite attribute (`filename|sha256`, `domain|ip`)
//! is one group of its two types.
//!
//! | MISP type | indicator type |
//! |---|---|
//! | `md5`, `sha1`, `sha256` | `md5`, `sha1`, `sha256` |
//! | `filename` | `file_name` |
//! | `domain`, `hostname` | `domain` |
//! | `ip-dst`, `ip-src` | `ip` |
//! | `url` | `url` |
//! | `uri` | `url_path` |
//! | `user-agent` | `user_agent` |
//! | `regkey` | `registry_path` |
//! | `email`, `email-src`, `email-dst` | `email` |
//! | `filename\|md5`, `filename\|sha1`, `filename\|sha256` | group of `file_name` and the hash |
//! | `domain\|ip` | group of `domain` and `ip` |
//!
//! `link` attributes (http/https) become `references`. Event metadata: `info` → title,
//! `date` → created, `timestamp` → modified, `Orgc.name` → author, `threat_level_id` →
//! severity (1 high, 2 medium, 3 low), tags `tlp:*` → `tlp`, ATT&CK galaxy clusters and
//! `misp-galaxy:mitre-attack-pattern` tags → `attack.` tags, threat-actor and malware
//! galaxies → `actor.` and `malware.` tags.

use super::expr::{Expr, Term};
use super::{Draft, Dropped, Format, ImportError, Item, Reason, Refused, SourceRef};
use crate::indicator::IndicatorType;
use serde_json::Value;
use std::path::Path;

/// Why an attribute is not imported, or an event refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MispDrop {
    /// The attribute's `to_ids` flag is off: MISP says it is not for detection.
    NotToIds,
    /// The attribute type has no indicator type (`text`, `port`, `AS`, `ip-dst|port`…).
    UnsupportedType(String),
    /// The attribute is marked deleted.
    Deleted,
    /// A composite attribute whose value does not have its two parts.
    Composite(String),
    /// The event has no `uuid` (its rule id would not be stable).
    NoUuid,
}

impl MispDrop {
    pub fn code(&self) -> &'static str {
        match self {
            MispDrop::NotToIds => "not-to-ids",
            MispDrop::UnsupportedType(_) => "unsupported-type",
            MispDrop::Deleted => "deleted",
            MispDrop::Composite(_) => "composite-value",
            MispDrop::NoUuid => "malformed",
        }
    }

    pub fn sentence(&self) -> String {
        match self {
            MispDrop::NotToIds => "to_ids is off: not meant for detection".into(),
            MispDrop::UnsupportedType(t) => {
                format!("MISP type `{t}` has no indicator type")
            }
            MispDrop::Deleted => "the attribute is deleted".into(),
            MispDrop::Composite(t) => format!("a `{t}` value needs two parts separated by `|`"),
            MispDrop::NoUuid => "the event has no `uuid`".into(),
        }
    }

    pub fn reason(&self) -> Reason {
        Reason {
            code: self.code(),
            message: self.sentence(),
        }
    }
}

/// The indicator types of a MISP attribute type (two for a composite).
pub fn attribute_types(misp_type: &str) -> Option<&'static [IndicatorType]> {
    use IndicatorType::*;
    Some(match misp_type {
        "md5" => &[Md5],
        "sha1" => &[Sha1],
        "sha256" => &[Sha256],
        "filename" => &[FileName],
        "domain" | "hostname" => &[Domain],
        "ip-dst" | "ip-src" => &[Ip],
        "url" => &[Url],
        "uri" => &[UrlPath],
        "user-agent" => &[UserAgent],
        "regkey" => &[RegistryPath],
        "email" | "email-src" | "email-dst" => &[Email],
        "filename|md5" => &[FileName, Md5],
        "filename|sha1" => &[FileName, Sha1],
        "filename|sha256" => &[FileName, Sha256],
        "domain|ip" => &[Domain, Ip],
        _ => return None,
    })
}

fn str_of<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn flag(o: &Value, key: &str) -> bool {
    match o.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// One attribute as a term expression, or why it is left out.
fn attribute(a: &Value) -> Result<Option<Expr>, (Option<String>, MispDrop)> {
    let ty = str_of(a, "type").unwrap_or("");
    let value = str_of(a, "value").unwrap_or("");
    if flag(a, "deleted") {
        return Err((Some(value.into()), MispDrop::Deleted));
    }
    if ty == "link" {
        return Ok(None);
    }
    if !flag(a, "to_ids") {
        return Err((Some(value.into()), MispDrop::NotToIds));
    }
    let types = attribute_types(ty).ok_or_else(|| {
        (
            Some(value.into()),
            MispDrop::UnsupportedType(ty.to_string()),
        )
    })?;
    match types {
        [one] => Ok(Some(Expr::term(*one, value))),
        [a_ty, b_ty] => {
            let Some((a, b)) = value
                .split_once('|')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            else {
                return Err((Some(value.into()), MispDrop::Composite(ty.to_string())));
            };
            Ok(Some(Expr::All(vec![
                Expr::Term(Term::new(*a_ty, vec![a.to_string()])),
                Expr::Term(Term::new(*b_ty, vec![b.to_string()])),
            ])))
        }
        _ => unreachable!("one or two types"),
    }
}

fn tags_of(o: &Value) -> impl Iterator<Item = &str> {
    o.get("Tag")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| str_of(t, "name"))
}

fn tlp_of(tag: &str) -> Option<&'static str> {
    match tag.trim().to_ascii_lowercase().as_str() {
        "tlp:white" | "tlp:clear" => Some("clear"),
        "tlp:green" => Some("green"),
        "tlp:amber" => Some("amber"),
        "tlp:amber+strict" => Some("amber+strict"),
        "tlp:red" => Some("red"),
        _ => None,
    }
}

/// Tags from a galaxy tag (`misp-galaxy:mitre-attack-pattern="Name - T1059"`) or cluster.
fn galaxy_tag(galaxy: &str, value: &str, external_ids: &[&str]) -> Option<String> {
    let g = galaxy.to_ascii_lowercase();
    if g.starts_with("mitre-")
        && (g.contains("attack-pattern")
            || g.contains("intrusion-set")
            || g.contains("malware")
            || g.contains("tool"))
    {
        let from_ids = external_ids.iter().find_map(|i| super::attack_tag(i));
        let from_value = value
            .rsplit_once(" - ")
            .and_then(|(_, id)| super::attack_tag(id));
        if let Some(t) = from_ids.or(from_value) {
            return Some(t);
        }
    }
    let name = value.rsplit_once(" - ").map_or(value, |(n, _)| n);
    let slug = super::slug(name);
    if slug.is_empty() {
        return None;
    }
    if g.contains("threat-actor") || g.contains("intrusion-set") {
        Some(format!("actor.{slug}"))
    } else if g.contains("malware")
        || g.contains("malpedia")
        || g.contains("ransomware")
        || g.contains("rat")
    {
        Some(format!("malware.{slug}"))
    } else if g.contains("tool") {
        Some(format!("tool.{slug}"))
    } else {
        None
    }
}

fn event_tags(ev: &Value, d: &mut Draft) {
    const TLP_ORDER: [&str; 5] = ["clear", "green", "amber", "amber+strict", "red"];
    for tag in tags_of(ev) {
        if let Some(l) = tlp_of(tag) {
            let rank = |x: Option<&str>| x.and_then(|x| TLP_ORDER.iter().position(|o| *o == x));
            if rank(Some(l)) > rank(d.tlp) {
                d.tlp = Some(l);
            }
        } else if let Some(rest) = tag.strip_prefix("misp-galaxy:") {
            if let Some((galaxy, value)) = rest.split_once('=') {
                d.tags
                    .extend(galaxy_tag(galaxy, value.trim_matches('"'), &[]));
            }
        }
    }
    for g in ev
        .get("Galaxy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let galaxy = str_of(g, "type").unwrap_or("");
        for c in g
            .get("GalaxyCluster")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ids: Vec<&str> = c
                .pointer("/meta/external_id")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if let Some(t) = galaxy_tag(galaxy, str_of(c, "value").unwrap_or(""), &ids) {
                d.tags.push(t);
            }
        }
    }
}

fn date_from_unix(v: &Value) -> Option<time::Date> {
    let secs = match v {
        Value::String(s) => s.parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .map(|t| t.date())
}

/// One event → a draft or a refusal.
pub fn event(file: &str, ev: &Value) -> Item {
    let ev = ev.get("Event").unwrap_or(ev);
    let uuid = str_of(ev, "uuid").unwrap_or("").to_ascii_lowercase();
    let source = SourceRef {
        format: Format::Misp,
        file: file.to_string(),
        id: uuid.clone(),
        name: str_of(ev, "info").map(str::to_string),
    };
    if uuid.is_empty() {
        return Item::Refused(Refused {
            source,
            reason: MispDrop::NoUuid.reason(),
            dropped: Vec::new(),
        });
    }
    let mut parts = Vec::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    let mut references = Vec::new();
    let mut drop_attr = |value: Option<String>, reason: MispDrop, misp_type: &str| {
        dropped.push(Dropped {
            ty: attribute_types(misp_type)
                .filter(|t| t.len() == 1)
                .map(|t| t[0].name()),
            value: value.unwrap_or_default(),
            reason: reason.reason(),
        });
    };
    for a in ev
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if str_of(a, "type") == Some("link") && !flag(a, "deleted") {
            if let Some(v) =
                str_of(a, "value").filter(|v| v.starts_with("http://") || v.starts_with("https://"))
            {
                references.push(v.to_string());
            }
        }
        match attribute(a) {
            Ok(Some(e)) => parts.push(e),
            Ok(None) => {}
            Err((v, r)) => drop_attr(v, r, str_of(a, "type").unwrap_or("")),
        }
    }
    for o in ev
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if flag(o, "deleted") {
            continue;
        }
        let mut group = Vec::new();
        for a in o
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match attribute(a) {
                Ok(Some(e)) => group.push(e),
                Ok(None) => {}
                Err((v, r)) => drop_attr(v, r, str_of(a, "type").unwrap_or("")),
            }
        }
        if !group.is_empty() {
            // Attributes of one type in an object are alternatives (two addresses of one
            // domain-ip object); the types must all match.
            let mut by_type: Vec<Expr> = Vec::new();
            for e in group {
                match e {
                    Expr::Term(t) => match by_type
                        .iter_mut()
                        .find(|x| matches!(x, Expr::Term(x) if x.ty == t.ty))
                    {
                        Some(Expr::Term(x)) => x.values.extend(t.values),
                        _ => by_type.push(Expr::Term(t)),
                    },
                    other => by_type.push(other),
                }
            }
            parts.push(Expr::All(by_type));
        }
    }
    let mut d = Draft::new(source, Expr::Any(parts));
    d.dropped = dropped;
    d.references = references;
    d.title = str_of(ev, "info").map(str::to_string);
    d.created = str_of(ev, "date").and_then(super::date_of);
    d.modified = ev.get("timestamp").and_then(date_from_unix);
    d.author = ev
        .pointer("/Orgc/name")
        .and_then(Value::as_str)
        .or_else(|| ev.pointer("/Org/name").and_then(Value::as_str))
        .map(str::to_string);
    d.severity = match ev
        .get("threat_level_id")
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .as_deref()
    {
        Some("1") => Some("high"),
        Some("2") => Some("medium"),
        Some("3") => Some("low"),
        _ => None,
    };
    event_tags(ev, &mut d);
    Item::Draft(Box::new(d))
}

/// The events of a JSON document.
fn events(file: &str, doc: &Value) -> Result<Vec<Value>, ImportError> {
    if doc.get("Event").is_some() {
        return Ok(vec![doc.clone()]);
    }
    if let Some(list) = doc
        .get("response")
        .and_then(Value::as_array)
        .or(doc.as_array())
    {
        if list.iter().all(|e| e.get("Event").is_some()) {
            return Ok(list.clone());
        }
    }
    if doc.get("uuid").is_some()
        && (doc.get("Attribute").is_some()
            || doc.get("Object").is_some()
            || doc.get("info").is_some())
    {
        return Ok(vec![doc.clone()]);
    }
    Err(ImportError::shape(
        file,
        "not a MISP event (no `Event`, `response` list or event object)",
    ))
}

fn parse_json(path: &Path) -> Result<Value, ImportError> {
    let file = path.display().to_string();
    let text = super::read_input(path)?;
    serde_json::from_str(&text).map_err(|e| ImportError::json(&file, &e))
}

/// Reads a MISP event file or feed folder.
pub fn read(path: &Path) -> Result<Vec<Item>, ImportError> {
    let file = path.display().to_string();
    if path.is_dir() {
        let manifest_path = path.join("manifest.json");
        if !manifest_path.is_file() {
            return Err(ImportError::shape(
                &file,
                "a MISP feed folder needs a manifest.json",
            ));
        }
        let manifest = parse_json(&manifest_path)?;
        let Some(entries) = manifest.as_object() else {
            return Err(ImportError::shape(
                &manifest_path.display().to_string(),
                "manifest.json is not an object of event uuids",
            ));
        };
        let mut uuids: Vec<&String> = entries.keys().collect();
        uuids.sort();
        let mut out = Vec::new();
        for uuid in uuids {
            if uuid.is_empty() || !uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                return Err(ImportError::shape(
                    &manifest_path.display().to_string(),
                    format!("`{uuid}` is not an event uuid"),
                ));
            }
            let event_path = path.join(format!("{uuid}.json"));
            let doc = parse_json(&event_path)?;
            let shown = event_path.display().to_string();
            for e in events(&shown, &doc)? {
                out.push(event(&shown, &e));
            }
        }
        return Ok(out);
    }
    let doc = parse_json(path)?;
    Ok(events(&file, &doc)?
        .iter()
        .map(|e| event(&file, e))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(item: Item) -> Draft {
        match item {
            Item::Draft(d) => *d,
            Item::Refused(r) => panic!("refused: {:?}", r.reason),
        }
    }

    #[test]
    fn attributes_objects_and_composites() {
        let ev = json!({"Event": {
            "uuid": "5f1e2d3c-0000-4000-8000-000000000001",
            "info": "Example campaign infrastructure",
            "date": "2021-03-02",
            "timestamp": "1614729600",
            "threat_level_id": "1",
            "Orgc": {"name": "Example CERT"},
            "Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:mitre-attack-pattern=\"Web Shell - T1505.003\""}],
            "Attribute": [
                {"type": "domain", "value": "evil.example.com", "to_ids": true},
                {"type": "ip-dst", "value": "203.0.113.7", "to_ids": false},
                {"type": "filename|sha256", "value": "x.aspx|b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0", "to_ids": true},
                {"type": "text", "value": "note", "to_ids": true},
                {"type": "link", "value": "https://example.org/report", "to_ids": false},
                {"type": "filename|md5", "value": "broken", "to_ids": true}
            ],
            "Object": [{"name": "domain-ip", "Attribute": [
                {"type": "domain", "value": "c2.example.net", "to_ids": true},
                {"type": "ip-dst", "value": "198.51.100.1", "to_ids": true},
                {"type": "ip-dst", "value": "198.51.100.2", "to_ids": true}
            ]}]
        }});
        let d = draft(event("e.json", &ev));
        assert_eq!(d.title.as_deref(), Some("Example campaign infrastructure"));
        assert_eq!(d.severity, Some("high"));
        assert_eq!(d.tlp, Some("amber"));
        assert_eq!(d.author.as_deref(), Some("Example CERT"));
        assert_eq!(d.tags, ["attack.t1505.003"]);
        assert_eq!(d.references, ["https://example.org/report"]);
        assert_eq!(d.created, crate::rule::parse_date("2021-03-02"));
        assert_eq!(d.modified, crate::rule::parse_date("2021-03-03"));
        let codes: Vec<_> = d.dropped.iter().map(|x| x.reason.code).collect();
        assert_eq!(codes, ["not-to-ids", "unsupported-type", "composite-value"]);
        let e = d.expr.clone().simplify().unwrap();
        let r = crate::import::expr::render(&e);
        let names: Vec<_> = r.groups.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["domain", "file_name_sha256", "domain_ip"]);
        assert_eq!(r.condition, None);
        assert_eq!(r.groups[2].1[1].1, ["198.51.100.1", "198.51.100.2"]);
    }

    #[test]
    fn shapes() {
        assert!(events("x", &json!({"response": [{"Event": {"uuid": "a"}}]})).is_ok());
        assert!(events("x", &json!([{"Event": {"uuid": "a"}}])).is_ok());
        assert!(events("x", &json!({"uuid": "a", "info": "x"})).is_ok());
        let e = events("x", &json!({"type": "bundle"})).unwrap_err();
        assert_eq!(e.code(), "shape");
        let refused = event("x", &json!({"Event": {"info": "no uuid"}}));
        assert!(matches!(refused, Item::Refused(r) if r.reason.code == "malformed"));
    }
}
