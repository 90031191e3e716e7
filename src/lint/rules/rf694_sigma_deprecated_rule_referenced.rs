//! RF694 `sigma-deprecated-rule-referenced`: A correlation rule or filter refers to a deprecated rule.
//!
//! pySigma counterpart: none (ruleforge).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

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
    if cx.sigma.iter().any(|r| r.deprecated) {
        rc::run_keyed::<Keys>(cx.sigma, out);
    }
}

/// The id or name of a Sigma document.
fn names(r: &RuleSummary) -> impl Iterator<Item = &str> {
    let name = r.sigma.as_ref().and_then(|s| s.name.as_ref());
    r.id.iter().chain(name).map(|n| n.value.as_str())
}

/// RF694 by key: an id or name, which documents have and correlations and filters name.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const ALONE: bool = false;
    type Key<'a> = &'a str;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        names(r).for_each(&mut f);
        if let Some(s) = &r.sigma {
            s.refs.iter().map(|rf| rf.value.as_str()).for_each(&mut f);
        }
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        // When several deprecated documents have the key, the last one is named.
        let Some(dep) = holders
            .iter()
            .rev()
            .find(|r| r.deprecated && names(r).any(|n| n == *key))
        else {
            return;
        };
        for r in holders.iter().filter(|r| !r.deprecated) {
            let Some(s) = &r.sigma else { continue };
            for rf in s.refs.iter().filter(|rf| rf.value == *key) {
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
