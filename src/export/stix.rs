//! STIX 2.1: one bundle, `stix/bundle.json`, with one `indicator` per rule.
//!
//! What it can express: a rule is one STIX pattern, and the whole condition sits inside ONE
//! observation expression — `[(A AND B) OR C]` — because `[A] AND [B]` would mean two
//! different observations, while a ruleforge rule looks at one event. Each AND-term of the
//! condition becomes a parenthesised AND of its groups' types, each type an OR of its values.
//!
//! STIX `=` compares strings case-sensitively and `LIKE` has no escape for `%` and `_`, so
//! every value the reference matcher compares case-insensitively, and every glob, becomes
//! `MATCHES '(?i)^…$'` (the glob with `*` → `.*`, `?` → `.`, "dot matches newline" on).
//! `regex:` values become `MATCHES` as written (an unanchored search in both).
//!
//! | ruleforge type | STIX object path | operator | faithful? |
//! |----------------|------------------|----------|-----------|
//! | `md5`, `sha1`, `sha256` | `file:hashes.MD5`, `'SHA-1'`, `'SHA-256'` | `= 'lower' OR = 'UPPER'` | yes for lower- and upper-case hex (the validator refuses `MATCHES` on hashes, so mixed-case hex is not matched) |
//! | `file_name` | `file:name` | `MATCHES '(?is)^…$'` | yes |
//! | `command_line` | `process:command_line` | `MATCHES '(?is)^…$'` | yes |
//! | `registry_path` | `windows-registry-key:key` | `MATCHES '(?is)^…$'` | yes |
//! | `user_agent` | `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'` | `=`, globs `MATCHES '(?s)^…$'` | yes |
//! | `domain` | `domain-name:value` | `MATCHES '(?i)^name\.?$'`, `*.base` as `'(?is)^.+\.base\.?$'` | yes (STIX requires A-labels) |
//! | `ip` | `ipv4-addr:value` / `ipv6-addr:value` | `ISSUBSET 'net/n'` | yes (an IPv4-mapped IPv6 address is an `ipv4-addr` in STIX) |
//! | `email` | `email-addr:value` | `MATCHES '(?i)^local@domain\.?$'` | yes |
//! | `url` | `url:value` | `=`, `MATCHES` | only with `--approximate`: ruleforge compares WHATWG-normalized URLs, STIX the string as written |
//! | `file_path`, `process_name`, `url_path` | — | — | no: STIX 2.1 has no property with that value |
//!
//! `regex:` values use the Rust `regex` syntax; STIX `MATCHES` uses PCRE (and the OASIS
//! matcher, Python `re`). Their common part is exported; a regex using syntax only Rust has
//! (`\p{…}`, `[[:alpha:]]`, `\x{…}`, `\z`, class set operations, flags after the start,
//! `(?<name>…)`) is left out. One difference remains: in PCRE and Python, `$` also matches
//! before a final line break.
//!
//! Metadata: `name` = title, `description`, `created`/`modified` from the rule dates,
//! `valid_from` = created, `valid_until` = the day after `expires` (the rule is valid through
//! that day), `confidence` low/medium/high = 15/50/85 (the STIX "None/Low/Med/High" scale),
//! `created_by_ref` = an `identity` named after the producer, `object_marking_refs` = the
//! TLP 2.0 marking definitions (the objects of the OASIS TLP 2.0 extension, carried in the
//! bundle), `kill_chain_phases` = ATT&CK tactics (`attack.initial-access`),
//! `external_references` = ATT&CK techniques, groups and software (`attack.t1190`,
//! `attack.g0016`, `attack.s0154`), CVEs and the rule's references, `labels` = the other tags
//! (`actor.*`, `malware.*`, `campaign.*`). Ids are UUIDv5 or the rule id: the same rules give
//! the same bytes.

use super::model::{ExportRule, Group, Pattern};
use super::report::{common, Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const FILE_NAME: &str = "bundle.json";

/// The namespace of the UUIDv5 ids of the identity and the bundle.
pub const ID_NAMESPACE: uuid::Uuid = uuid::uuid!("0f4d6bd4-7c8e-5d1e-9a43-2b1f7c0e6a51");

pub const NO_PROPERTY: Reason = Reason {
    code: "stix-no-property",
    sentence: "STIX 2.1 has no object property that holds this indicator type's value",
};
pub const URL: Reason = Reason {
    code: "stix-url-normalization",
    sentence: "ruleforge compares WHATWG-normalized URLs, a STIX pattern the URL as written; pass --approximate to export it anyway",
};
pub const REGEX: Reason = Reason {
    code: "stix-regex-dialect",
    sentence: "the regular expression uses syntax that Rust's regex accepts and STIX `MATCHES` (PCRE) reads differently or not at all",
};

pub const REASONS: [Reason; 3] = [NO_PROPERTY, URL, REGEX];

const ATTACK_TACTICS: [&str; 14] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// The TLP 2.0 marking definitions of the OASIS TLP 2.0 extension: (level, marking id).
const TLP: [(&str, &str); 5] = [
    ("clear", "94868c89-83c2-464b-929b-a1a8aa3c8487"),
    ("green", "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
    ("amber", "55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
    ("amber+strict", "939a9414-2ddd-4d32-a0cd-375ea402b003"),
    ("red", "e828b379-4e03-4974-9ac4-e53a884c97c1"),
];
const TLP_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
const TLP_CREATOR: &str = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01";

/// A STIX string literal: single quotes, `\` and `'` escaped.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The regular expression of a ruleforge glob: the whole value, `*` any run, `?` one
/// character (a literal for `url`), everything else literal.
fn glob_regex(glob: &str, question_is_wild: bool) -> String {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' if question_is_wild => out.push('.'),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out.push('$');
    out
}

/// The STIX object path of a type, or `None` when STIX 2.1 has no such property.
fn path(ty: IndicatorType) -> Option<&'static str> {
    use IndicatorType::*;
    Some(match ty {
        Md5 => "file:hashes.MD5",
        Sha1 => "file:hashes.'SHA-1'",
        Sha256 => "file:hashes.'SHA-256'",
        FileName => "file:name",
        CommandLine => "process:command_line",
        RegistryPath => "windows-registry-key:key",
        UserAgent => "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
        Domain => "domain-name:value",
        Ip => return Some("ip"),
        Email => "email-addr:value",
        Url => "url:value",
        FilePath | ProcessName | UrlPath => return None,
    })
}

/// The comparison (or parenthesised OR of comparisons) for one value, and the approximation
/// note if one was used.
fn comparison(
    ty: IndicatorType,
    pattern: &Pattern,
    opts: &Options,
) -> Result<(String, Option<String>), Skip> {
    use IndicatorType::*;
    let Some(path) = path(ty) else {
        return Err(Skip::with(NO_PROPERTY, format!("`{}`", ty.name())));
    };
    let matches = |re: &str| format!("{path} MATCHES {}", literal(re));
    if let Pattern::Regex(re) = pattern {
        if let Some(what) = super::model::rust_only_regex(re) {
            return Err(Skip::with(
                REGEX,
                format!(
                    "`{}` value `{}` uses {what}",
                    ty.name(),
                    pattern.rule_text()
                ),
            ));
        }
    }
    Ok(match (ty, pattern) {
        (Url, p) => {
            if !opts.approximate {
                return Err(Skip::with(URL, format!("`{}`", p.rule_text())));
            }
            let note = Some(format!(
                "`{}`: STIX compares the URL as written, ruleforge the WHATWG-normalized URL (other spellings of the same URL do not match)",
                p.rule_text()
            ));
            match p {
                Pattern::Exact(v) => (format!("{path} = {}", literal(v)), note),
                Pattern::Glob(g) => (matches(&format!("(?s){}", glob_regex(g, false))), note),
                Pattern::Regex(re) => (matches(re), note),
                Pattern::Subdomains(_) => unreachable!("only domains have subdomain patterns"),
            }
        }
        (Md5 | Sha1 | Sha256, Pattern::Exact(hex)) => {
            // The validator refuses anything but a hash on a hash path, so no `MATCHES`: the
            // lower- and upper-case spellings, the two ways hex digests are written.
            let lower = hex.to_ascii_lowercase();
            let upper = hex.to_ascii_uppercase();
            (
                format!(
                    "({path} = {} OR {path} = {})",
                    literal(&lower),
                    literal(&upper)
                ),
                None,
            )
        }
        (Domain, Pattern::Exact(name)) => {
            (matches(&format!("(?i)^{}\\.?$", regex::escape(name))), None)
        }
        (Domain, Pattern::Subdomains(base)) => (
            matches(&format!("(?is)^.+\\.{}\\.?$", regex::escape(base))),
            None,
        ),
        (Email, Pattern::Exact(addr)) => {
            (matches(&format!("(?i)^{}\\.?$", regex::escape(addr))), None)
        }
        (Ip, Pattern::Exact(net)) => (ip_comparison(net), None),
        (UserAgent, Pattern::Exact(v)) => (format!("{path} = {}", literal(v)), None),
        (UserAgent, Pattern::Glob(g)) => (matches(&format!("(?s){}", glob_regex(g, true))), None),
        (FileName | CommandLine | RegistryPath, Pattern::Exact(v) | Pattern::Glob(v)) => {
            (matches(&format!("(?is){}", glob_regex(v, true))), None)
        }
        (_, Pattern::Regex(re)) => (matches(re), None),
        (_, p) => {
            // Not produced by the model (hashes, IPs and e-mail addresses are always exact).
            return Err(Skip::with(
                common::NOTHING_EXPRESSIBLE,
                format!("`{}` value `{}`", ty.name(), p.rule_text()),
            ));
        }
    })
}

/// An IP network as STIX: `ISSUBSET` on the address objects of its family.
fn ip_comparison(net: &str) -> String {
    let (addr, len) = match net.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok()),
        None => (net, None),
    };
    if addr.contains(':') {
        let len = len.unwrap_or(128);
        format!(
            "ipv6-addr:value ISSUBSET {}",
            literal(&format!("{addr}/{len}"))
        )
    } else {
        let len = len.unwrap_or(32);
        format!(
            "ipv4-addr:value ISSUBSET {}",
            literal(&format!("{addr}/{len}"))
        )
    }
}

/// The comparison expression of one group (its types AND-ed, each an OR of its values), or
/// the reason it cannot be expressed. Values left out are added to `omitted`.
fn group_expr(
    name: &str,
    group: &Group,
    opts: &Options,
    omitted: &mut Vec<Omitted>,
    notes: &mut Vec<String>,
) -> Result<String, Skip> {
    let mut clauses = Vec::new();
    for (ty, patterns) in group {
        let mut alternatives = Vec::new();
        let mut first_skip = None;
        for p in patterns {
            match comparison(*ty, p, opts) {
                Ok((c, note)) => {
                    alternatives.push(c);
                    notes.extend(note);
                }
                Err(skip) => {
                    first_skip.get_or_insert_with(|| skip.clone());
                    omitted.push(Omitted {
                        groups: vec![name.to_string()],
                        skip,
                    });
                }
            }
        }
        if alternatives.is_empty() {
            // Nothing of this type: the group can never match; the values are listed above.
            return Err(first_skip.unwrap_or_else(|| {
                Skip::with(common::NOTHING_EXPRESSIBLE, ty.name().to_string())
            }));
        }
        clauses.push(if alternatives.len() == 1 {
            alternatives.pop().expect("one")
        } else {
            format!("({})", alternatives.join(" OR "))
        });
    }
    if clauses.is_empty() {
        return Err(Skip::with(common::NOTHING_EXPRESSIBLE, name.to_string()));
    }
    Ok(clauses.join(" AND "))
}

/// The pattern of a rule, or its outcome when nothing is exported.
fn pattern_of(
    rule: &ExportRule,
    opts: &Options,
) -> Result<(String, Vec<Omitted>, Vec<String>), RuleOutcome> {
    let terms = terms_or_skip(rule)?;
    let mut omitted = Vec::new();
    let mut notes = Vec::new();
    let mut group_exprs: std::collections::BTreeMap<&str, Result<String, Skip>> =
        Default::default();
    let mut value_omitted = Vec::new();
    for name in terms.iter().flatten() {
        if !group_exprs.contains_key(name.as_str()) {
            let e = group_expr(
                name,
                &rule.groups[name],
                opts,
                &mut value_omitted,
                &mut notes,
            );
            group_exprs.insert(name, e);
        }
    }
    let mut term_exprs = Vec::new();
    for term in &terms {
        let mut parts = Vec::new();
        let mut failed = None;
        for g in term {
            match &group_exprs[g.as_str()] {
                Ok(e) => parts.push(e.clone()),
                Err(skip) => {
                    failed = Some(skip.clone());
                    break;
                }
            }
        }
        match failed {
            Some(skip) => omitted.push(Omitted {
                groups: term.clone(),
                skip,
            }),
            None => term_exprs.push(parts.join(" AND ")),
        }
    }
    // Values dropped from groups that are still exported narrow the rule: list them too.
    for o in value_omitted {
        let group_ok = group_exprs
            .get(o.groups[0].as_str())
            .is_some_and(|e| e.is_ok());
        if group_ok {
            omitted.push(o);
        }
    }
    if term_exprs.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(common::NOTHING_EXPRESSIBLE),
        };
        return Err(RuleOutcome::skipped(&rule.id, &rule.path, skip));
    }
    let body = if term_exprs.len() == 1 {
        term_exprs.pop().expect("one")
    } else {
        term_exprs
            .iter()
            .map(|t| {
                if t.contains(" AND ") {
                    format!("({t})")
                } else {
                    t.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    notes.sort();
    notes.dedup();
    Ok((format!("[{body}]"), omitted, notes))
}

/// `YYYY-MM-DD` as a STIX timestamp at midnight UTC.
fn timestamp(date: &str) -> String {
    format!("{date}T00:00:00.000Z")
}

/// The day after `date` (`YYYY-MM-DD`), as a STIX timestamp.
fn day_after(date: &str) -> Option<String> {
    let d = crate::rule::parse_date(date)?;
    let next = d.next_day()?;
    Some(format!(
        "{:04}-{:02}-{:02}T00:00:00.000Z",
        next.year(),
        u8::from(next.month()),
        next.day()
    ))
}

fn identity_id(producer: &str) -> String {
    format!(
        "identity--{}",
        uuid::Uuid::new_v5(&ID_NAMESPACE, format!("identity:{producer}").as_bytes())
    )
}

fn producer_name(opts: &Options) -> &str {
    if opts.producer.trim().is_empty() {
        "ruleforge"
    } else {
        opts.producer.as_str()
    }
}

// The indicator as written. Field order is the output's key order.

#[derive(Serialize)]
struct Indicator<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: String,
    created_by_ref: &'a str,
    created: String,
    modified: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    indicator_types: [&'static str; 1],
    pattern: String,
    pattern_type: &'static str,
    pattern_version: &'static str,
    valid_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kill_chain_phases: Vec<KillChainPhase<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<u8>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_marking_refs: Option<[String; 1]>,
}

#[derive(Serialize)]
struct KillChainPhase<'a> {
    kill_chain_name: &'static str,
    phase_name: &'a str,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
struct ExternalReference<'a> {
    source_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<std::borrow::Cow<'a, str>>,
}

/// The indicator object of a rule with its pattern.
fn indicator<'a>(rule: &'a ExportRule, pattern: String, identity: &'a str) -> Indicator<'a> {
    let created = rule
        .created
        .as_deref()
        .or(rule.modified.as_deref())
        .unwrap_or("1970-01-01");
    let modified = rule
        .modified
        .as_deref()
        .filter(|m| *m >= created)
        .unwrap_or(created);
    let kill_chain_phases = rule
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| ATTACK_TACTICS.contains(t))
        .map(|t| KillChainPhase {
            kill_chain_name: "mitre-attack",
            phase_name: t,
        })
        .collect();
    let mut labels = Vec::new();
    let mut refs = Vec::new();
    for tag in &rule.tags {
        if let Some(r) = attack_reference(tag) {
            refs.push(r);
        } else if let Some(cve) = tag.strip_prefix("cve.") {
            refs.push(ExternalReference {
                source_name: "cve",
                external_id: Some(format!("CVE-{}", cve.to_ascii_uppercase())),
                url: None,
            });
        } else if !tag
            .strip_prefix("attack.")
            .is_some_and(|t| ATTACK_TACTICS.contains(&t))
        {
            labels.push(tag.as_str());
        }
    }
    let confidence = rule.confidence.as_deref().and_then(|c| match c {
        "low" => Some(15),
        "medium" => Some(50),
        "high" => Some(85),
        _ => None,
    });
    refs.extend(rule.references.iter().map(|u| ExternalReference {
        source_name: "reference",
        external_id: None,
        url: Some(u.as_str().into()),
    }));
    Indicator {
        ty: "indicator",
        spec_version: "2.1",
        id: format!("indicator--{}", rule.id),
        created_by_ref: identity,
        created: timestamp(created),
        modified: timestamp(modified),
        name: &rule.title,
        description: rule.description.as_deref(),
        indicator_types: ["malicious-activity"],
        pattern,
        pattern_type: "stix",
        pattern_version: "2.1",
        valid_from: timestamp(created),
        valid_until: rule
            .expires
            .as_deref()
            .filter(|e| *e >= created)
            .and_then(day_after),
        kill_chain_phases,
        labels,
        confidence,
        external_references: refs,
        object_marking_refs: rule.tlp.as_deref().and_then(tlp_marking_id).map(|id| [id]),
    }
}

/// `value` pretty-printed as an element of the bundle's `objects` (two levels deep), the
/// way `serde_json::to_vec_pretty` prints it inside the whole bundle: every line after the
/// first indented by four more spaces (a JSON string never holds a raw line break).
fn object_bytes(value: &impl Serialize) -> Vec<u8> {
    let alone = serde_json::to_vec_pretty(value).expect("a STIX object serializes");
    let mut out = Vec::with_capacity(alone.len() + alone.len() / 8);
    for piece in alone.split_inclusive(|b| *b == b'\n') {
        out.extend_from_slice(piece);
        if piece.ends_with(b"\n") {
            out.extend_from_slice(b"    ");
        }
    }
    out
}

/// An ATT&CK technique, group or software tag as an external reference.
fn attack_reference(tag: &str) -> Option<ExternalReference<'static>> {
    let rest = tag.strip_prefix("attack.")?;
    let (kind, path) = match rest.as_bytes().first()? {
        b't' => ("techniques", "T"),
        b'g' => ("groups", "G"),
        b's' => ("software", "S"),
        _ => return None,
    };
    let (main, sub) = rest[1..].split_once('.').unwrap_or((&rest[1..], ""));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(main, 4) || !(sub.is_empty() || (kind == "techniques" && digits(sub, 3))) {
        return None;
    }
    let external_id = if sub.is_empty() {
        format!("{path}{main}")
    } else {
        format!("{path}{main}.{sub}")
    };
    let url = if sub.is_empty() {
        format!("https://attack.mitre.org/{kind}/{path}{main}/")
    } else {
        format!("https://attack.mitre.org/{kind}/{path}{main}/{sub}/")
    };
    Some(ExternalReference {
        source_name: "mitre-attack",
        external_id: Some(external_id),
        url: Some(url.into()),
    })
}

fn tlp_marking_id(level: &str) -> Option<String> {
    TLP.iter()
        .find(|(l, _)| *l == level)
        .map(|(_, id)| format!("marking-definition--{id}"))
}

/// The OASIS TLP 2.0 marking-definition object of a level.
fn tlp_marking(level: &str) -> Option<Value> {
    let id = tlp_marking_id(level)?;
    Some(json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created_by_ref": TLP_CREATOR,
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", level.to_ascii_uppercase()),
        "extensions": {
            TLP_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": level,
            }
        }
    }))
}

/// Writes `bundle.json`: the producer's identity, the TLP markings used, then one indicator
/// per exported rule in rule-id order. Each indicator is printed on its own (on every core)
/// and the bundle put together from the printed pieces: the bytes are those of the whole
/// bundle printed at once.
pub fn export(set: &ExportSet, opts: &Options) -> TargetOutput {
    let producer = producer_name(opts);
    let identity = identity_id(producer);
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    let mut indicators = Vec::new();
    let mut ids = Vec::new();
    let mut levels = BTreeSet::new();
    use rayon::prelude::*;
    // Patterns and indicators built and printed on every core, then taken in rule order.
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| {
            pattern_of(rule, opts).map(|(pattern, omitted, notes)| {
                let indicator = object_bytes(&indicator(rule, pattern, &identity));
                (indicator, omitted, notes)
            })
        })
        .collect();
    for (rule, result) in set.native.iter().zip(built) {
        match result {
            Ok((indicator, omitted, notes)) => {
                if let Some(t) = &rule.tlp {
                    levels.insert(TLP.iter().position(|(l, _)| l == t).unwrap_or(usize::MAX));
                }
                indicators.push(indicator);
                ids.push(format!("indicator--{}", rule.id));
                let mut outcome = RuleOutcome::with_omitted(&rule.id, &rule.path, omitted);
                outcome.approximations = notes;
                rules.push(outcome);
            }
            Err(outcome) => rules.push(outcome),
        }
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    let mut objects = vec![object_bytes(&json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity,
        "created": "2020-01-01T00:00:00.000Z",
        "modified": "2020-01-01T00:00:00.000Z",
        "name": producer,
        "identity_class": "organization",
    }))];
    objects.extend(
        levels
            .into_iter()
            .filter_map(|i| TLP.get(i))
            .filter_map(|(l, _)| tlp_marking(l))
            .map(|m| object_bytes(&m)),
    );
    let bundle_id = uuid::Uuid::new_v5(
        &ID_NAMESPACE,
        format!("bundle:{producer}:{}", ids.join(",")).as_bytes(),
    );
    objects.extend(indicators);
    // `{"type": "bundle", "id": …, "objects": […]}` as `to_vec_pretty` prints it.
    let size = objects.iter().map(|o| o.len() + 6).sum::<usize>() + 128;
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(b"{\n  \"type\": \"bundle\",\n  \"id\": \"bundle--");
    bytes.extend_from_slice(bundle_id.to_string().as_bytes());
    bytes.extend_from_slice(b"\",\n  \"objects\": [");
    for (i, o) in objects.iter().enumerate() {
        bytes.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        bytes.extend_from_slice(o);
    }
    bytes.extend_from_slice(b"\n  ]\n}\n");
    TargetOutput {
        files: vec![(FILE_NAME.to_string(), bytes)],
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal(r"C:\a'b"), r"'C:\\a\'b'");
    }

    #[test]
    fn globs_become_anchored_regexes() {
        assert_eq!(glob_regex("*.aspx", true), r"^.*\.aspx$");
        assert_eq!(glob_regex("?.ashx", true), r"^.\.ashx$");
        assert_eq!(glob_regex("http://a/x?id=*", false), r"^http://a/x\?id=.*$");
    }

    #[test]
    fn attack_tags_become_references() {
        assert_eq!(
            attack_reference("attack.t1574.002")
                .unwrap()
                .external_id
                .as_deref(),
            Some("T1574.002")
        );
        assert_eq!(
            attack_reference("attack.g0016").unwrap().url.as_deref(),
            Some("https://attack.mitre.org/groups/G0016/")
        );
        assert!(attack_reference("attack.persistence").is_none());
        assert!(attack_reference("attack.g0016.001").is_none());
    }

    #[test]
    fn valid_until_is_the_day_after_expiry() {
        assert_eq!(
            day_after("2024-12-31").as_deref(),
            Some("2025-01-01T00:00:00.000Z")
        );
    }
}
