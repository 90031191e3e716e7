//! RF303 `condition-unused-group`: A group is not used by the condition.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF303",
    name: "condition-unused-group",
    severity: Severity::Warning,
    category: Category::Condition,
    summary: "A group is not used by the condition",
    explanation: "A group that the condition never refers to (by name, by `prefix*` or through `them`) can never influence a match: its values are dead weight and usually the sign of a renamed group or a forgotten `or`. Use it in the condition or delete it.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Ok(expr) = cx.rule.condition_expr() else {
        return;
    };
    let mut named = Vec::new();
    expr.named_groups(&mut named);
    let mut prefixes = Vec::new();
    expr.prefixes(&mut prefixes);
    for g in &cx.rule.indicators {
        let used =
            named.contains(&g.name) || prefixes.iter().any(|p| g.name.starts_with(p.as_str()));
        if !used {
            out.push(RULE.diagnostic(
                cx.path,
                Some(g.span),
                format!("group `{}` is not used by the condition", g.name),
            ));
        }
    }
}
