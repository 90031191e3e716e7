//! RF112 `malformed-tag`: An ATT&CK, CVE or TLP tag is malformed.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF112",
    name: "malformed-tag",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "An ATT&CK, CVE or TLP tag is malformed",
    explanation: "Tags in structured namespaces must follow their identifier format: `attack.t1059` or `attack.t1059.001` for techniques, `attack.g0125` for groups, `attack.s0154` for software, `attack.<tactic>` with a tactic name such as `attack.persistence`, `cve.2021-26855` for CVEs and `tlp.<level>`. A malformed id never matches the ATT&CK or CVE data a team filters on.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        if let Some(why) = malformed(&t.value) {
            out.push(RULE.diagnostic(cx.path, Some(t.span), format!("tag `{}`: {why}", t.value)));
        }
    }
}

const TACTICS: [&str; 14] = [
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
];

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn malformed(tag: &str) -> Option<String> {
    if let Some(rest) = tag.strip_prefix("attack.") {
        let mut parts = rest.split('.');
        let first = parts.next().unwrap_or("");
        let sub = parts.next();
        if parts.next().is_some() {
            return Some("too many parts for an ATT&CK id".into());
        }
        let ok = match first.as_bytes().first() {
            Some(b't') if first.len() == 5 => {
                digits(&first[1..], 4) && sub.is_none_or(|s| digits(s, 3))
            }
            Some(b'g') | Some(b's') | Some(b'm') if first.len() == 5 && digits(&first[1..], 4) => {
                sub.is_none()
            }
            _ => TACTICS.contains(&rest),
        };
        return (!ok).then(|| "expected `attack.tNNNN`, `attack.tNNNN.NNN`, `attack.gNNNN`, `attack.sNNNN` or a tactic such as `attack.persistence`".into());
    }
    if let Some(rest) = tag.strip_prefix("cve.") {
        let ok = rest.split_once('-').is_some_and(|(y, n)| {
            digits(y, 4) && n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit())
        });
        return (!ok).then(|| "expected `cve.YYYY-NNNN`".into());
    }
    if let Some(rest) = tag.strip_prefix("tlp.") {
        return (!["clear", "green", "amber", "amber+strict", "red", "white"].contains(&rest))
            .then(|| {
                "expected `tlp.clear`, `tlp.green`, `tlp.amber`, `tlp.amber+strict` or `tlp.red`"
                    .into()
            });
    }
    None
}
