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
    explanation: "ATT&CK tags are `attack.t1059`, `attack.t1059.001`, `attack.g0016`, `attack.s0002`, `attack.m1042`, `attack.ds0009` or a tactic such as `attack.execution` (lower case, hyphenated). Anything else is not found by ATT&CK tooling. This checks the form; whether an id exists depends on the ATT&CK version and is left to pySigma.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
    "stealth",
    "defense-impairment",
];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        let Some(name) = t.value.strip_prefix("attack.") else {
            continue;
        };
        if !valid(name) {
            out.push(sc::diag(cx, &RULE, t.span, format!("`{}` is not an ATT&CK technique, group, software, mitigation, data source or tactic tag", t.value)));
        }
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn valid(name: &str) -> bool {
    if TACTICS.contains(&name) {
        return true;
    }
    if let Some(t) = name.strip_prefix('t') {
        return match t.split_once('.') {
            Some((a, b)) => digits(a, 4) && digits(b, 3),
            None => digits(t, 4),
        };
    }
    if let Some(d) = name.strip_prefix("ds") {
        return digits(d, 4);
    }
    ["g", "s", "m"]
        .iter()
        .any(|p| name.strip_prefix(p).is_some_and(|d| digits(d, 4)))
}
