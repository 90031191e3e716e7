//! What the repository-wide checks share: grouping rules that hold the same key (RF401,
//! RF404, RF690, RF691, RF692), finding `related` ids that no rule has (RF403, RF693), and the
//! one way titles are compared (RF404, RF691).

use super::prelude::*;
use crate::rule::Spanned;
use std::borrow::Cow;
use std::hash::Hash;

/// One holder of a key: a rule and where the key is in its file (`None`: the file as a whole).
pub type Holder<'a> = (&'a RuleSummary, Option<Span>);

/// The keys held by more than one holder, in key order, each with its holders in the order
/// they came. A holder is counted once: the same rule file and span given twice (a file name,
/// which every document of a Sigma file shares) is one holder.
pub fn duplicates<'a, K: Hash + Eq + Ord>(
    holders: impl IntoIterator<Item = (K, Holder<'a>)>,
) -> Vec<(K, Vec<Holder<'a>>)> {
    let mut groups: FxHashMap<K, Vec<Holder<'a>>> = FxHashMap::default();
    for (key, holder) in holders {
        let group = groups.entry(key).or_default();
        if !group.iter().any(|h| same_holder(h, &holder)) {
            group.push(holder);
        }
    }
    let mut dups: Vec<_> = groups.into_iter().filter(|(_, g)| g.len() > 1).collect();
    dups.sort_by(|a, b| a.0.cmp(&b.0));
    dups
}

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

/// The `related` ids of `rules` that no rule of `rules` has, with the rule that names them.
pub fn unknown_related(
    rules: &[RuleSummary],
) -> impl Iterator<Item = (&RuleSummary, &Spanned<String>)> {
    let ids: FxHashSet<&str> = rules
        .iter()
        .filter_map(|r| r.id.as_ref().map(|i| i.value.as_str()))
        .collect();
    rules.iter().flat_map(move |r| {
        r.related
            .iter()
            .filter(|rel| !ids.contains(rel.value.as_str()))
            .map(move |rel| (r, rel))
            .collect::<Vec<_>>()
    })
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
