//! RF202 `non-canonical-value`: An indicator value is not in its canonical form.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF202",
    name: "non-canonical-value",
    severity: Severity::Warning,
    category: Category::Indicators,
    summary: "An indicator value is not in its canonical form",
    explanation: "Every type has one canonical spelling: lower-case hex hashes, lower-case punycode domains without a trailing dot, CIDR networks with the host bits cleared (and single hosts without `/32`), compressed lower-case IPv6, normalized URLs, lower-case e-mail addresses. Canonical values make diffs, duplicate detection and scanners' lookups exact. The safe fix rewrites the value; the meaning is unchanged.",
    fixable: true,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        if let Checked::Valid { canonical } = &v.checked {
            if canonical != &v.raw {
                let d = RULE.diagnostic(
                    cx.path,
                    Some(v.span),
                    format!(
                        "`{}` value `{}` is not canonical: write `{canonical}`",
                        ty.name(),
                        v.raw
                    ),
                );
                out.push(with_value_fix(
                    cx,
                    d,
                    v.span,
                    canonical,
                    "Rewrite in canonical form",
                ));
            }
        }
    }
}
