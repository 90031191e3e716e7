//! RF656 `sigma-malformed-attack-tag`: An `attack.` tag is not a technique, group, software, mitigation, data source or tactic.
//!
//! pySigma counterpart: InvalidATTACKTagIssue (attacktag), form only.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF656",
    name: "sigma-malformed-attack-tag",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "An `attack.` tag is not a technique, group, software, mitigation, data source or tactic",
    explanation: "ATT&CK tags are `attack.t1059`, `attack.t1059.001`, `attack.g0016`, `attack.s0002`, `attack.m1042`, `attack.ds0009` or a tactic such as `attack.execution` (lower case, hyphenated). Anything else is not found by ATT&CK tooling. This checks the form, exactly as RF112 does for native rules (tactics include `stealth` and `defense-impairment` of ATT&CK v18); whether an id exists depends on the ATT&CK version and is left to pySigma.",
    fixable: false,
    default_enabled: true,
};

use super::attack_tags;
use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        let Some(name) = t.value.strip_prefix("attack.") else {
            continue;
        };
        if attack_tags::problem(name).is_some() {
            out.push(sc::diag(cx, &RULE, t.span, format!("`{}` is not an ATT&CK technique, group, software, mitigation, data source or tactic tag", t.value)));
        }
    }
}
