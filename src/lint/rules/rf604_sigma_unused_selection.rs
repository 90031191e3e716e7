//! RF604 `sigma-unused-selection`: A selection is defined but the condition never uses it.
//!
//! pySigma counterpart: DanglingDetectionIssue (dangling_detection).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF604",
    name: "sigma-unused-selection",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "A selection is defined but the condition never uses it",
    explanation: "A search identifier under `detection` that no condition refers to (by name or through a `1 of`/`all of` pattern) has no effect: usually a filter someone forgot to add to the condition (`and not filter_*`), so the rule matches more than its author thinks. Use it in the condition or delete it.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(d) = sc::detection(cx) else { return };
    let mut used = FxHashSet::default();
    for (_, r) in sc::conditions(d) {
        match r {
            Ok(e) => sc::referenced(d, &e, &mut used),
            Err(_) => return, // RF601/RF602 first
        }
    }
    if d.conditions.is_empty() {
        return;
    }
    for s in &d.selections {
        if !used.contains(&s.name) {
            out.push(sc::diag(
                cx,
                &RULE,
                s.span,
                format!("selection `{}` is not used in the condition", s.name),
            ));
        }
    }
}
