//! RF402 `value-in-several-rules`: The same indicator value appears in several rules.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

pub const RULE: LintRule = LintRule {
    code: "RF402",
    name: "value-in-several-rules",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "The same indicator value appears in several rules",
    explanation: "When one value sits in several rules, a single event raises several alerts, and an update (or removal) of the value must be made everywhere at once. Sometimes it is intended (a hash in a family rule and a campaign rule); often it is a copy that drifted. The message names the other rules so you can decide; suppress it inline when intended.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    use std::hash::{Hash, Hasher};
    // Every value as (hash, rule, index in the rule), sorted in parallel: equal values end
    // up side by side without a map of a million entries (the serial cost this check had).
    let mut entries: Vec<(u64, u32, u32)> = cx
        .rules
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, r)| {
            r.values().enumerate().map(move |(j, (ty, v, _))| {
                let mut h = rustc_hash::FxHasher::default();
                (ty, v).hash(&mut h);
                (h.finish(), i as u32, j as u32)
            })
        })
        .collect();
    entries.par_sort_unstable();
    let key = |&(_, i, j): &(u64, u32, u32)| {
        let (ty, v, span) = cx.rules[i as usize].value_at(j as usize);
        ((ty, v), (i as usize, span))
    };
    // Within a run of equal hashes, group by the value itself (hashes can collide); the
    // stable sort keeps each group's rules in rule order.
    // (type, value) → the rules holding it, with the value's span in each.
    type Group<'a> = ((IndicatorType, &'a str), Vec<(usize, Span)>);
    let mut found: Vec<Group<'_>> = Vec::new();
    for run in entries.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let mut keyed: Vec<_> = run.iter().map(key).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            found.push((group[0].0, group.iter().map(|(_, r)| *r).collect()));
        }
    }
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for ((ty, value), rules) in found {
        let rules: Vec<(&RuleSummary, Span)> = rules
            .iter()
            .map(|&(i, span)| (&cx.rules[i], span))
            .collect();
        report(ty, value, &rules, out);
    }
}

/// The findings for one value held by several rules (each with the value's span in it).
fn report(
    ty: IndicatorType,
    value: &str,
    rules: &[(&RuleSummary, Span)],
    out: &mut Vec<Diagnostic>,
) {
    for &(r, span) in rules {
        let others: Vec<String> = rules
            .iter()
            .filter(|(o, _)| !std::ptr::eq(*o, r))
            .map(|(o, _)| o.label())
            .collect();
        let shown = others
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if others.len() > 3 {
            format!(" and {} more", others.len() - 3)
        } else {
            String::new()
        };
        out.push(RULE.diagnostic(
            &r.path,
            Some(span),
            format!("`{}` value `{value}` is also in {shown}{more}", ty.name()),
        ));
    }
}

/// RF402 by key: a (type, canonical value) pair. A whole run groups the values with a
/// parallel sort instead (a million of them), then reports each group as this does.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Native;
    const ALONE: bool = false;
    type Key<'a> = (IndicatorType, &'a str);

    fn each_key<'a>(r: &'a RuleSummary, f: impl FnMut(Self::Key<'a>)) {
        r.values().map(|(ty, v, _)| (ty, v)).for_each(f);
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let rules: Vec<(&RuleSummary, Span)> = holders
            .iter()
            .filter_map(|r| {
                r.values()
                    .find(|&(ty, v, _)| (ty, v) == *key)
                    .map(|(_, _, span)| (*r, span))
            })
            .collect();
        if rules.len() > 1 {
            report(key.0, key.1, &rules, out);
        }
    }
}
