//! RF402 `value-in-several-rules`: The same indicator value appears in several rules.

#[allow(unused_imports)]
use super::prelude::*;

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
        for &(i, span) in &rules {
            let r = &cx.rules[i];
            let others: Vec<String> = rules
                .iter()
                .filter(|&&(j, _)| j != i)
                .map(|&(j, _)| cx.rules[j].label())
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
}
