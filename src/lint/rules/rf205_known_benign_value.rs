//! RF205 `known-benign-value`: An indicator value is known to be benign.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF205",
    name: "known-benign-value",
    severity: Severity::Warning,
    category: Category::Indicators,
    summary: "An indicator value is known to be benign",
    explanation: "Some values are never evidence of an intrusion: private, loopback, link-local, multicast, documentation and reserved address ranges; public DNS resolvers; the hashes of the empty file; the domains of Microsoft, Google and other widely used services. They usually enter a rule when an analyst copies a whole report table. They cause floods of false positives. The lists ship with ruleforge (MISP warninglists, CC0; see data/benign/README.md). Suppress the finding inline if the value really is intended.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        let Checked::Valid { canonical } = &v.checked else {
            continue;
        };
        let why = match ty.syntax() {
            Syntax::Hash(_) => benign::hash(canonical),
            Syntax::Ip => benign::ip(canonical),
            Syntax::Domain => benign::domain(canonical),
            Syntax::Email => canonical
                .rsplit_once('@')
                .and_then(|(_, d)| benign::domain(d)),
            _ => None,
        };
        if let Some(why) = why {
            out.push(RULE.diagnostic(
                cx.path,
                Some(v.span),
                format!("`{}` value `{}` is {why}", ty.name(), v.raw),
            ));
        }
    }
}
