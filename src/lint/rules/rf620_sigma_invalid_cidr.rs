//! RF620 `sigma-invalid-cidr`: A `cidr` value is not an IP network.
//!
//! pySigma counterpart: SigmaTypeError "Invalid CIDR expression" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF620",
    name: "sigma-invalid-cidr",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A `cidr` value is not an IP network",
    explanation: "Values with the `cidr` modifier must be IPv4 or IPv6 networks in CIDR notation (`10.0.0.0/8`, `fe80::/10`) without host bits set (`10.0.0.1/8` is rejected by pySigma). Write the network address.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if !item.has("cidr") {
            continue;
        }
        for v in &item.values {
            if v.nested || v.ty != VType::Str {
                continue;
            }
            let msg = match v.raw.parse::<ipnet::IpNet>() {
                Ok(n) if n.trunc() != n => Some(format!(
                    "`{}` has host bits set: write `{}`",
                    v.raw,
                    n.trunc()
                )),
                Ok(_) => None,
                Err(_) if v.raw.parse::<std::net::IpAddr>().is_ok() => None,
                Err(_) => Some(format!("`{}` is not an IP network in CIDR notation", v.raw)),
            };
            if let Some(msg) = msg {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!("{msg} ({})", item.label()),
                ));
            }
        }
    }
}
