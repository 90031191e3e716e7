//! Sigma: one file per rule, `sigma/<rule id>.yml`.
//!
//! What it can express: log queries. Each indicator type is looked for in the log sources
//! whose events carry it (the first one all groups of a term share); a condition AND-term must stay within one log source (an event
//! comes from one log), so the terms are grouped by log source and each log source becomes
//! one Sigma rule (a rule spanning several gives a file with several documents). Inside a
//! rule, each (group, type) is a selection — a list of maps, one per field the type is read
//! from (OR) — and the condition is the OR of the terms, each an AND of selections.
//!
//! Sigma compares strings case-insensitively, with `*` and `?` as wildcards, like ruleforge's
//! case-insensitive globs. Globs become `|contains`, `|startswith`, `|endswith` or a
//! wildcard value; `regex:` values `|re` (`|re|i` for a leading `(?i)`); case-sensitive
//! values (`user_agent`) `|re` with an anchored, escaped pattern.
//!
//! | ruleforge type | log source | field(s) | faithful? |
//! |----------------|------------|----------|-----------|
//! | `md5`, `sha1`, `sha256` | `process_creation` (windows) | `Hashes|contains: 'SHA256=…'` (Sysmon's list) | yes |
//! | `command_line` | `process_creation` (windows) | `CommandLine`, `ParentCommandLine` | yes |
//! | `process_name` | `process_creation` (windows) | `Image|endswith: '\name'`, `ParentImage|endswith` | yes for names without `?` and with `*` only at the start |
//! | `file_path` | `file_event` (windows) | `TargetFilename` | yes |
//! | `file_name` | `file_event` (windows) | `TargetFilename|endswith: '\name'` | as `process_name` |
//! | `registry_path` | `registry_set` (windows) | `TargetObject` | yes |
//! | `domain` | `dns` | `query` (with and without one trailing dot); `*.base` as `|endswith: '.base'` | yes |
//! | `ip` | `network_connection` (windows) | `DestinationIp|cidr`, `SourceIp|cidr` | yes |
//! | `user_agent` | `proxy`, or `webserver` when the term also needs `url_path` | `c-useragent|re: '^…$'` / `cs-user-agent|re` (case-sensitive) | yes (`*` as `.*`: a header holds no line break) |
//! | `url_path` | `webserver` | `cs-uri-stem` | yes |
//! | `url` | `proxy` | `c-uri` | only with `--approximate`: Sigma compares case-insensitively and without WHATWG normalization |
//! | `email` | — | — | no: Sigma has no standard e-mail log source |
//!
//! A name glob with `?` or an inner `*` would be widened by a path field (`*\a*b` also
//! matches `C:\a\x\b`), so such values are left out. `regex:` values with syntax only Rust
//! has are left out (see [`super::model::rust_only_regex`]).
//!
//! Metadata: `title` (with the log source in parentheses when there are several), `id` (the rule id; with several log sources, UUIDv5 ids from the rule id
//! and the log source, each `related` to the rule id as `derived`), `status`, `description`,
//! `references`, `author`, `date`, `modified`, `level` (`info` → `informational`), `tags` in
//! Sigma's namespaces (`attack.*`, `cve.*`); the other tags (`actor.*`, `malware.*`,
//! `campaign.*`) and the TLP go to the custom field `ruleforge` (not lost).
//!
//! Sigma-kind source rules are copied: a one-document file as written, byte for byte; a
//! document of a multi-document file written back as YAML on its own (keys sorted, comments
//! not kept).

use super::model::{rust_only_regex, ExportRule, ExportSigma, Group, Pattern};
use super::report::{common, Omitted, Reason, Skip};
use super::{terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The namespace of the UUIDv5 ids of the documents of a rule spanning several log sources.
pub const ID_NAMESPACE: uuid::Uuid = uuid::uuid!("3c1d0a5e-2b8f-5e47-9d16-7a0c4e9b2f83");

pub const NO_LOGSOURCE: Reason = Reason {
    code: "sigma-no-logsource",
    sentence: "Sigma has no standard log source that carries this indicator type",
};
pub const LOGSOURCES: Reason = Reason {
    code: "sigma-logsources",
    sentence: "a condition term needs indicators from several log sources at once, which one log event cannot show",
};
pub const NAME_GLOB: Reason = Reason {
    code: "sigma-name-glob",
    sentence: "a name glob with `?` or an inner `*` would also match other names through the full-path field",
};
pub const URL: Reason = Reason {
    code: "sigma-url-normalization",
    sentence: "ruleforge compares WHATWG-normalized URLs (the path case-sensitively), Sigma the logged URL case-insensitively; pass --approximate to export it anyway",
};
pub const REGEX: Reason = Reason {
    code: "sigma-regex-dialect",
    sentence: "the regular expression uses syntax that Rust's regex accepts and Sigma's `|re` (PCRE) reads differently or not at all",
};

pub const REASONS: [Reason; 5] = [NO_LOGSOURCE, LOGSOURCES, NAME_GLOB, URL, REGEX];

/// A Sigma log source: (name used in ids, category, product).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct LogSource {
    category: &'static str,
    product: Option<&'static str>,
}

const PROCESS: LogSource = LogSource {
    category: "process_creation",
    product: Some("windows"),
};
const FILE: LogSource = LogSource {
    category: "file_event",
    product: Some("windows"),
};
const REGISTRY: LogSource = LogSource {
    category: "registry_set",
    product: Some("windows"),
};
const DNS: LogSource = LogSource {
    category: "dns",
    product: None,
};
const NETWORK: LogSource = LogSource {
    category: "network_connection",
    product: Some("windows"),
};
const PROXY: LogSource = LogSource {
    category: "proxy",
    product: None,
};
const WEBSERVER: LogSource = LogSource {
    category: "webserver",
    product: None,
};

/// The log sources that carry a type, in order of preference (empty: none).
fn sources(ty: IndicatorType) -> &'static [LogSource] {
    use IndicatorType::*;
    match ty {
        Md5 | Sha1 | Sha256 | CommandLine | ProcessName => &[PROCESS],
        FilePath | FileName => &[FILE],
        RegistryPath => &[REGISTRY],
        Domain => &[DNS],
        Ip => &[NETWORK],
        Url => &[PROXY],
        UserAgent => &[PROXY, WEBSERVER],
        UrlPath => &[WEBSERVER],
        Email => &[],
    }
}

/// The fields of a log source a type is read from (any of them: OR).
fn fields(ty: IndicatorType, source: LogSource) -> &'static [&'static str] {
    use IndicatorType::*;
    match ty {
        Md5 | Sha1 | Sha256 => &["Hashes"],
        CommandLine => &["CommandLine", "ParentCommandLine"],
        ProcessName => &["Image", "ParentImage"],
        FilePath | FileName => &["TargetFilename"],
        RegistryPath => &["TargetObject"],
        Domain => &["query"],
        Ip => &["DestinationIp", "SourceIp"],
        UserAgent if source == WEBSERVER => &["cs-user-agent"],
        UserAgent => &["c-useragent"],
        UrlPath => &["cs-uri-stem"],
        Url => &["c-uri"],
        Email => &[],
    }
}

/// One piece of a Sigma value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Lit(char),
    Star,
    Question,
}

/// A ruleforge glob as pieces (`*`, `?` wild; `?` literal when `question_literal`).
fn pieces(glob: &str, wild: bool) -> Vec<Piece> {
    glob.chars()
        .map(|c| match c {
            '*' if wild => Piece::Star,
            '?' if wild => Piece::Question,
            c => Piece::Lit(c),
        })
        .collect()
}

/// Pieces as a Sigma string: `*`/`?` wildcards, literal `*`, `?` escaped, a literal `\`
/// doubled where it would otherwise escape what follows.
fn sigma_string(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Star => out.push('*'),
            Piece::Question => out.push('?'),
            Piece::Lit(c @ ('*' | '?')) => {
                out.push('\\');
                out.push(*c);
            }
            Piece::Lit('\\') => {
                let next = pieces.get(i + 1);
                if matches!(
                    next,
                    None | Some(Piece::Star | Piece::Question | Piece::Lit('*' | '?' | '\\'))
                ) {
                    out.push_str("\\\\");
                } else {
                    out.push('\\');
                }
            }
            Piece::Lit(c) => out.push(*c),
        }
    }
    out
}

/// A glob as (modifier, Sigma string): `*x*` → contains, `x*` → startswith, `*x` → endswith
/// when `x` has no wildcard; otherwise the wildcard value itself.
fn glob_value(p: &[Piece]) -> (&'static str, String) {
    let inner_wild = |s: &[Piece]| s.iter().any(|x| !matches!(x, Piece::Lit(_)));
    let starts = p.first() == Some(&Piece::Star);
    let ends = p.len() > 1 && p.last() == Some(&Piece::Star);
    match (starts, ends) {
        (true, true) if !inner_wild(&p[1..p.len() - 1]) && p.len() > 2 => {
            ("|contains", sigma_string(&p[1..p.len() - 1]))
        }
        (false, true) if !inner_wild(&p[..p.len() - 1]) => {
            ("|startswith", sigma_string(&p[..p.len() - 1]))
        }
        (true, false) if !inner_wild(&p[1..]) && p.len() > 1 => {
            ("|endswith", sigma_string(&p[1..]))
        }
        _ => ("", sigma_string(p)),
    }
}

/// A `regex:` value as (modifiers, pattern): a leading `(?i)` becomes `|i`.
fn regex_value(ty: IndicatorType, re: &str, text: &str) -> Result<(&'static str, String), Skip> {
    if let Some(what) = rust_only_regex(re) {
        return Err(Skip::with(
            REGEX,
            format!("`{}` value `{text}` uses {what}", ty.name()),
        ));
    }
    Ok(match re.strip_prefix("(?i)") {
        Some(rest) => ("|re|i", rest.to_string()),
        None => ("|re", re.to_string()),
    })
}

/// The `(modifiers, value)` entries of one value, or why there are none; each is looked for
/// in every field of the type.
fn entries(
    ty: IndicatorType,
    pattern: &Pattern,
    opts: &Options,
    notes: &mut Vec<String>,
) -> Result<Vec<(&'static str, String)>, Skip> {
    use IndicatorType::*;
    let text = pattern.rule_text();
    if sources(ty).is_empty() {
        return Err(Skip::with(NO_LOGSOURCE, format!("`{}`", ty.name())));
    }
    let on = |modifier: &'static str, value: String| vec![(modifier, value)];
    if let Pattern::Regex(re) = pattern {
        if ty == Url && !opts.approximate {
            return Err(Skip::with(URL, format!("`{text}`")));
        }
        let (modifiers, re) = regex_value(ty, re, &text)?;
        if ty == Url {
            notes.push(format!(
                "`{text}`: Sigma reads the logged URL, ruleforge the WHATWG-normalized URL"
            ));
        }
        return Ok(on(modifiers, re));
    }
    Ok(match (ty, pattern) {
        (Md5 | Sha1 | Sha256, Pattern::Exact(hex)) => {
            let alg = match ty {
                Md5 => "MD5",
                Sha1 => "SHA1",
                _ => "SHA256",
            };
            on("|contains", format!("{alg}={}", hex.to_ascii_uppercase()))
        }
        (ProcessName | FileName, Pattern::Exact(v) | Pattern::Glob(v)) => {
            let p = pieces(v, true);
            let rest = p.strip_prefix(&[Piece::Star]).unwrap_or(&p);
            if rest.iter().any(|x| !matches!(x, Piece::Lit(_))) {
                return Err(Skip::with(
                    NAME_GLOB,
                    format!("`{}` value `{text}`", ty.name()),
                ));
            }
            let value = if rest.len() == p.len() {
                // A whole name: the path ends with a separator and the name.
                let mut with_sep = vec![Piece::Lit('\\')];
                with_sep.extend_from_slice(rest);
                sigma_string(&with_sep)
            } else {
                sigma_string(rest)
            };
            on("|endswith", value)
        }
        (CommandLine | FilePath | RegistryPath | UrlPath, Pattern::Exact(v) | Pattern::Glob(v)) => {
            let (modifier, value) = glob_value(&pieces(v, true));
            on(modifier, value)
        }
        (Domain, Pattern::Exact(name)) => {
            vec![("", name.clone()), ("", format!("{name}."))]
        }
        (Domain, Pattern::Subdomains(base)) => {
            vec![
                ("|endswith", format!(".{base}")),
                ("|endswith", format!(".{base}.")),
            ]
        }
        (Ip, Pattern::Exact(net)) => {
            let net = if net.contains('/') {
                net.clone()
            } else if net.contains(':') {
                format!("{net}/128")
            } else {
                format!("{net}/32")
            };
            on("|cidr", net)
        }
        (UserAgent, Pattern::Exact(v) | Pattern::Glob(v)) => {
            let mut re = String::from("^");
            for p in pieces(v, true) {
                match p {
                    // An HTTP header holds no line break, so `.` (not across lines) is enough,
                    // and it is what every backend's regex dialect reads the same way.
                    Piece::Star => re.push_str(".*"),
                    Piece::Question => re.push('.'),
                    Piece::Lit(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                }
            }
            re.push('$');
            on("|re", re)
        }
        (Url, Pattern::Exact(v) | Pattern::Glob(v)) => {
            if !opts.approximate {
                return Err(Skip::with(URL, format!("`{text}`")));
            }
            notes.push(format!(
                "`{text}`: Sigma compares the logged URL case-insensitively, ruleforge the WHATWG-normalized URL (path case-sensitively)"
            ));
            let (modifier, value) = glob_value(&pieces(v, false));
            on(modifier, value)
        }
        (_, p) => {
            return Err(Skip::with(
                common::NOTHING_EXPRESSIBLE,
                format!("`{}` value `{}`", ty.name(), p.rule_text()),
            ))
        }
    })
}

/// A selection: its name and its maps (OR), each one field with its values (OR).
struct Selection {
    name: String,
    maps: Vec<(String, Vec<String>)>,
}

/// A selection name from a group and a type: `[a-z0-9_]`, starting with a letter.
fn selection_name(group: &str, ty: IndicatorType) -> String {
    let clean: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("sel_{clean}_{}", ty.name())
}

/// What a group can say: the log sources all its types share and, per type, its entries.
struct GroupValues {
    sources: Vec<LogSource>,
    types: Vec<(IndicatorType, Vec<(&'static str, String)>)>,
}

/// The entries of a group, or why it cannot be expressed. Values left out go to `omitted`.
fn group_values(
    name: &str,
    group: &Group,
    opts: &Options,
    omitted: &mut Vec<Omitted>,
    notes: &mut Vec<String>,
) -> Result<GroupValues, Skip> {
    let mut shared: Option<Vec<LogSource>> = None;
    let mut types = Vec::new();
    for (ty, patterns) in group {
        if sources(*ty).is_empty() {
            return Err(Skip::with(NO_LOGSOURCE, format!("`{}`", ty.name())));
        }
        let here = sources(*ty);
        shared = Some(match shared {
            None => here.to_vec(),
            Some(s) => s.into_iter().filter(|x| here.contains(x)).collect(),
        });
        let mut values: Vec<(&'static str, String)> = Vec::new();
        let mut first_skip = None;
        for p in patterns {
            match entries(*ty, p, opts, notes) {
                Ok(es) => {
                    for e in es {
                        if !values.contains(&e) {
                            values.push(e);
                        }
                    }
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
        if values.is_empty() {
            return Err(first_skip.unwrap_or_else(|| Skip::new(common::NOTHING_EXPRESSIBLE)));
        }
        types.push((*ty, values));
    }
    let sources = shared.unwrap_or_default();
    if sources.is_empty() {
        return Err(Skip::with(
            if types.is_empty() {
                common::NOTHING_EXPRESSIBLE
            } else {
                LOGSOURCES
            },
            format!("group `{name}`"),
        ));
    }
    Ok(GroupValues { sources, types })
}

/// The selections of a group in one log source: one per type, one map per (field, modifier).
fn selections(name: &str, group: &GroupValues, source: LogSource) -> Vec<Selection> {
    group
        .types
        .iter()
        .map(|(ty, values)| {
            let mut maps: Vec<(String, Vec<String>)> = Vec::new();
            for field in fields(*ty, source) {
                for (modifier, value) in values {
                    let key = format!("{field}{modifier}");
                    match maps.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, vs)) => vs.push(value.clone()),
                        None => maps.push((key, vec![value.clone()])),
                    }
                }
            }
            maps.sort_by(|a, b| a.0.cmp(&b.0));
            Selection {
                name: selection_name(name, *ty),
                maps,
            }
        })
        .collect()
}

/// A YAML scalar for a Sigma file: single-quoted, or double-quoted for what single quotes
/// cannot hold.
fn q(s: &str) -> String {
    if s.chars()
        .any(|c| c == '\n' || crate::yaml::emit::needs_escape(c))
    {
        crate::yaml::emit::double_quote(s)
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The terms of one log source: the selections they use and the condition.
struct Document {
    source: LogSource,
    selections: Vec<Selection>,
    condition: String,
}

fn render(rule: &ExportRule, doc: &Document, id: &str, related: bool) -> String {
    let mut y = String::new();
    let title = if related {
        // Each document needs its own title (Sigma tools index rules by title too).
        format!("{} ({})", rule.title, doc.source.category.replace('_', " "))
    } else {
        rule.title.clone()
    };
    let _ = writeln!(y, "title: {}", q(&title));
    let _ = writeln!(y, "id: {id}");
    if related {
        let _ = writeln!(y, "related:\n  - id: {}\n    type: derived", rule.id);
    }
    let _ = writeln!(y, "status: {}", rule.status);
    if let Some(d) = &rule.description {
        let _ = writeln!(y, "description: {}", q(d));
    }
    if !rule.references.is_empty() {
        y.push_str("references:\n");
        for r in &rule.references {
            let _ = writeln!(y, "  - {}", q(r));
        }
    }
    if let Some(a) = &rule.author {
        let _ = writeln!(y, "author: {}", q(a));
    }
    if let Some(d) = &rule.created {
        let _ = writeln!(y, "date: {d}");
    }
    if let Some(m) = rule
        .modified
        .as_deref()
        .filter(|m| Some(*m) != rule.created.as_deref())
    {
        let _ = writeln!(y, "modified: {m}");
    }
    let (sigma_tags, other_tags): (Vec<&String>, Vec<&String>) = rule
        .tags
        .iter()
        .partition(|t| t.starts_with("attack.") || t.starts_with("cve."));
    if !sigma_tags.is_empty() {
        y.push_str("tags:\n");
        for t in sigma_tags {
            let _ = writeln!(y, "  - {t}");
        }
    }
    y.push_str("logsource:\n");
    let _ = writeln!(y, "  category: {}", doc.source.category);
    if let Some(p) = doc.source.product {
        let _ = writeln!(y, "  product: {p}");
    }
    y.push_str("detection:\n");
    for s in &doc.selections {
        let _ = writeln!(y, "  {}:", s.name);
        for (field, values) in &s.maps {
            let _ = write!(y, "    - {field}:");
            if values.len() == 1 {
                let _ = writeln!(y, " {}", q(&values[0]));
            } else {
                y.push('\n');
                for v in values {
                    let _ = writeln!(y, "        - {}", q(v));
                }
            }
        }
    }
    let _ = writeln!(y, "  condition: {}", doc.condition);
    let level = match rule.severity.as_str() {
        "info" => "informational",
        other => other,
    };
    let _ = writeln!(y, "level: {level}");
    if !other_tags.is_empty() || rule.tlp.is_some() {
        y.push_str("ruleforge:\n");
        if let Some(t) = &rule.tlp {
            let _ = writeln!(y, "  tlp: {}", q(t));
        }
        if !other_tags.is_empty() {
            y.push_str("  tags:\n");
            for t in other_tags {
                let _ = writeln!(y, "    - {}", q(t));
            }
        }
    }
    y
}

fn export_rule(rule: &ExportRule, opts: &Options) -> (RuleOutcome, Option<String>) {
    let terms = match terms_or_skip(rule) {
        Ok(t) => t,
        Err(outcome) => return (outcome, None),
    };
    let mut omitted = Vec::new();
    let mut value_omitted = Vec::new();
    let mut notes = Vec::new();
    let mut groups: BTreeMap<&str, Result<GroupValues, Skip>> = BTreeMap::new();
    for name in terms.iter().flatten() {
        if !groups.contains_key(name.as_str()) {
            let g = group_values(
                name,
                &rule.groups[name],
                opts,
                &mut value_omitted,
                &mut notes,
            );
            groups.insert(name, g);
        }
    }
    // Each term goes to the first log source all its groups share.
    let mut by_source: BTreeMap<LogSource, Vec<Vec<&str>>> = BTreeMap::new();
    for term in &terms {
        let mut shared: Option<Vec<LogSource>> = None;
        let mut failed = None;
        for g in term {
            match &groups[g.as_str()] {
                Ok(values) => {
                    shared = Some(match shared {
                        None => values.sources.clone(),
                        Some(s) => s
                            .into_iter()
                            .filter(|x| values.sources.contains(x))
                            .collect(),
                    });
                }
                Err(skip) => {
                    failed = Some(skip.clone());
                    break;
                }
            }
        }
        let source = shared.as_ref().and_then(|s| s.first().copied());
        match (failed, source) {
            (Some(skip), _) => omitted.push(Omitted {
                groups: term.clone(),
                skip,
            }),
            (None, Some(s)) => by_source
                .entry(s)
                .or_default()
                .push(term.iter().map(String::as_str).collect()),
            (None, None) => omitted.push(Omitted {
                groups: term.clone(),
                skip: Skip::with(LOGSOURCES, term.join(" and ")),
            }),
        }
    }
    for o in value_omitted {
        if groups.get(o.groups[0].as_str()).is_some_and(|g| g.is_ok()) {
            omitted.push(o);
        }
    }
    if by_source.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(common::NOTHING_EXPRESSIBLE),
        };
        return (RuleOutcome::skipped(&rule.id, &rule.path, skip), None);
    }
    let several = by_source.len() > 1;
    let mut text = String::new();
    for (source, source_terms) in &by_source {
        let mut used: Vec<&str> = source_terms.iter().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        let mut all_selections = Vec::new();
        let mut names_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for g in &used {
            if let Ok(values) = &groups[g] {
                let sels = selections(g, values, *source);
                names_of.insert(g, sels.iter().map(|s| s.name.clone()).collect());
                all_selections.extend(sels);
            }
        }
        let mut term_texts = Vec::new();
        for term in source_terms {
            let names: Vec<String> = term
                .iter()
                .flat_map(|g| names_of.get(g).cloned().unwrap_or_default())
                .collect();
            term_texts.push(names.join(" and "));
        }
        let condition = if term_texts.len() == 1 {
            term_texts.pop().expect("one")
        } else {
            term_texts
                .iter()
                .map(|t| {
                    if t.contains(" and ") {
                        format!("({t})")
                    } else {
                        t.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let doc = Document {
            source: *source,
            selections: all_selections,
            condition,
        };
        let id = if several {
            uuid::Uuid::new_v5(
                &ID_NAMESPACE,
                format!("{}:{}", rule.id, source.category).as_bytes(),
            )
            .to_string()
        } else {
            rule.id.clone()
        };
        if !text.is_empty() {
            text.push_str("---\n");
        }
        text.push_str(&render(rule, &doc, &id, several));
    }
    notes.sort();
    notes.dedup();
    let mut outcome = RuleOutcome::with_omitted(&rule.id, &rule.path, omitted);
    outcome.approximations = notes;
    (outcome, Some(text))
}

/// A Sigma source document: the file as written when it holds one document, else the
/// document written back as YAML (keys sorted, comments not kept).
fn copy_sigma(s: &ExportSigma) -> (RuleOutcome, String) {
    let text = if s.documents_in_file == 1 {
        s.text.to_string()
    } else {
        let mut t = String::new();
        yaml_block(&s.entry.document, 0, &mut t);
        t
    };
    (RuleOutcome::exported(&s.entry.id, &s.path), text)
}

/// A JSON scalar as YAML (strings quoted, so PyYAML's YAML 1.1 typing reads them back as
/// strings).
fn yaml_scalar(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value::*;
    Some(match v {
        Null => "null".to_string(),
        Bool(b) => b.to_string(),
        Number(n) => n.to_string(),
        String(s) => q(s),
        Array(a) if a.is_empty() => "[]".to_string(),
        Object(o) if o.is_empty() => "{}".to_string(),
        _ => return None,
    })
}

/// A key: plain when it is a Sigma field or identifier (`Image|endswith`), else quoted.
fn yaml_key(k: &str) -> String {
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '|' | '.' | '-'));
    if plain {
        k.to_string()
    } else {
        q(k)
    }
}

/// A JSON value as block YAML at `indent` (a document when `indent` is 0).
fn yaml_block(v: &serde_json::Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                match yaml_scalar(val) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}{}: {s}", yaml_key(k));
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{}:", yaml_key(k));
                        yaml_block(val, indent + 2, out);
                    }
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                match yaml_scalar(item) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}- {s}");
                    }
                    None => {
                        // The item at indent + 2, its first line's indentation made the dash.
                        let mut inner = String::new();
                        yaml_block(item, indent + 2, &mut inner);
                        out.push_str(&pad);
                        out.push_str("- ");
                        out.push_str(&inner[indent + 2..]);
                    }
                }
            }
        }
        scalar => {
            let _ = writeln!(out, "{pad}{}", yaml_scalar(scalar).unwrap_or_default());
        }
    }
}

/// Writes `<rule id>.yml` for every exported rule and every Sigma document.
pub fn export(set: &ExportSet, opts: &Options) -> TargetOutput {
    use rayon::prelude::*;
    // One file per rule, built on every core (in rule order: the output stays the same).
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| export_rule(rule, opts))
        .collect();
    let mut files = Vec::new();
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    for (rule, (outcome, text)) in set.native.iter().zip(built) {
        if let Some(t) = text {
            files.push((format!("{}.yml", rule.id), t.into_bytes()));
        }
        rules.push(outcome);
    }
    for s in &set.sigma {
        let (outcome, text) = copy_sigma(s);
        files.push((format!("{}.yml", s.entry.id), text.into_bytes()));
        rules.push(outcome);
    }
    TargetOutput { files, rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_are_doubled_only_before_special_characters() {
        let p = pieces(r"C:\inetpub\wwwroot\aspnet_client\*", true);
        assert_eq!(
            glob_value(&p),
            (
                "|startswith",
                r"C:\inetpub\wwwroot\aspnet_client\\".to_string()
            )
        );
        assert_eq!(sigma_string(&pieces(r"a\*b", true)), r"a\\*b");
        assert_eq!(sigma_string(&pieces(r"a\\b", false)), r"a\\\b");
        assert_eq!(sigma_string(&pieces("a*b?", false)), r"a\*b\?");
    }

    #[test]
    fn documents_are_written_back_as_yaml() {
        let doc = serde_json::json!({
            "detection": {"condition": "sel", "sel": [{"Image|endswith": "\\x.exe", "n": 1}, "kw"]},
            "tags": ["attack.t1190"],
            "date": "2025-01-15",
            "empty": [],
        });
        let mut out = String::new();
        yaml_block(&doc, 0, &mut out);
        assert_eq!(
            out,
            "detection:\n  condition: 'sel'\n  sel:\n    - Image|endswith: '\\x.exe'\n      n: 1\n    - 'kw'\ntags:\n  - 'attack.t1190'\ndate: '2025-01-15'\nempty: []\n"
        );
    }

    #[test]
    fn globs_use_the_modifiers_where_exact() {
        assert_eq!(
            glob_value(&pieces("*comsvcs.dll*", true)),
            ("|contains", "comsvcs.dll".to_string())
        );
        assert_eq!(
            glob_value(&pieces("*comsvcs.dll*minidump*", true)),
            ("", "*comsvcs.dll*minidump*".to_string())
        );
        assert_eq!(
            glob_value(&pieces("*.aspx", true)),
            ("|endswith", ".aspx".to_string())
        );
        assert_eq!(glob_value(&pieces("*", true)), ("", "*".to_string()));
    }
}
