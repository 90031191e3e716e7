//! RF203 `defanged-value`: An indicator value is defanged.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF203",
    name: "defanged-value",
    severity: Severity::Error,
    category: Category::Indicators,
    summary: "An indicator value is defanged",
    explanation: "Reports defang network indicators (`hxxp://`, `evil[.]com`, `1.2.3[.]4`, `user[@]example.com`) so that nobody clicks them. In a rule they are useless: a scanner compares real values and never sees `[.]`. The safe fix refangs the value.",
    fixable: true,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        if !indicator::defang_applies(ty) {
            continue;
        }
        if let Some(refanged) = indicator::refang(&v.raw) {
            let canonical = match indicator::check(ty, &refanged) {
                Checked::Valid { canonical } => canonical,
                _ => refanged,
            };
            let d = RULE.diagnostic(
                cx.path,
                Some(v.span),
                format!(
                    "`{}` value `{}` is defanged: write `{canonical}`",
                    ty.name(),
                    v.raw
                ),
            );
            out.push(with_value_fix(
                cx,
                d,
                v.span,
                &canonical,
                "Refang the value",
            ));
        }
    }
}
