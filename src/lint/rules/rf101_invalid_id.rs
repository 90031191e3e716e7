//! RF101 `invalid-id`: The rule id is not a canonical UUID.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF101",
    name: "invalid-id",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "The rule id is not a canonical UUID",
    explanation: "Rule ids are lower-case hyphenated UUIDs (`8-4-4-4-12` hex digits). Scanners, bundles and diffs track rules by id, so every tool must spell the id the same way: upper-case, braced or URN forms are rejected (with a safe fix to the canonical form when the value is a UUID in another spelling). Generate ids with `ruleforge new`.",
    fixable: true,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(id) = &cx.rule.id else { return };
    match uuid::Uuid::parse_str(id.value.trim()) {
        Ok(u) => {
            let mut buf = uuid::Uuid::encode_buffer();
            let canonical: &str = u.hyphenated().encode_lower(&mut buf);
            if canonical != id.value {
                let d = RULE.diagnostic(
                    cx.path,
                    Some(id.span),
                    format!(
                        "id `{}` is not in canonical form: write `{canonical}`",
                        id.value
                    ),
                );
                out.push(with_value_fix(
                    cx,
                    d,
                    id.span,
                    canonical,
                    "Rewrite the id in canonical form",
                ));
            }
        }
        Err(_) => out.push(RULE.diagnostic(
            cx.path,
            Some(id.span),
            format!("id `{}` is not a UUID", id.value),
        )),
    }
}
