//! RF204 `duplicate-value-in-rule`: The same indicator value appears twice in one rule.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF204",
    name: "duplicate-value-in-rule",
    severity: Severity::Warning,
    category: Category::Indicators,
    summary: "The same indicator value appears twice in one rule",
    explanation: "A value listed twice for the same type (after canonicalization, so `ABC…` and `abc…` are the same) adds nothing but noise, and often hides a copy-paste mistake where a different value was meant. Remove the repetition.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: FxHashMap<(IndicatorType, &str), (&str, Span)> = FxHashMap::default();
    for (g, t, v) in cx.rule.values() {
        let Some(ty) = t.ty else { continue };
        match seen.get(&(ty, v.canonical())) {
            Some((first_group, first)) => {
                let lc = cx.source.line_col(first.start);
                let where_ = if *first_group == g.name {
                    String::new()
                } else {
                    format!(" in group `{first_group}`")
                };
                out.push(RULE.diagnostic(
                    cx.path,
                    Some(v.span),
                    format!(
                        "`{}` value `{}` already appears on line {}{where_}",
                        ty.name(),
                        v.raw,
                        lc.line
                    ),
                ));
            }
            None => {
                seen.insert((ty, v.canonical()), (g.name.as_str(), v.span));
            }
        }
    }
}
