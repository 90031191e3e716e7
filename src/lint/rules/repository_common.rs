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
    /// The keys `r` holds (a key may come more than once).
    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>);
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

    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>) {
        out.extend(r.id.as_ref().map(|id| id.value.as_str()));
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

    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>) {
        out.extend(r.id.as_ref().map(|id| id.value.as_str()));
        out.extend(r.related.iter().map(|rel| rel.value.as_str()));
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
    let mut groups: FxHashMap<C::Key<'_>, Vec<&RuleSummary>> = FxHashMap::default();
    let mut keys = Vec::new();
    for r in rules.iter().filter(|r| r.kind == C::KIND) {
        C::keys(r, &mut keys);
        for k in keys.drain(..) {
            let holders = groups.entry(k).or_default();
            if !holders.last().is_some_and(|h| std::ptr::eq(*h, r)) {
                holders.push(r);
            }
        }
    }
    let mut groups: Vec<_> = groups
        .into_iter()
        .filter(|(_, h)| C::ALONE || h.len() > 1)
        .collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (key, holders) in groups {
        C::findings(&key, &holders, out);
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

    #[test]
    fn titles_compare_trimmed_and_case_insensitively() {
        assert_eq!(title_key("  Web Shell "), title_key("web shell"));
        assert_eq!(title_key("ÉTÉ"), title_key("été"));
        assert_ne!(title_key("Web Shell"), title_key("Web  Shell"));
        assert!(matches!(title_key("already plain"), Cow::Borrowed(_)));
    }
}
