//! RF302 `condition-unknown-group`: The condition names a group that does not exist.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF302",
    name: "condition-unknown-group",
    severity: Severity::Error,
    category: Category::Condition,
    summary: "The condition names a group that does not exist",
    explanation: "Every group named in `condition`, and every `prefix*` used with `1 of`/`all of`, must refer to groups under `indicators`. An unknown name is usually a typo or a group that was renamed; an `of` over no group is always false, so the rule would never fire.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(c) = &cx.rule.condition else { return };
    let Ok(expr) = cx.rule.condition_expr() else {
        return;
    };
    let groups = cx.rule.group_names();
    let mut named = Vec::new();
    expr.named_groups(&mut named);
    for g in named {
        if !groups.contains(&g.as_str()) {
            let span = find_word(cx, c, &g);
            out.push(RULE.diagnostic(cx.path, Some(span), format!("condition names group `{g}`, which is not defined under `indicators` (groups: {})", groups.join(", "))));
        }
    }
    let mut prefixes = Vec::new();
    expr.prefixes(&mut prefixes);
    for p in prefixes {
        if !groups.iter().any(|g| g.starts_with(p.as_str())) {
            let span = find_word(cx, c, &format!("{p}*"));
            let what = if p.is_empty() {
                "`them`".to_string()
            } else {
                format!("`{p}*`")
            };
            out.push(RULE.diagnostic(
                cx.path,
                Some(span),
                format!("{what} matches no group under `indicators`"),
            ));
        }
    }
}
