//! RF402 `value-in-several-rules`: The same indicator value appears in several rules.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF402",
    name: "value-in-several-rules",
    severity: Severity::Warning,
    summary: "The same indicator value appears in several rules",
    explanation: "When one value sits in several rules, a single event raises several alerts, and an update (or removal) of the value must be made everywhere at once. Sometimes it is intended (a hash in a family rule and a campaign rule); often it is a copy that drifted. The message names the other rules so you can decide; suppress it inline when intended.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_value: FxHashMap<(IndicatorType, &str), Vec<usize>> = FxHashMap::default();
    for (i, r) in cx.rules.iter().enumerate() {
        for (ty, v, _) in &r.values {
            by_value.entry((*ty, v.as_str())).or_default().push(i);
        }
    }
    let mut found: Vec<_> = by_value
        .into_iter()
        .filter(|(_, rules)| rules.len() > 1)
        .collect();
    found.sort_unstable();
    for ((ty, value), rules) in found {
        for &i in &rules {
            let r = &cx.rules[i];
            let span = r
                .values
                .iter()
                .find(|(t, v, _)| *t == ty && v == value)
                .map(|(_, _, s)| *s);
            let others: Vec<String> = rules
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| cx.rules[j].label())
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
            out.push(Diagnostic::new(
                RULE.code,
                &r.path,
                span,
                format!("`{}` value `{value}` is also in {shown}{more}", ty.name()),
            ));
        }
    }
}
