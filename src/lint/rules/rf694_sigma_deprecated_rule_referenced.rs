//! RF694 `sigma-deprecated-rule-referenced`: A correlation rule or filter refers to a deprecated rule.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF694",
    name: "sigma-deprecated-rule-referenced",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "A correlation rule or filter refers to a deprecated rule",
    explanation: "A deprecated rule is no longer maintained and is skipped by conversion pipelines, so a correlation or filter built on it silently stops working. Refer to the rule that replaced it (see the deprecated rule's `related` links).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut deprecated: FxHashMap<&str, &RuleSummary> = FxHashMap::default();
    for r in cx.sigma.iter().filter(|r| r.deprecated) {
        if let Some(id) = &r.id {
            deprecated.insert(&id.value, r);
        }
        if let Some(n) = r.sigma.as_ref().and_then(|s| s.name.as_ref()) {
            deprecated.insert(&n.value, r);
        }
    }
    if deprecated.is_empty() {
        return;
    }
    for r in cx.sigma.iter().filter(|r| !r.deprecated) {
        let Some(s) = &r.sigma else { continue };
        for rf in &s.refs {
            if let Some(dep) = deprecated.get(rf.value.as_str()) {
                out.push(
                    RULE.diagnostic(
                        &r.path,
                        Some(rf.span),
                        format!(
                            "`{}` refers to a deprecated rule ({})",
                            rf.value,
                            dep.label()
                        ),
                    )
                    .with_related(Related {
                        path: dep.path.clone(),
                        span: dep.id.as_ref().map(|i| i.span),
                        message: "deprecated here".into(),
                    }),
                );
            }
        }
    }
}
