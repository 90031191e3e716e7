//! What the repository-wide checks share: grouping rules that hold the same key (RF401,
//! RF404, RF690, RF691, RF692), finding `related` ids that no rule has (RF403, RF693), the
//! one way titles are compared (RF404, RF691), and the [`Keyed`] form of every
//! repository-wide check, which both a whole run and an incremental index
//! (`crate::lint::repo_index`) use.

use super::prelude::*;
use crate::kind::RuleKind;
use std::borrow::Cow;
use std::hash::Hash;

/// A repository-wide check whose findings for a key depend only on the rules that hold that
/// key (an id, a title, an indicator value, a referenced id): the findings of the whole rule
/// set are the findings of each key, and an edit of one file changes only the findings of
/// the keys its rules held before and hold after.
pub trait Keyed {
    /// The check.
    const RULE: &'static LintRule;
    /// The rules it reads (native rules or Sigma documents).
    const KIND: RuleKind;
    /// Whether a key held by one rule alone can have findings (an unknown reference) or
    /// only keys held by several rules can (duplicates).
    const ALONE: bool;
    /// What a key is.
    type Key<'a>: Hash + Eq + Ord;
    /// Calls `f` with each key `r` holds (a key may come more than once): the lint cache
    /// hashes them straight into a file's marks, without a list of keys.
    fn each_key<'a>(r: &'a RuleSummary, f: impl FnMut(Self::Key<'a>));
    /// The keys `r` holds, appended to `out` (a key may come more than once).
    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>) {
        Self::each_key(r, |k| out.push(k));
    }
    /// The findings for `key`, given every rule that holds it, in rule-set order.
    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>);
}

/// The check and the rules a [`Keyed`] check shared by native rules and Sigma documents
/// serves ([`SameId`], [`UnknownRelated`]).
pub trait Scope {
    /// The check.
    const RULE: &'static LintRule;
    /// The rules it reads.
    const KIND: RuleKind;
    /// What its messages call those rules ("rule", "Sigma rule").
    const NOUN: &'static str;
}

/// Two rules with the same id (RF401, RF690), keyed by the id.
pub struct SameId<S>(std::marker::PhantomData<S>);

impl<S: Scope> Keyed for SameId<S> {
    const RULE: &'static LintRule = S::RULE;
    const KIND: RuleKind = S::KIND;
    const ALONE: bool = false;
    type Key<'a> = &'a str;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        if let Some(id) = &r.id {
            f(id.value.as_str());
        }
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let group = holders_of(holders, |r| {
            r.id.as_ref()
                .filter(|id| id.value == *key)
                .map(|id| Some(id.span))
        });
        if group.len() > 1 {
            report_duplicates(S::RULE, "id", &group, |_| key, out);
        }
    }
}

/// A `related` entry naming an id no rule has (RF403, RF693), keyed by the id: which rules
/// have and `related` entries name.
pub struct UnknownRelated<S>(std::marker::PhantomData<S>);

impl<S: Scope> Keyed for UnknownRelated<S> {
    const RULE: &'static LintRule = S::RULE;
    const KIND: RuleKind = S::KIND;
    const ALONE: bool = true;
    type Key<'a> = &'a str;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        if let Some(id) = &r.id {
            f(id.value.as_str());
        }
        r.related
            .iter()
            .map(|rel| rel.value.as_str())
            .for_each(&mut f);
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        if holders
            .iter()
            .any(|r| r.id.as_ref().is_some_and(|id| id.value == *key))
        {
            return;
        }
        for r in holders {
            for rel in r.related.iter().filter(|rel| rel.value == *key) {
                out.push(S::RULE.diagnostic(
                    &r.path,
                    Some(rel.span),
                    format!(
                        "related id `{}` is not the id of any {} in the repository",
                        rel.value,
                        S::NOUN
                    ),
                ));
            }
        }
    }
}

/// Runs a [`Keyed`] check over the whole rule set: every key, in key order, with the rules
/// that hold it.
pub fn run_keyed<C: Keyed>(rules: &[RuleSummary], out: &mut Vec<Diagnostic>) {
    // Most keys have one holder: it is kept inline, and a list is allocated for the others
    // only when a second rule holds the key.
    type Holders<'a> = (&'a RuleSummary, Vec<&'a RuleSummary>);
    let mut groups: FxHashMap<C::Key<'_>, Holders<'_>> = FxHashMap::default();
    groups.reserve(rules.len());
    let mut keys = Vec::new();
    for r in rules.iter().filter(|r| r.kind == C::KIND) {
        C::keys(r, &mut keys);
        for k in keys.drain(..) {
            match groups.entry(k) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert((r, Vec::new()));
                }
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let (first, more) = e.get_mut();
                    let last = more.last().unwrap_or(first);
                    if !std::ptr::eq(*last, r) {
                        more.push(r);
                    }
                }
            }
        }
    }
    let mut groups: Vec<_> = groups
        .into_iter()
        .filter(|(_, (_, more))| C::ALONE || !more.is_empty())
        .collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut all = Vec::new();
    for (key, (first, more)) in groups {
        let holders = if more.is_empty() {
            std::slice::from_ref(&first)
        } else {
            all.clear();
            all.push(first);
            all.extend(more);
            &all[..]
        };
        C::findings(&key, holders, out);
    }
}

/// The holders of a key among `holders`: `place` gives where a rule holds the key
/// (`Some(None)`: the file as a whole; `None`: it does not). A holder is counted once: the
/// same rule file and span given twice (a file name, which every document of a Sigma file
/// shares) is one holder. In the order of `holders`.
pub fn holders_of<'a>(
    holders: &[&'a RuleSummary],
    place: impl Fn(&'a RuleSummary) -> Option<Option<Span>>,
) -> Vec<Holder<'a>> {
    let mut group: Vec<Holder<'a>> = Vec::new();
    for r in holders {
        if let Some(span) = place(r) {
            let holder = (*r, span);
            if !group.iter().any(|h| same_holder(h, &holder)) {
                group.push(holder);
            }
        }
    }
    group
}

/// One holder of a key: a rule and where the key is in its file (`None`: the file as a whole).
pub type Holder<'a> = (&'a RuleSummary, Option<Span>);

fn same_holder(a: &Holder<'_>, b: &Holder<'_>) -> bool {
    a.0.path == b.0.path && a.1 == b.1
}

/// Each holder of a group with the other holders.
pub fn with_others<'g, 'a>(
    group: &'g [Holder<'a>],
) -> impl Iterator<Item = (&'g Holder<'a>, Vec<&'g Holder<'a>>)> {
    group.iter().map(move |h| {
        let others = group.iter().filter(|o| !same_holder(o, h)).collect();
        (h, others)
    })
}

/// Reports every holder of a duplicated key: "{what} `{key}` is also used by {paths}", at the
/// holder's key, with each other holder as a related place ("the same {what}"). `shown`
/// gives the key as the holder wrote it.
pub fn report_duplicates<'a>(
    rule: &LintRule,
    what: &str,
    group: &[Holder<'a>],
    shown: impl Fn(&'a RuleSummary) -> &'a str,
    out: &mut Vec<Diagnostic>,
) {
    for ((r, span), others) in with_others(group) {
        let paths: Vec<&str> = others.iter().map(|(o, _)| o.path.as_str()).collect();
        let mut d = rule.diagnostic(
            &r.path,
            *span,
            format!("{what} `{}` is also used by {}", shown(r), paths.join(", ")),
        );
        for (o, s) in others {
            d = d.with_related(Related {
                path: o.path.clone(),
                span: *s,
                message: format!("the same {what}"),
            });
        }
        out.push(d);
    }
}

/// How titles are compared: two titles are the same when they are equal after trimming
/// surrounding white space and lower-casing (`Web Shell` and `web shell ` cannot be told apart
/// in an alert list).
pub fn title_key(title: &str) -> Cow<'_, str> {
    let trimmed = title.trim();
    if trimmed.chars().any(char::is_uppercase) {
        Cow::Owned(trimmed.to_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rule::RuleFile;
    use crate::sigma::SigmaFile;
    use crate::source::SourceFile;

    fn native(path: &str, title: &str) -> RuleSummary {
        let text = format!("id: {path}\ntitle: '{title}'\nindicators: {{}}\n");
        let file = RuleFile::parse(SourceFile::new(path, text));
        RuleSummary::from_rule(path, file.rule().unwrap())
    }

    fn sigma(path: &str, title: &str) -> RuleSummary {
        let text = format!("title: '{title}'\nlogsource: {{}}\ndetection: {{}}\n");
        let file = SigmaFile::parse(SourceFile::new(path, text));
        let summary = RuleSummary::from_sigma(path, file.rules().next().unwrap());
        summary
    }

    /// RF404 (native) and RF691 (Sigma) compare titles the same way: they once disagreed
    /// (RF691 compared them exactly).
    #[test]
    fn both_kinds_find_titles_that_differ_in_case_or_spaces() {
        let rules = [
            native("a.yml", "Web Shell Drop"),
            native("b.yml", "web shell drop "),
            native("c.yml", "Web Shell Drops"),
        ];
        let docs = [
            sigma("x.yml", "Web Shell Drop"),
            sigma("y.yml", " WEB SHELL DROP"),
            sigma("z.yml", "Web Shell Drops"),
        ];
        let cx = RepoContext {
            rules: &rules,
            sigma: &docs,
        };
        let mut out = Vec::new();
        super::super::rf404_duplicate_title::check(&cx, &mut out);
        super::super::rf691_sigma_duplicate_title::check(&cx, &mut out);
        let mut found: Vec<(&str, &str)> = out.iter().map(|d| (d.code, d.path.as_str())).collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("RF404", "a.yml"),
                ("RF404", "b.yml"),
                ("RF691", "x.yml"),
                ("RF691", "y.yml")
            ]
        );
        // Each finding shows the title as its own file writes it.
        let y = out.iter().find(|d| d.path == "y.yml").unwrap();
        assert_eq!(y.message, "title ` WEB SHELL DROP` is also used by x.yml");
    }

    /// Every key with every holder, in rule order, a holder once however often it holds
    /// the key: what `run_keyed` hands each check, as a plain map of lists gives it.
    #[test]
    fn keyed_checks_see_every_holder_of_a_key() {
        fn reference<C: Keyed>(rules: &[RuleSummary]) -> Vec<Diagnostic> {
            let mut groups: BTreeMap<C::Key<'_>, Vec<&RuleSummary>> = BTreeMap::new();
            for r in rules.iter().filter(|r| r.kind == C::KIND) {
                let mut keys = Vec::new();
                C::keys(r, &mut keys);
                for k in keys {
                    let holders = groups.entry(k).or_default();
                    if !holders.iter().any(|h| std::ptr::eq(*h, r)) {
                        holders.push(r);
                    }
                }
            }
            let mut out = Vec::new();
            for (key, holders) in groups {
                if C::ALONE || holders.len() > 1 {
                    C::findings(&key, &holders, &mut out);
                }
            }
            out
        }
        let id = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
        let mut rules = Vec::new();
        for n in 0..40u32 {
            let related: String = [n % 7, (n + 3) % 50, n % 7]
                .iter()
                .map(|r| format!("  - {{id: {}, type: derived}}\n", id(*r)))
                .collect();
            let text = format!(
                "id: {}\ntitle: Title {}\nrelated:\n{related}indicators: {{}}\n",
                id(n % 13),
                n % 9
            );
            let path = format!("r{n}.yml");
            let file = RuleFile::parse(SourceFile::new(path.clone(), text));
            rules.push(RuleSummary::from_rule(&path, file.rule().unwrap()));
        }
        use crate::lint::rules::{
            rf401_duplicate_id, rf403_unknown_related_id, rf404_duplicate_title,
        };
        fn check<C: Keyed>(rules: &[RuleSummary]) {
            let mut out = Vec::new();
            run_keyed::<C>(rules, &mut out);
            assert!(!out.is_empty(), "{}", C::RULE.code);
            assert_eq!(out, reference::<C>(rules), "{}", C::RULE.code);
        }
        check::<rf401_duplicate_id::Keys>(&rules);
        check::<rf403_unknown_related_id::Keys>(&rules);
        check::<rf404_duplicate_title::Keys>(&rules);
    }

    #[test]
    fn titles_compare_trimmed_and_case_insensitively() {
        assert_eq!(title_key("  Web Shell "), title_key("web shell"));
        assert_eq!(title_key("ÉTÉ"), title_key("été"));
        assert_ne!(title_key("Web Shell"), title_key("Web  Shell"));
        assert!(matches!(title_key("already plain"), Cow::Borrowed(_)));
    }
}
