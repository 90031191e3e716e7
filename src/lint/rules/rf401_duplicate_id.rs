//! RF401 `duplicate-id`: Two rule files have the same id.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF401",
    name: "duplicate-id",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two rule files have the same id",
    explanation: "Ids identify rules across the repository, bundles and scanners: two files with the same id make one of them invisible to diffs and overwrite each other in a bundle. This usually happens when a file is copied to start a new rule. Give the copy a fresh id (`ruleforge new --from` does that and records the relation).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_id: FxHashMap<&str, Vec<&RuleSummary>> = FxHashMap::default();
    for r in cx.rules {
        if let Some(id) = &r.id {
            by_id.entry(id.value.as_str()).or_default().push(r);
        }
    }
    for (id, rules) in by_id {
        if rules.len() < 2 {
            continue;
        }
        for r in &rules {
            let others: Vec<&&RuleSummary> = rules.iter().filter(|o| o.path != r.path).collect();
            let mut d = RULE.diagnostic(
                &r.path,
                r.id.as_ref().map(|i| i.span),
                format!(
                    "id `{id}` is also used by {}",
                    others
                        .iter()
                        .map(|o| o.path.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            for o in others {
                d = d.with_related(Related {
                    path: o.path.clone(),
                    span: o.id.as_ref().map(|i| i.span),
                    message: "the same id".into(),
                });
            }
            out.push(d);
        }
    }
}
