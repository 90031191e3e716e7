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
    let firsts = cx.rule.first_occurrences();
    // Most rules repeat nothing: then nothing else is done.
    if firsts.iter().enumerate().all(|(i, &f)| f as usize == i) {
        return;
    }
    let values: Vec<_> = cx.rule.values().collect();
    for (i, &(g, t, v)) in values.iter().enumerate() {
        let Some(ty) = t.ty else { continue };
        let first = firsts[i] as usize;
        if first == i {
            continue;
        }
        let (first_group, _, first) = values[first];
        let lc = cx.source.line_col(first.span.start);
        let where_ = if first_group.name == g.name {
            String::new()
        } else {
            format!(" in group `{}`", first_group.name)
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
}
