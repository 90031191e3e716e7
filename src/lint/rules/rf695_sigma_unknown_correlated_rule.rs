//! RF695 `sigma-unknown-correlated-rule`: A correlation rule or filter refers to a rule that does not exist.
//!
//! pySigma counterpart: SigmaRuleNotFoundError when resolving a correlation or filter (collection error).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

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
    rc::run_keyed::<Keys>(cx.sigma, out);
}

/// RF695 by key: an id or name, which documents have and correlations and filters name.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const ALONE: bool = true;
    type Key<'a> = &'a str;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        if let Some(s) = &r.sigma {
            s.refs.iter().map(|rf| rf.value.as_str()).for_each(&mut f);
        }
        let name = r.sigma.as_ref().and_then(|s| s.name.as_ref());
        r.id.iter()
            .chain(name)
            .map(|n| n.value.as_str())
            .for_each(&mut f);
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let known = holders.iter().any(|r| {
            let name = r.sigma.as_ref().and_then(|s| s.name.as_ref());
            r.id.iter().chain(name).any(|n| n.value == *key)
        });
        if known {
            return;
        }
        for r in holders {
            let Some(s) = &r.sigma else { continue };
            for rf in s.refs.iter().filter(|rf| rf.value == *key) {
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
