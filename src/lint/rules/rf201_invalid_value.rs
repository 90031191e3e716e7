//! RF201 `invalid-indicator-value`: An indicator value is not valid for its type.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF201",
    name: "invalid-indicator-value",
    severity: Severity::Error,
    category: Category::Indicators,
    summary: "An indicator value is not valid for its type",
    explanation: "Each indicator type has a syntax: hashes are hex digests of the right length, `ip` is an IPv4/IPv6 address or CIDR network (no octal or shortened forms), `domain` follows hostname and IDNA rules, `url` is an absolute URL with a host, `email` is `local@domain`, `regex:` values must compile. An invalid value never matches anything, so the rule silently detects less than it claims.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        if let Checked::Invalid(why) = &v.checked {
            if indicator::defang_applies(ty) && indicator::refang(&v.raw).is_some() {
                continue; // RF203 reports defanged values.
            }
            out.push(RULE.diagnostic(
                cx.path,
                Some(v.span),
                format!("invalid `{}` value `{}`: {why}", ty.name(), v.raw),
            ));
        }
    }
}
