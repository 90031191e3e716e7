//! Rule → normalized JSON: the `rules.json` payload of a bundle.
//!
//! Every value is in its canonical form, rules are sorted by id, groups by name, types by
//! name and values by their text (duplicates removed), so the same rule set always gives
//! the same bytes. Described by `schemas/bundle-rules.schema.json`.

use super::sigma::{SigmaEntry, SigmaSet};
use crate::indicator::{Checked, IndicatorType, Syntax};
use crate::kind::KindPatterns;
use crate::kind::{parse_source, Parsed, ParsedRef};
use crate::load::{self, Input};
use crate::rule::parse_date;
use crate::rule::{Rule, RuleFile, Spanned};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

pub use ruleforge_bundle::payload::{CompiledRule, RuleSet, TypeInfo};

/// Which rules go into a bundle.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Statuses that are shipped (`deprecated` only when listed).
    pub statuses: Vec<String>,
    /// Ship rules whose `expires` date is before `as_of`.
    pub include_expired: bool,
    /// The date rules' expiry is judged against: the commit's date (UTC), so the same
    /// commit always selects the same rules.
    pub as_of: Date,
}

/// Why a native rule is left out of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    ByStatus,
    Expired,
}

impl Selection {
    /// Whether a native rule with this status and `expires` is kept (`Ok(None)`) or left out
    /// (`Ok(Some(why))`); an `expires` that is not a date is an error naming the rule.
    pub fn judge(
        &self,
        id: &str,
        status: &str,
        expires: Option<&str>,
    ) -> Result<Option<LeftOut>, String> {
        if !self.statuses.iter().any(|s| s == status) {
            return Ok(Some(LeftOut::ByStatus));
        }
        let expired = match expires {
            Some(e) => match parse_date(e) {
                Some(d) => d < self.as_of,
                None => {
                    return Err(format!(
                        "rule {id}: `expires` is not a YYYY-MM-DD date: {e}"
                    ))
                }
            },
            None => false,
        };
        Ok((expired && !self.include_expired).then_some(LeftOut::Expired))
    }

    /// Whether a Sigma document with this status is kept (one without a status, such as a
    /// filter, always is).
    pub fn keeps_sigma(&self, status: Option<&str>) -> bool {
        status.is_none_or(|s| self.statuses.iter().any(|x| x == s))
    }
}

/// One id, one rule, within each kind and across the two: an error for every id that
/// more than one of `(id, kind, title)` holds.
pub fn duplicate_ids(mut ids: Vec<(&str, &str, &str)>) -> Vec<String> {
    ids.sort_unstable();
    ids.windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| {
            format!(
                "id {} is used by more than one rule ({} `{}` and {} `{}`)",
                w[0].0, w[0].1, w[0].2, w[1].1, w[1].2
            )
        })
        .collect()
}

/// Rules left out, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Excluded {
    /// Native rules whose status is not in the selection (deprecated rules, by default).
    pub by_status: usize,
    /// Native rules whose `expires` is before the commit date.
    pub expired: usize,
    /// Sigma documents whose status is not in the selection (deprecated and unsupported
    /// ones, by default).
    pub sigma_by_status: usize,
}

impl Excluded {
    /// Counts one native rule left out.
    pub fn add(&mut self, why: LeftOut) {
        match why {
            LeftOut::ByStatus => self.by_status += 1,
            LeftOut::Expired => self.expired += 1,
        }
    }
}

/// A compiled native rule as a bundle build keeps it: what the selection and the manifest's
/// counts read, and the rule's item of `rules.json`, already serialized. Serializing in the
/// parallel per-file pass means a large rule set is never held as trees of strings (for
/// 100,000 rules, ~100 MB instead of ~350 MB).
#[derive(Debug, Clone, PartialEq)]
pub struct PackedRule {
    pub id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub expires: Option<String>,
    /// Distinct values per indicator type, summed over the groups, by type name.
    pub indicators_by_type: Vec<(&'static str, u64)>,
    /// The rule's item of `rules.json`: compact JSON.
    pub json: Box<[u8]>,
}

impl PackedRule {
    /// Packs a rule compiled by [`compile_view`]: the same as [`PackedRule::new`] of its
    /// [`RuleView::to_owned`], without copying its strings into a [`CompiledRule`] first.
    pub fn of_view(rule: &RuleView<'_>) -> PackedRule {
        let mut indicators_by_type: Vec<(&'static str, u64)> = Vec::new();
        for (_, types) in &rule.groups {
            for (ty, values) in types {
                match indicators_by_type.iter_mut().find(|(n, _)| *n == ty.name()) {
                    Some((_, c)) => *c += values.len() as u64,
                    None => indicators_by_type.push((ty.name(), values.len() as u64)),
                }
            }
        }
        // Compact JSON is a little shorter than the source text it comes from.
        let mut json = Vec::with_capacity(rule.size_hint);
        serde_json::to_writer(&mut json, rule).expect("a compiled rule serializes");
        PackedRule {
            id: rule.id.to_string(),
            title: rule.title.to_string(),
            status: rule.status.to_string(),
            severity: rule.severity.to_string(),
            expires: rule.expires.map(str::to_string),
            indicators_by_type,
            json: json.into_boxed_slice(),
        }
    }

    pub fn new(rule: CompiledRule) -> PackedRule {
        let mut indicators_by_type: Vec<(&'static str, u64)> = Vec::new();
        for types in rule.groups.values() {
            for (name, values) in types {
                let Some(ty) = IndicatorType::ALL.iter().find(|t| t.name() == name) else {
                    continue;
                };
                match indicators_by_type.iter_mut().find(|(n, _)| *n == ty.name()) {
                    Some((_, c)) => *c += values.len() as u64,
                    None => indicators_by_type.push((ty.name(), values.len() as u64)),
                }
            }
        }
        let json = serde_json::to_vec(&rule)
            .expect("a compiled rule serializes")
            .into_boxed_slice();
        PackedRule {
            id: rule.id,
            title: rule.title,
            status: rule.status,
            severity: rule.severity,
            expires: rule.expires,
            indicators_by_type,
            json,
        }
    }
}

/// What one rule file compiles to.
#[derive(Debug, Clone)]
pub enum CompiledFile {
    /// A native rule file: one rule.
    Native(Result<PackedRule, String>),
    /// A Sigma file: one result per document.
    Sigma(Vec<Result<SigmaEntry, String>>),
}

/// The selected rules of both kinds.
#[derive(Debug, Clone)]
pub struct Selected {
    /// Sorted by id.
    pub native: Vec<PackedRule>,
    pub sigma: SigmaSet,
    pub excluded: Excluded,
}

/// Compiles one parsed file of either kind (the per-file hook of the bundle's lint pass).
pub fn compile_parsed(file: ParsedRef<'_>) -> CompiledFile {
    match file {
        ParsedRef::Native(f) => {
            CompiledFile::Native(compile_view(f).map(|r| PackedRule::of_view(&r)))
        }
        ParsedRef::Sigma(f) => CompiledFile::Sigma(super::sigma::compile_file(f)),
    }
}

/// The matching kind of a type, as named in `rules.json`.
pub fn matching_kind(ty: IndicatorType) -> &'static str {
    match ty.syntax() {
        Syntax::Hash(_) => "exact_hex",
        Syntax::Glob {
            case_insensitive: true,
        } => "glob_case_insensitive",
        Syntax::Glob {
            case_insensitive: false,
        } => "glob_case_sensitive",
        Syntax::Url => "url",
        Syntax::Domain => "domain",
        Syntax::Ip => "cidr",
        Syntax::Email => "email",
    }
}

/// The `types` table of `rules.json`.
pub fn type_table() -> BTreeMap<String, TypeInfo> {
    IndicatorType::ALL
        .iter()
        .map(|&ty| {
            (
                ty.name().to_string(),
                TypeInfo {
                    matching: matching_kind(ty).to_string(),
                    regex_allowed: ty.allows_regex(),
                    ecs_fields: ty.ecs_fields().iter().map(|f| f.to_string()).collect(),
                },
            )
        })
        .collect()
}

/// Compiles one parsed rule file. Errors name the file, line and column; they only occur
/// when lint errors were ignored (the bundle command refuses to build on lint errors).
pub fn compile_rule(file: &RuleFile) -> Result<CompiledRule, String> {
    compile_view(file).map(|r| r.to_owned())
}

/// One group of a [`RuleView`]: its name, and its types (by name) with their values (sorted).
type GroupView<'a> = (&'a str, Vec<(IndicatorType, Vec<&'a str>)>);

/// A native rule compiled ([`compile_rule`]), its strings borrowed from the parsed file:
/// serializes to the same JSON as the [`CompiledRule`] of [`RuleView::to_owned`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    status: &'a str,
    severity: &'a str,
    confidence: Option<&'a str>,
    tlp: Option<&'a str>,
    tags: Vec<&'a str>,
    references: Vec<&'a str>,
    expires: Option<&'a str>,
    condition: String,
    #[serde(serialize_with = "groups_as_maps")]
    groups: Vec<GroupView<'a>>,
    /// The length of the rule's source text (a guess at its JSON's).
    #[serde(skip)]
    size_hint: usize,
}

/// Groups (sorted by name, each type's values sorted) as the nested JSON objects of
/// `rules.json`: group name → type name → values.
fn groups_as_maps<S: serde::Serializer>(groups: &[GroupView<'_>], s: S) -> Result<S::Ok, S::Error> {
    struct Types<'r, 'a>(&'r [(IndicatorType, Vec<&'a str>)]);
    impl Serialize for Types<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|(ty, values)| (ty.name(), values)))
        }
    }
    s.collect_map(groups.iter().map(|(name, types)| (*name, Types(types))))
}

impl RuleView<'_> {
    /// The rule with its own strings.
    pub fn to_owned(&self) -> CompiledRule {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CompiledRule {
            id: self.id.to_string(),
            title: self.title.to_string(),
            status: self.status.to_string(),
            severity: self.severity.to_string(),
            confidence: self.confidence.map(str::to_string),
            tlp: self.tlp.map(str::to_string),
            tags: own(&self.tags),
            references: own(&self.references),
            expires: self.expires.map(str::to_string),
            condition: self.condition.clone(),
            groups: self
                .groups
                .iter()
                .map(|(name, types)| {
                    let types = types
                        .iter()
                        .map(|(ty, values)| (ty.name().to_string(), own(values)))
                        .collect();
                    (name.to_string(), types)
                })
                .collect(),
        }
    }
}

/// Whether `id` is a UUID in its canonical form: lower-case hex, hyphenated (what
/// `uuid::Uuid::parse_str(id)` reads and `hyphenated()` writes back as `id`).
fn is_canonical_uuid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// [`compile_rule`], borrowing the rule's strings.
pub fn compile_view<'a>(file: &'a RuleFile) -> Result<RuleView<'a>, String> {
    let src = &file.source;
    let at = |span: crate::Span| {
        let lc = src.line_col(span.start);
        format!("{}:{}:{}", src.path, lc.line, lc.column)
    };
    let rule: &Rule = match &file.parsed {
        Ok((_, r)) => r,
        Err(e) => return Err(format!("{}: {}", at(e.span), e.message)),
    };
    fn opt(f: &Option<Spanned<String>>) -> Option<&str> {
        f.as_ref().map(|s| s.value.as_str())
    }
    let required = |f: &'a Option<Spanned<String>>, key: &str| -> Result<&'a str, String> {
        opt(f).ok_or_else(|| format!("{}: the rule has no `{key}`", src.path))
    };
    let id = required(&rule.id, "id")?;
    if !is_canonical_uuid(id) {
        let span = rule.id.as_ref().map(|s| s.span).unwrap_or(rule.span);
        return Err(format!(
            "{}: `id` is not a canonical lower-case UUID",
            at(span)
        ));
    }
    // Written from the rule's parsed condition in place (no copy of the tree).
    let condition = rule
        .condition_expr()
        .as_ref()
        .map_err(|e| {
            let span = rule.condition.as_ref().map(|c| c.span).unwrap_or(rule.span);
            format!("{}: condition: {e}", at(span))
        })?
        .to_string();
    if rule.indicators.is_empty() {
        return Err(format!("{}: the rule has no indicators", src.path));
    }
    let mut groups: Vec<GroupView<'a>> = Vec::with_capacity(rule.indicators.len());
    for g in &rule.indicators {
        let mut types: Vec<(IndicatorType, Vec<&str>)> = Vec::with_capacity(g.types.len());
        for t in &g.types {
            let Some(ty) = t.ty else {
                return Err(format!(
                    "{}: unknown indicator type `{}`",
                    at(t.span),
                    t.key
                ));
            };
            let mut values = Vec::with_capacity(t.values.len());
            for v in &t.values {
                if let Checked::Invalid(msg) = &v.checked {
                    return Err(format!(
                        "{}: invalid `{}` value `{}`: {msg}",
                        at(v.span),
                        ty.name(),
                        v.raw
                    ));
                }
                values.push(v.canonical());
            }
            if values.is_empty() {
                return Err(format!(
                    "{}: `{}` in group `{}` has no values",
                    at(t.span),
                    ty.name(),
                    g.name
                ));
            }
            match types.iter_mut().find(|(t, _)| *t == ty) {
                Some((_, all)) => all.extend(values),
                None => types.push((ty, values)),
            }
        }
        // By type name, values sorted and without duplicates (as in a map of sets).
        types.sort_unstable_by_key(|(ty, _)| ty.name());
        for (_, v) in &mut types {
            v.sort_unstable();
            v.dedup();
        }
        if types.is_empty() {
            return Err(format!("{}: group `{}` is empty", at(g.span), g.name));
        }
        groups.push((g.name.as_str(), types));
    }
    // By name; of groups with the same name the last one stands (as in a map).
    groups.reverse();
    groups.sort_by_key(|(name, _)| *name);
    groups.dedup_by_key(|(name, _)| *name);
    let mut tags: Vec<&str> = rule.tags.iter().map(|t| t.value.as_str()).collect();
    tags.sort_unstable();
    tags.dedup();
    Ok(RuleView {
        id,
        title: required(&rule.title, "title")?,
        status: required(&rule.status, "status")?,
        severity: required(&rule.severity, "severity")?,
        confidence: opt(&rule.confidence),
        tlp: opt(&rule.tlp),
        tags,
        references: rule.references.iter().map(|r| r.value.as_str()).collect(),
        expires: opt(&rule.expires),
        condition,
        groups,
        size_hint: src.text.len(),
    })
}

/// Reads, parses (as the kind `kinds` or the file's shape gives) and compiles every input
/// (in parallel), keeps the selected rules and sorts them by id. Errors: every problem found,
/// one line each.
pub fn compile_all(
    inputs: &[Input],
    max_file_size: u64,
    kinds: &KindPatterns,
    sel: &Selection,
) -> Result<Selected, Vec<String>> {
    let results: Vec<CompiledFile> = inputs
        .par_iter()
        .map(|input| {
            let source = match load::read(input, max_file_size) {
                Ok(Ok(s)) => s,
                Ok(Err((e, _))) => {
                    return CompiledFile::Native(Err(format!("{}: {e}", input.path)))
                }
                Err(e) => return CompiledFile::Native(Err(e.to_string())),
            };
            match parse_source(source, kinds) {
                Parsed::Native(f) => compile_parsed(ParsedRef::Native(&f)),
                Parsed::Sigma(f) => compile_parsed(ParsedRef::Sigma(&f)),
            }
        })
        .collect();
    select(results, sel)
}

/// Applies the bundle selection to compiled files: native rules by status and expiry, Sigma
/// documents by status (a document without a status, such as a filter, is always kept);
/// checks ids are unique across both kinds; sorts each kind by id.
pub fn select(results: Vec<CompiledFile>, sel: &Selection) -> Result<Selected, Vec<String>> {
    let mut errors = Vec::new();
    let mut rules = Vec::with_capacity(results.len());
    let mut sigma = Vec::new();
    let mut excluded = Excluded::default();
    for file in results {
        let r = match file {
            CompiledFile::Native(r) => r,
            CompiledFile::Sigma(docs) => {
                for d in docs {
                    match d {
                        Ok(doc) => {
                            if sel.keeps_sigma(doc.status.as_deref()) {
                                sigma.push(doc);
                            } else {
                                excluded.sigma_by_status += 1;
                            }
                        }
                        Err(e) => errors.push(e),
                    }
                }
                continue;
            }
        };
        match r {
            Ok(rule) => match sel.judge(&rule.id, &rule.status, rule.expires.as_deref()) {
                Ok(None) => rules.push(rule),
                Ok(Some(why)) => excluded.add(why),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    // By cached key: the sort moves (id, index) pairs, then each rule moves once.
    rules.sort_by_cached_key(|r| r.id.clone());
    sigma.sort_by_cached_key(|d| d.id.clone());
    errors.extend(duplicate_ids(
        rules
            .iter()
            .map(|r| (r.id.as_str(), "rule", r.title.as_str()))
            .chain(
                sigma
                    .iter()
                    .map(|d| (d.id.as_str(), "Sigma document", d.title.as_str())),
            )
            .collect(),
    ));
    if !errors.is_empty() {
        errors.sort();
        errors.dedup();
        return Err(errors);
    }
    Ok(Selected {
        native: rules,
        sigma: SigmaSet {
            format_version: super::FORMAT_VERSION,
            rules: sigma,
        },
        excluded,
    })
}

/// The canonical bytes of `rules.json`: compact JSON and a final newline.
pub fn to_json(set: &RuleSet) -> Vec<u8> {
    let head = RuleSet {
        format_version: set.format_version,
        types: set.types.clone(),
        rules: Vec::new(),
    };
    canonical_json_list(&head, &set.rules)
}

/// The opening of `rules.json` for a bundle of this format version (every type), up to and
/// including the `[` of its rule list: the first piece of [`rules_json_pieces`].
pub fn rules_json_open() -> Vec<u8> {
    list_open(&RuleSet {
        format_version: super::FORMAT_VERSION,
        types: type_table(),
        rules: Vec::new(),
    })
}

/// The bytes of [`to_json`] of a bundle's rule set made of the packed rules, in their order,
/// as consecutive pieces (`open` from [`rules_json_open`], each rule's item, commas, the
/// closing), so that tens of megabytes of rules are hashed and compressed where they lie
/// instead of being copied into one buffer first.
pub fn rules_json_pieces<'a>(open: &'a [u8], rules: &'a [PackedRule]) -> Vec<&'a [u8]> {
    list_pieces(open, rules.iter().map(|r| &*r.json))
}

/// [`canonical_json`] of a member whose last field is a list, given the member with that
/// list empty (`head`) and the items: the same bytes, with the items serialized in parallel
/// (a large rule set is tens of megabytes of JSON).
pub(crate) fn canonical_json_list<T: Serialize + Sync>(
    head: &impl Serialize,
    items: &[T],
) -> Vec<u8> {
    let chunks: Vec<Vec<u8>> = items
        .par_chunks(256)
        .map(|chunk| {
            let mut buf = Vec::new();
            for (k, item) in chunk.iter().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, item).expect("bundle member serializes");
            }
            buf
        })
        .collect();
    let open = list_open(head);
    list_pieces(&open, chunks.iter().map(Vec::as_slice)).concat()
}

/// A member whose last field is a list, serialized with that list empty (`head`), cut after
/// the list's `[`.
fn list_open(head: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec(head).expect("bundle member serializes");
    assert!(out.ends_with(b"[]}"), "the list is the member's last field");
    out.truncate(out.len() - 2);
    out
}

/// The pieces of a member from its [`list_open`] and the items' (or runs of items')
/// serialized bytes: commas between them, then the closing and a final newline.
fn list_pieces<'a>(open: &'a [u8], parts: impl Iterator<Item = &'a [u8]>) -> Vec<&'a [u8]> {
    let mut pieces = vec![open];
    for (k, part) in parts.enumerate() {
        if k > 0 {
            pieces.push(b",");
        }
        pieces.push(part);
    }
    pieces.push(b"]}\n");
    pieces
}

/// The canonical bytes of a bundle member: compact JSON and a final newline. (The reference
/// [`canonical_json_list`] must match.)
#[cfg(test)]
pub(crate) fn canonical_json(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec(value).expect("bundle member serializes");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    const RULE: &str = "id: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d
title: Test rule for the compiler
status: test
severity: high
author: me
created: 2020-01-01
modified: 2020-01-01
description: a description that is long enough for the linter to accept it
tags: [malware.b, actor.a, malware.b]
indicators:
  net:
    domain: [Example.COM., '*.evil.example']
    ip: [10.0.0.1/8, 10.0.0.0/8]
  cmd:
    command_line: ['regex:(?i)whoami', '*foo*']
condition: net or   cmd
";

    #[test]
    fn normalizes_values_and_order() {
        let f = RuleFile::parse(SourceFile::new("rules/a.yml", RULE));
        let r = compile_rule(&f).unwrap();
        assert_eq!(r.tags, vec!["actor.a", "malware.b"]);
        assert_eq!(r.condition, "net or cmd");
        assert_eq!(
            r.groups["net"]["domain"],
            vec!["*.evil.example", "example.com"]
        );
        assert_eq!(r.groups["net"]["ip"], vec!["10.0.0.0/8"]);
        assert_eq!(
            r.groups["cmd"]["command_line"],
            vec!["*foo*", "regex:(?i)whoami"]
        );
        assert_eq!(r.confidence, None);
        let keys: Vec<_> = r.groups.keys().collect();
        assert_eq!(keys, vec!["cmd", "net"]);
    }

    #[test]
    fn invalid_values_name_the_place() {
        let bad = RULE.replace("10.0.0.1/8", "10.0.0.300");
        let f = RuleFile::parse(SourceFile::new("rules/a.yml", bad));
        let e = compile_rule(&f).unwrap_err();
        assert!(e.starts_with("rules/a.yml:13:"), "{e}");
        assert!(e.contains("10.0.0.300"), "{e}");
    }

    #[test]
    fn rules_json_is_the_set_serialized_whole() {
        let f = RuleFile::parse(SourceFile::new("rules/a.yml", RULE));
        let rule = compile_rule(&f).unwrap();
        for n in [0, 1, 2, 255, 256, 257, 600] {
            let set = RuleSet {
                format_version: super::super::FORMAT_VERSION,
                types: type_table(),
                rules: (0..n)
                    .map(|i| CompiledRule {
                        id: format!("{i:08}-0000-4000-8000-000000000000"),
                        ..rule.clone()
                    })
                    .collect(),
            };
            assert_eq!(to_json(&set), canonical_json(&set), "{n} rules");
            let packed: Vec<PackedRule> = set.rules.iter().cloned().map(PackedRule::new).collect();
            let open = rules_json_open();
            assert_eq!(
                rules_json_pieces(&open, &packed).concat(),
                canonical_json(&set),
                "{n} packed rules"
            );
        }
    }

    /// The borrowed compile packs exactly as the owned one: same JSON bytes, same counts.
    #[test]
    fn views_pack_like_compiled_rules() {
        let variants = [
            RULE.to_string(),
            RULE.replace("tags: [malware.b, actor.a, malware.b]\n", "")
                .replace("author: me\n", "confidence: high\ntlp: amber\nexpires: 2030-01-01\n"),
            RULE.replace("condition: net or   cmd\n", "")
                .replace("Test rule", "Test \"rule\" \u{e9}\\ \t"),
            RULE.replace(
                "  cmd:\n",
                "  aaa:\n    sha256: [E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855]\n  cmd:\n",
            ),
        ];
        for text in &variants {
            let f = RuleFile::parse(SourceFile::new("rules/a.yml", text.as_str()));
            let view = compile_view(&f).unwrap();
            let owned = compile_rule(&f).unwrap();
            assert_eq!(view.to_owned(), owned);
            assert_eq!(
                serde_json::to_vec(&view).unwrap(),
                serde_json::to_vec(&owned).unwrap(),
                "{text}"
            );
            assert_eq!(PackedRule::of_view(&view), PackedRule::new(owned), "{text}");
        }
    }

    #[test]
    fn canonical_uuids_are_what_the_uuid_crate_writes_back() {
        for id in [
            "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
            "1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D",
            "1a2b3c4d5e6f4a8b9c0d1e2f3a4b5c6d",
            "{1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d}",
            "urn:uuid:1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
            "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6",
            "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6g",
            "1a2b3c4d-5e6f-4a8b-9c0d1-e2f3a4b5c6d",
            "00000000-0000-0000-0000-000000000000",
            "",
        ] {
            let by_crate =
                uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id);
            assert_eq!(is_canonical_uuid(id), by_crate, "{id}");
        }
    }

    #[test]
    fn type_table_covers_every_type() {
        let t = type_table();
        assert_eq!(t.len(), IndicatorType::ALL.len());
        assert_eq!(t["ip"].matching, "cidr");
        assert_eq!(t["sha256"].ecs_fields[0], "file.hash.sha256");
        assert!(!t["md5"].regex_allowed);
    }
}
