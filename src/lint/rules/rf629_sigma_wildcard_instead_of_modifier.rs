//! RF629 `sigma-wildcard-instead-of-modifier`: Wildcards are used where `contains`, `startswith` or `endswith` says it better.
//!
//! pySigma counterpart: WildcardsInsteadOfContainsModifierIssue, WildcardInsteadOfStartswithIssue, WildcardInsteadOfEndswithIssue (wildcards_instead_of_modifiers).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF629",
    name: "sigma-wildcard-instead-of-modifier",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "Wildcards are used where `contains`, `startswith` or `endswith` says it better",
    explanation: "When every value of a field starts and/or ends with `*` and has no other wildcard, the modifier states the intent and lets backends pick their fastest operator: `*foo*` is `|contains: foo`, `foo*` is `|startswith: foo`, `*foo` is `|endswith: foo`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::string_parts;

type Parts<'a> = [crate::sigma::Part<'a>];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.values.is_empty() || !sc::plain_string_item(item) {
            continue;
        }
        // Cheap reject: every value must start or end with `*`.
        if !item
            .values
            .iter()
            .all(|v| v.raw.starts_with('*') || v.raw.ends_with('*'))
        {
            continue;
        }
        let parts: Vec<Vec<crate::sigma::Part<'_>>> = match item
            .values
            .iter()
            .map(|v| (!v.nested && v.ty == VType::Str).then(|| string_parts(&v.raw)))
            .collect::<Option<Vec<_>>>()
        {
            Some(p) => p,
            None => continue,
        };
        let len = |p: &Parts| -> usize {
            p.iter()
                .map(|x| match x {
                    Ok(s) => s.chars().count(),
                    Err(_) => 1,
                })
                .sum()
        };
        let star = |x: Option<&crate::sigma::Part<'_>>| x == Some(&Err('*'));
        let special = |p: &Parts| p.iter().any(|x| x.is_err());
        let all = |f: &dyn Fn(&Parts) -> bool| parts.iter().all(|p| len(p) > 1 && f(p));
        let suggestion =
            if all(&|p| star(p.first()) && star(p.last()) && !special(&p[1..p.len() - 1]))
                && !item.has("contains")
            {
                Some("contains")
            } else if all(&|p| star(p.first()) && !special(&p[1..])) && !item.has("endswith") {
                Some("endswith")
            } else if all(&|p| star(p.last()) && !special(&p[..p.len() - 1]))
                && !item.has("startswith")
            {
                Some("startswith")
            } else {
                None
            };
        if let Some(m) = suggestion {
            out.push(sc::diag(
                cx,
                &RULE,
                item.key_span(),
                format!("the values of {} use wildcards where `|{m}` says it: drop the `*` and add the modifier", item.label()),
            ));
        }
    }
}
