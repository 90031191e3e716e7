//! RF115 `test-unknown-field`: A test event uses a field no indicator type is matched against.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF115",
    name: "test-unknown-field",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "A test event uses a field no indicator type is matched against",
    explanation: "Test events are flat maps of Elastic Common Schema fields. A field that no indicator type reads (`file.sha256` instead of `file.hash.sha256`) is silently ignored by the matcher, so the test proves nothing. The message lists the fields the rule's types are matched against.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let fields = IndicatorType::all_ecs_fields();
    let Some(tests) = cx.node.get("tests").and_then(Node::as_seq) else {
        return;
    };
    for t in tests {
        for e in t.get("event").and_then(Node::as_map).unwrap_or_default() {
            let Some(name) = e.key.as_scalar().map(|s| s.value.as_str()) else {
                continue;
            };
            if !fields.contains(&name) {
                let mut used: Vec<&str> = cx
                    .rule
                    .indicators
                    .iter()
                    .flat_map(|g| g.types.iter())
                    .filter_map(|t| t.ty)
                    .flat_map(|t| t.ecs_fields().iter().copied())
                    .collect();
                used.sort_unstable();
                used.dedup();
                out.push(RULE.diagnostic(cx.path, Some(e.key.span), format!("`{name}` is not a field any indicator type is matched against; this rule's types read: {}", used.join(", "))));
            }
        }
    }
}
