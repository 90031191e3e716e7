//! RF657 `sigma-malformed-tag-value`: A `cve.`, `car.`, `stp.` or `detection.` tag does not have the form its namespace requires.
//!
//! pySigma counterpart: InvalidPatternTagIssue (cvetag, cartag, stptag, detectiontag).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF657",
    name: "sigma-malformed-tag-value",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A `cve.`, `car.`, `stp.` or `detection.` tag does not have the form its namespace requires",
    explanation: "Namespaced tags have fixed forms: `cve.2021-26855` (year-number), `car.2016-04-005`, `stp.1` to `stp.5` with an optional `a`/`u`/`k`, and `detection.dfir`, `detection.emerging-threats` or `detection.threat-hunting`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for t in &cx.rule.tags {
        let Some((ns, name)) = t.value.split_once('.') else {
            continue;
        };
        let ok = match ns {
            "cve" => name.split_once('-').is_some_and(|(a, b)| num(a) && num(b)),
            "car" => {
                let b = name.as_bytes();
                b.len() >= 11
                    && b[..11].iter().enumerate().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            *c == b'-'
                        } else {
                            c.is_ascii_digit()
                        }
                    })
            }
            "stp" => {
                let b = name.as_bytes();
                (b.len() == 1 || b.len() == 2)
                    && (b'1'..=b'5').contains(&b[0])
                    && (b.len() == 1 || matches!(b[1], b'a' | b'u' | b'k'))
            }
            "detection" => ["dfir", "emerging-threats", "threat-hunting"]
                .iter()
                .any(|p| name.starts_with(p)),
            _ => true,
        };
        if !ok {
            out.push(sc::diag(
                cx,
                &RULE,
                t.span,
                format!("tag `{}` does not have the form of a `{ns}` tag", t.value),
            ));
        }
    }
}

fn num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}
