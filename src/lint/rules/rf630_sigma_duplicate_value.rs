//! RF630 `sigma-duplicate-value`: A field lists the same value twice.
//!
//! pySigma counterpart: SigmahqFieldDuplicateValueIssue (sigmahq_field_duplicate_value).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF630",
    name: "sigma-duplicate-value",
    severity: Severity::Error,
    category: Category::Detection,
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
        let key = |v: &crate::sigma::Value| -> String {
            if cased {
                v.raw.clone()
            } else {
                v.raw.to_lowercase()
            }
        };
        let keys: Vec<(String, Span)> = item
            .values
            .iter()
            .filter(|v| !v.nested)
            .map(|v| (key(v), v.span))
            .collect();
        // Lists are short: scan them; index long ones.
        let mut index: FxHashMap<&str, Span> = FxHashMap::default();
        for (i, (k, span)) in keys.iter().enumerate() {
            let earlier: Option<Span> = if keys.len() <= 32 {
                keys[..i].iter().find(|(p, _)| p == k).map(|(_, s)| *s)
            } else {
                let e = index.get(k.as_str()).copied();
                if e.is_none() {
                    index.insert(k, *span);
                }
                e
            };
            if let Some(first) = earlier {
                let v = item.values.iter().find(|v| v.span == *span).expect("value");
                let d = sc::diag(
                    cx,
                    &RULE,
                    *span,
                    format!("`{}` is listed twice for {}", v.raw, item.label()),
                )
                .with_related(Related {
                    path: cx.path.to_string(),
                    span: Some(first),
                    message: "first listed here".into(),
                });
                out.push(d);
                break;
            }
        }
    }
}
