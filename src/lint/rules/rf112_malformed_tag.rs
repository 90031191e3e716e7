//! RF112 `malformed-tag`: An ATT&CK, CVE or TLP tag is malformed.

use super::attack_tags;
#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF112",
    name: "malformed-tag",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "An ATT&CK, CVE or TLP tag is malformed",
    explanation: "Tags in structured namespaces must follow their identifier format: `attack.t1059` or `attack.t1059.001` for techniques, `attack.g0125` for groups, `attack.s0154` for software, `attack.m1042` for mitigations, `attack.ds0009` for data sources, `attack.<tactic>` with an ATT&CK Enterprise tactic such as `attack.persistence` or `attack.stealth`, `cve.2021-26855` for CVEs and `tlp.<level>`. ATT&CK tags are checked exactly as RF656 checks them in Sigma rules. A malformed id never matches the ATT&CK or CVE data a team filters on.",
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

fn malformed(tag: &str) -> Option<String> {
    if let Some(rest) = tag.strip_prefix("attack.") {
        return attack_tags::problem(rest).map(|p| match p {
            attack_tags::Problem::TooManyParts => "too many parts for an ATT&CK id".into(),
            attack_tags::Problem::Malformed => "expected `attack.tNNNN`, `attack.tNNNN.NNN`, `attack.gNNNN`, `attack.sNNNN` or a tactic such as `attack.persistence`".into(),
        });
    }
    if let Some(rest) = tag.strip_prefix("cve.") {
        let ok = rest.split_once('-').is_some_and(|(y, n)| {
            let number = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            y.len() == 4 && number(y) && n.len() >= 4 && number(n)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// RF112 once had its own ATT&CK list: it rejected the v18 tactics and data sources that
    /// RF656 accepts in Sigma rules. Both now read `attack_tags`.
    #[test]
    fn attack_tags_as_in_sigma_rules() {
        for tag in [
            "attack.stealth",
            "attack.defense-impairment",
            "attack.defense-evasion",
            "attack.ds0009",
            "attack.m1042",
            "attack.t1505.003",
        ] {
            assert_eq!(malformed(tag), None, "{tag}");
        }
        assert_eq!(
            malformed("attack.t1059.001.002").as_deref(),
            Some("too many parts for an ATT&CK id")
        );
        assert!(malformed("attack.ds009").is_some());
        assert!(malformed("cve.2021-26855").is_none());
        assert!(malformed("cve.21-26855").is_some());
    }
}
