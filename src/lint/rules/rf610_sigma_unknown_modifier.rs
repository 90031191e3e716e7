//! RF610 `sigma-unknown-modifier`: A field uses a value modifier Sigma does not define.
//!
//! pySigma counterpart: SigmaModifierError "Unknown modifier" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF610",
    name: "sigma-unknown-modifier",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A field uses a value modifier Sigma does not define",
    explanation: "Value modifiers (`contains`, `startswith`, `endswith`, `all`, `re`, `cidr`, `base64offset`, `windash`, `exists`, `gt`, ...) change how values match. An unknown or misspelt modifier makes pySigma and every backend reject the rule. The message suggests the closest known modifier.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::modifiers::{lookup, MODIFIERS};

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        for m in &item.modifiers {
            if lookup(&m.value).is_some() {
                continue;
            }
            let hint = MODIFIERS
                .iter()
                .map(|k| (distance(&m.value, k.name), k.name))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            let what = if m.value.is_empty() {
                "an empty modifier (a trailing `|`)".to_string()
            } else {
                format!("unknown modifier `{}`", m.value)
            };
            out.push(sc::diag(
                cx,
                &RULE,
                m.span,
                format!("{what} on {}{hint}", item.label()),
            ));
        }
    }
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}
