//! RF611 `sigma-modifier-type-mismatch`: A modifier cannot apply to the value it is given.
//!
//! pySigma counterpart: SigmaTypeError "Modifier ... incompatible to value type", SigmaValueError "only applicable to unmodified values" (rule errors).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF611",
    name: "sigma-modifier-type-mismatch",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A modifier cannot apply to the value it is given",
    explanation: "Modifiers apply left to right, each to the type the previous one produced: `contains` takes a string, `gt` a number, `exists` a boolean, `i`/`m`/`s` a regular expression; `re` and `cidr` only apply to unmodified values, so they must come first. A chain such as `contains|re`, `cidr|contains` or `contains` on a number is rejected by pySigma. The diagnostic points at the modifier that cannot apply.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;
use crate::sigma::modifiers::{apply_chain, lookup};

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.modifiers.is_empty() || item.modifiers.iter().any(|m| lookup(&m.value).is_none()) {
            continue;
        }
        let chain: Vec<&str> = item.modifiers.iter().map(|m| m.value.as_str()).collect();
        let regex = item.has("re");
        let mut seen = Vec::new();
        for v in &item.values {
            // pySigma reads every value of a `re` item as a string.
            let ty = if regex && v.ty != VType::Null {
                VType::Str
            } else {
                v.ty
            };
            if v.nested || seen.contains(&ty) {
                continue;
            }
            seen.push(ty);
            if let Err(e) = apply_chain(&chain, ty) {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    item.modifiers[e.index].span,
                    format!("{} on {}", e.message, item.label()),
                ));
                break;
            }
        }
    }
}
