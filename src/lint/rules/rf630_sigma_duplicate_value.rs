//! RF630 `sigma-duplicate-value`: A field lists the same value twice.
//!
//! pySigma counterpart: SigmahqFieldDuplicateValueIssue (sigmahq_field_duplicate_value).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF630",
    name: "sigma-duplicate-value",
    severity: Severity::Error,
    summary: "A field lists the same value twice",
    explanation: "A repeated value in one list (compared case-insensitively, as Sigma matches, unless the item is case-sensitive: `cased`, `re`, `base64`) adds nothing and usually hides a typo in what was meant to be a different value. Remove or correct the duplicate.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if item.field.is_none() || item.values.len() < 2 {
            continue;
        }
        let cased = [
            "base64",
            "base64offset",
            "re",
            "i",
            "m",
            "s",
            "ignorecase",
            "multiline",
            "dotall",
            "cased",
        ]
        .iter()
        .any(|m| item.has(m));
        let mut seen: HashMap<String, Span> = HashMap::new();
        for v in &item.values {
            if v.nested {
                continue;
            }
            let key = if cased {
                v.raw.clone()
            } else {
                v.raw.to_lowercase()
            };
            if let Some(first) = seen.get(&key) {
                let d = sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!("`{}` is listed twice for {}", v.raw, item.label()),
                )
                .with_related(Related {
                    path: cx.path.to_string(),
                    span: Some(*first),
                    message: "first listed here".into(),
                });
                out.push(d);
                break;
            }
            seen.insert(key, v.span);
        }
    }
}
