//! ATT&CK coverage: which techniques and tactics the rules' `attack.*` tags cover, with how
//! many rules of which status and severity, and which techniques only experimental or
//! deprecated rules cover. Native rules and Sigma rules count alike (Sigma's `level` is the
//! severity). Names come from the ATT&CK table embedded in the binary ([`attack`]); an id the
//! table does not know is reported as written, never guessed.
//!
//! Renderers, one file each: text and Markdown ([`text`]), JSON ([`json`]), an ATT&CK
//! Navigator layer ([`navigator`]), and a tactic-by-technique heatmap as SVG or HTML
//! ([`heatmap`]).

pub mod attack;
pub mod heatmap;
pub mod json;
pub mod navigator;
pub mod text;

use crate::kind::{KindPatterns, RuleKind};
use crate::load::{self, Input, IoError};
use crate::yaml::Node;
use attack::{Attack, Standing};
use std::collections::{BTreeMap, BTreeSet};

/// The facts of one rule that coverage uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub path: String,
    pub id: String,
    pub title: String,
    pub kind: RuleKind,
    /// `stable`, `test`, `experimental`, `deprecated` (Sigma also `unsupported`); empty when
    /// missing.
    pub status: String,
    /// `info`, `low`, `medium`, `high`, `critical` (Sigma's `informational` reads `info`).
    pub severity: String,
    /// The rule's `attack.*` tags, lower-case.
    pub tags: Vec<String>,
}

impl RuleInfo {
    /// Only an experimental or deprecated rule: coverage that is not to be relied on yet.
    pub fn is_weak(&self) -> bool {
        matches!(
            self.status.as_str(),
            "experimental" | "deprecated" | "unsupported"
        )
    }
}

/// One technique some rule is tagged with.
#[derive(Debug, Clone)]
pub struct TechniqueCoverage {
    /// `T1059.001`.
    pub id: String,
    /// `None` when the ATT&CK data does not know the id.
    pub name: Option<String>,
    /// Tactic shortnames, from the ATT&CK data.
    pub tactics: Vec<String>,
    /// `None` when current; `deprecated` or `revoked` (with the replacement) otherwise.
    pub standing: Option<Standing>,
    /// Indexes into [`Coverage::rules`].
    pub rules: Vec<usize>,
    pub by_status: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    /// Every rule that covers it is experimental or deprecated.
    pub weak: bool,
}

/// One ATT&CK tactic.
#[derive(Debug, Clone)]
pub struct TacticCoverage {
    pub id: String,
    pub shortname: String,
    pub name: String,
    /// Current (not revoked, not deprecated) techniques of this tactic, sub-techniques not
    /// counted.
    pub techniques_total: usize,
    /// Of those, the ones a rule covers, itself or through one of its sub-techniques.
    pub techniques_covered: usize,
    /// Rules tagged with the tactic or with one of its techniques.
    pub rules: usize,
}

/// A tag the ATT&CK data does not know.
#[derive(Debug, Clone)]
pub struct UnknownTag {
    pub tag: String,
    pub rules: Vec<usize>,
}

/// The coverage of a rule set.
#[derive(Debug)]
pub struct Coverage {
    pub attack: &'static Attack,
    /// Every rule read, tagged or not, sorted by path.
    pub rules: Vec<RuleInfo>,
    pub tactics: Vec<TacticCoverage>,
    /// Tagged techniques, sorted by id.
    pub techniques: Vec<TechniqueCoverage>,
    /// Per current parent technique: the rules that cover it or one of its sub-techniques.
    pub parents: BTreeMap<String, BTreeSet<usize>>,
    pub unknown: Vec<UnknownTag>,
    /// Files that could not be read as rules (`path: reason`); `ruleforge lint` explains them.
    pub skipped: Vec<String>,
}

impl Coverage {
    /// Rules with at least one `attack.*` tag.
    pub fn tagged_rules(&self) -> usize {
        self.rules.iter().filter(|r| !r.tags.is_empty()).count()
    }

    /// Tactics with at least one covered technique or tagged rule.
    pub fn tactics_covered(&self) -> usize {
        self.tactics.iter().filter(|t| t.rules > 0).count()
    }
}

/// What an `attack.*` tag names.
enum TagRef {
    Technique(String),
    Tactic(String),
    /// Groups, software, mitigations (`attack.g0016`, `attack.s0154`, `attack.m1036`): not
    /// coverage.
    Other,
}

fn parse_tag(tag: &str) -> Option<TagRef> {
    let rest = tag.strip_prefix("attack.")?;
    let bytes = rest.as_bytes();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if bytes.first() == Some(&b't') && rest.len() >= 5 && digits(&rest[1..5], 4) {
        let ok = match rest.get(5..) {
            Some("") => true,
            Some(sub) => sub.strip_prefix('.').is_some_and(|s| digits(s, 3)),
            None => false,
        };
        if ok {
            return Some(TagRef::Technique(rest.to_ascii_uppercase()));
        }
    }
    if matches!(bytes.first(), Some(b'g' | b's' | b'm')) && rest.len() == 5 && digits(&rest[1..], 4)
    {
        return Some(TagRef::Other);
    }
    Some(TagRef::Tactic(rest.to_string()))
}

fn text_of(node: &Node, key: &str) -> String {
    node.get(key)
        .and_then(crate::rule::scalar_text)
        .unwrap_or_default()
}

/// The rules of one parsed document (a rule, or a Sigma document with a title).
fn rule_of(path: &str, kind: RuleKind, node: &Node) -> Option<RuleInfo> {
    node.as_map()?;
    let severity = match kind {
        RuleKind::Native => text_of(node, "severity"),
        RuleKind::Sigma => match text_of(node, "level").as_str() {
            "informational" => "info".to_string(),
            other => other.to_string(),
        },
    };
    let tags = node
        .get("tags")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(crate::rule::scalar_text)
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| t.starts_with("attack."))
        .collect();
    Some(RuleInfo {
        path: path.to_string(),
        id: text_of(node, "id"),
        title: text_of(node, "title"),
        kind,
        status: text_of(node, "status"),
        severity,
        tags,
    })
}

/// Reads the rules of `inputs`: every document of a Sigma file, the document of a native
/// rule. Files that do not parse are listed in the second vector.
pub fn read_rules(
    inputs: &[Input],
    kinds: &KindPatterns,
    max_size: u64,
) -> Result<(Vec<RuleInfo>, Vec<String>), IoError> {
    use rayon::prelude::*;
    let per_file: Vec<Result<Vec<RuleInfo>, String>> = inputs
        .par_iter()
        .map(|input| -> Result<_, IoError> {
            let src = match load::read(input, max_size)? {
                Ok(src) => src,
                Err((e, _)) => return Ok(Err(format!("{}: {e}", input.path))),
            };
            let docs = match crate::yaml::parse_documents(&src) {
                Ok(d) => d.nodes,
                Err(e) => return Ok(Err(format!("{}: {}", input.path, e.message))),
            };
            let kind = kinds
                .for_path(&input.path)
                .or_else(|| docs.first().and_then(crate::kind::detect))
                .unwrap_or(RuleKind::Native);
            let docs = if kind == RuleKind::Native {
                &docs[..docs.len().min(1)]
            } else {
                &docs[..]
            };
            Ok(Ok(docs
                .iter()
                .filter_map(|n| rule_of(&input.path, kind, n))
                .collect()))
        })
        .collect::<Result<_, _>>()?;
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    for file in per_file {
        match file {
            Ok(r) => rules.extend(r),
            Err(e) => skipped.push(e),
        }
    }
    Ok((rules, skipped))
}

/// Computes the coverage of `rules` against the ATT&CK table.
pub fn compute(attack: &'static Attack, rules: Vec<RuleInfo>, skipped: Vec<String>) -> Coverage {
    let mut techniques: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut tactic_rules: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); attack.tactics.len()];
    let mut unknown: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut parents: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (index, rule) in rules.iter().enumerate() {
        for tag in &rule.tags {
            match parse_tag(tag) {
                Some(TagRef::Technique(id)) => match attack.technique(&id) {
                    Some(t) => {
                        techniques.entry(id.clone()).or_default().insert(index);
                        for &tactic in &t.tactics {
                            tactic_rules[tactic].insert(index);
                        }
                        if t.standing == Standing::Current {
                            let parent = t.parent().unwrap_or(&t.id).to_string();
                            parents.entry(parent).or_default().insert(index);
                        }
                    }
                    None => {
                        unknown.entry(tag.clone()).or_default().insert(index);
                    }
                },
                Some(TagRef::Tactic(name)) => match attack.tactic_index(&name) {
                    Some(i) => {
                        tactic_rules[i].insert(index);
                    }
                    None => {
                        unknown.entry(tag.clone()).or_default().insert(index);
                    }
                },
                Some(TagRef::Other) | None => {}
            }
        }
    }
    let technique_rows = techniques
        .into_iter()
        .map(|(id, set)| {
            let known = attack.technique(&id);
            let rule_ids: Vec<usize> = set.into_iter().collect();
            let mut by_status = BTreeMap::new();
            let mut by_severity = BTreeMap::new();
            for &r in &rule_ids {
                *by_status.entry(rules[r].status.clone()).or_insert(0) += 1;
                *by_severity.entry(rules[r].severity.clone()).or_insert(0) += 1;
            }
            TechniqueCoverage {
                name: known.map(|t| t.name.clone()),
                tactics: known
                    .map(|t| {
                        t.tactics
                            .iter()
                            .map(|&i| attack.tactics[i].shortname.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                standing: known
                    .map(|t| t.standing.clone())
                    .filter(|s| *s != Standing::Current),
                weak: rule_ids.iter().all(|&r| rules[r].is_weak()),
                rules: rule_ids,
                by_status,
                by_severity,
                id,
            }
        })
        .collect();
    let tactics = attack
        .tactics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let in_tactic: Vec<&attack::Technique> = attack.column(i).collect();
            TacticCoverage {
                id: t.id.clone(),
                shortname: t.shortname.clone(),
                name: t.name.clone(),
                techniques_total: in_tactic.len(),
                techniques_covered: in_tactic
                    .iter()
                    .filter(|x| parents.contains_key(&x.id))
                    .count(),
                rules: tactic_rules[i].len(),
            }
        })
        .collect();
    Coverage {
        attack,
        rules,
        tactics,
        techniques: technique_rows,
        parents,
        unknown: unknown
            .into_iter()
            .map(|(tag, set)| UnknownTag {
                tag,
                rules: set.into_iter().collect(),
            })
            .collect(),
        skipped,
    }
}

/// "1 rule", "3 rules".
pub(crate) fn rules_word(n: usize) -> String {
    format!("{n} rule{}", if n == 1 { "" } else { "s" })
}

/// `stable 2, test 1` (counts in a fixed order: best first).
pub(crate) fn counts(map: &BTreeMap<String, usize>, order: &[&str]) -> String {
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|k| map.get(*k).map(|n| format!("{k} {n}")))
        .collect();
    parts.extend(
        map.iter()
            .filter(|(k, _)| !order.contains(&k.as_str()))
            .map(|(k, n)| {
                let k = if k.is_empty() { "none" } else { k };
                format!("{k} {n}")
            }),
    );
    parts.join(", ")
}

pub(crate) const STATUS_ORDER: [&str; 5] = [
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];
pub(crate) const SEVERITY_ORDER: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// A technique's standing in words (`revoked: use T1059.001`).
pub(crate) fn standing_text(s: &Standing) -> String {
    match s {
        Standing::Current => "current".into(),
        Standing::Deprecated => "deprecated".into(),
        Standing::Revoked(Some(by)) => format!("revoked: use {by}"),
        Standing::Revoked(None) => "revoked".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, status: &str, tags: &[&str]) -> RuleInfo {
        RuleInfo {
            path: format!("rules/{id}.yml"),
            id: id.into(),
            title: format!("Rule {id}"),
            kind: RuleKind::Native,
            status: status.into(),
            severity: "high".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn techniques_tactics_and_unknown_tags() {
        let c = compute(
            Attack::enterprise(),
            vec![
                rule("a", "stable", &["attack.t1059.001", "attack.execution"]),
                rule(
                    "b",
                    "experimental",
                    &["attack.t1190", "attack.initial_access"],
                ),
                rule(
                    "c",
                    "test",
                    &[
                        "attack.t1086",
                        "attack.t9999",
                        "attack.stealthy",
                        "attack.g0016",
                    ],
                ),
                rule("d", "stable", &[]),
            ],
            vec![],
        );
        let ids: Vec<&str> = c.techniques.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["T1059.001", "T1086", "T1190"]);
        assert!(c.techniques[2].weak && !c.techniques[0].weak);
        assert_eq!(
            c.techniques[1].standing,
            Some(Standing::Revoked(Some("T1059.001".into())))
        );
        let unknown: Vec<&str> = c.unknown.iter().map(|u| u.tag.as_str()).collect();
        assert_eq!(unknown, ["attack.stealthy", "attack.t9999"]);
        let execution = c
            .tactics
            .iter()
            .find(|t| t.shortname == "execution")
            .unwrap();
        assert_eq!((execution.techniques_covered, execution.rules), (1, 2));
        assert!(c.parents.contains_key("T1059") && !c.parents.contains_key("T1086"));
        assert_eq!(c.tagged_rules(), 3);
    }
}
