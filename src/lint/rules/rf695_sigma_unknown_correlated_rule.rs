//! RF695 `sigma-unknown-correlated-rule`: A correlation rule or filter refers to a rule that does not exist.
//!
//! pySigma counterpart: SigmaRuleNotFoundError when resolving a correlation or filter (collection error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF695",
    name: "sigma-unknown-correlated-rule",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "A correlation rule or filter refers to a rule that does not exist",
    explanation: "The `rules` of a correlation rule or filter name Sigma rules by `id` or `name`. A name that matches no rule in the repository makes the correlation impossible to convert (pySigma fails to resolve it). Fix the reference or add the rule.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut known: FxHashSet<&str> = FxHashSet::default();
    for r in cx.sigma {
        if let Some(id) = &r.id {
            known.insert(&id.value);
        }
        if let Some(n) = r.sigma.as_ref().and_then(|s| s.name.as_ref()) {
            known.insert(&n.value);
        }
    }
    for r in cx.sigma {
        let Some(s) = &r.sigma else { continue };
        for rf in &s.refs {
            if !known.contains(rf.value.as_str()) {
                out.push(RULE.diagnostic(
                    &r.path,
                    Some(rf.span),
                    format!(
                        "`{}` is neither the id nor the name of a Sigma rule in the repository",
                        rf.value
                    ),
                ));
            }
        }
    }
}
