//! RF621 `sigma-cidr-on-non-ip-field`: The `cidr` modifier is used on a field that does not look like an IP address field.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF621",
    name: "sigma-cidr-on-non-ip-field",
    severity: Severity::Warning,
    category: Category::Detection,
    summary: "The `cidr` modifier is used on a field that does not look like an IP address field",
    explanation: "The `cidr` modifier compares IP addresses; on a field whose name says nothing of an address (`CommandLine`, `Image`) it is almost always a mistake, and backends translate it to an IP range query the field cannot satisfy. Use the address field (`DestinationIp`, `src_ip`, `ClientAddress`, ...).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const HINTS: &[&str] = &[
    "ip", "addr", "host", "net", "src", "dst", "source", "dest", "client", "server", "remote",
    "local", "peer", "gateway", "router", "nat", "cidr", "subnet", "endpoint", "orig_h", "resp_h",
];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        let (Some(field), Some(span)) = (&item.field, item.field_span) else {
            continue;
        };
        if !item.has("cidr") {
            continue;
        }
        let lower = field.to_ascii_lowercase();
        if !HINTS.iter().any(|h| lower.contains(h)) {
            out.push(sc::diag(
                cx,
                &RULE,
                span,
                format!("`cidr` on `{field}`, which does not look like an IP address field"),
            ));
        }
    }
}
