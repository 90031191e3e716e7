//! RF206 `overly-broad-value`: An indicator value matches far too much.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF206",
    name: "overly-broad-value",
    severity: Severity::Error,
    category: Category::Indicators,
    summary: "An indicator value matches far too much",
    explanation: "A value that matches almost everything turns a rule into an alert storm: a glob of only wildcards (`*`) or with fewer than three literal characters, a domain wildcard over a whole top-level domain (`*.com`), a huge network (`0.0.0.0/0`, `::/0`, anything shorter than /8 for IPv4 or /16 for IPv6), a regular expression that matches the empty string or any single character (`.*`, `.+`). Narrow the value, or combine it with another group through `condition`.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        if let Some(why) = broad(ty, v) {
            out.push(RULE.diagnostic(
                cx.path,
                Some(v.span),
                format!("`{}` value `{}` is overly broad: {why}", ty.name(), v.raw),
            ));
        }
    }
}

const MULTI_LABEL_SUFFIXES: [&str; 12] = [
    "co.uk", "org.uk", "com.au", "net.au", "co.jp", "com.br", "com.cn", "co.in", "co.kr", "com.tr",
    "com.mx", "co.za",
];

fn broad(ty: IndicatorType, v: &crate::rule::Value) -> Option<String> {
    match &v.checked {
        Checked::Regex { pattern } => {
            let re = regex::Regex::new(pattern).ok()?;
            if re.is_match("") {
                return Some(
                    "the regular expression matches the empty string, so it matches every value"
                        .into(),
                );
            }
            if ["a", "Z", "0", " ", "\u{1}"].iter().all(|s| re.is_match(s)) {
                return Some("the regular expression matches any single character".into());
            }
            None
        }
        Checked::Invalid(_) => None,
        Checked::Valid { canonical } => match ty.syntax() {
            Syntax::Glob { .. } => (indicator::glob_literal_len(canonical) < 3)
                .then(|| "a glob needs at least three literal characters".into()),
            Syntax::Url if canonical.contains('*') => {
                let rest = canonical
                    .split_once("://")
                    .map_or(canonical.as_str(), |(_, r)| r);
                (indicator::glob_literal_len(rest) < 3)
                    .then(|| "the URL pattern has almost no literal host or path".into())
            }
            Syntax::Domain => {
                let base = canonical.strip_prefix("*.")?;
                (!base.contains('.') || MULTI_LABEL_SUFFIXES.contains(&base))
                    .then(|| format!("`*.{base}` covers a whole public suffix"))
            }
            Syntax::Ip => {
                let net = indicator::parse_net(canonical)?;
                let min = if net.max_prefix_len() == 32 { 8 } else { 16 };
                (net.prefix_len() < min).then(|| {
                    format!(
                        "a /{} network is too large (use /{min} or longer)",
                        net.prefix_len()
                    )
                })
            }
            _ => None,
        },
    }
}
