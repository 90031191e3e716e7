//! RF403 `unknown-related-id`: A `related` entry points at an id that no rule has.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

pub const RULE: LintRule = LintRule {
    code: "RF403",
    name: "unknown-related-id",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "A `related` entry points at an id that no rule has",
    explanation: "`related` links rules (a replacement, the rule this one was derived from). A link to an id that exists in no rule file is a typo or points at a rule that was deleted; either way the reader cannot follow it. Fix the id or remove the entry.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    rc::run_keyed::<Keys>(cx.rules, out);
}

/// RF403 by key: an id, which rules have and `related` entries name.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Native;
    const ALONE: bool = true;
    type Key<'a> = &'a str;

    fn keys<'a>(r: &'a RuleSummary, out: &mut Vec<Self::Key<'a>>) {
        out.extend(r.id.as_ref().map(|id| id.value.as_str()));
        out.extend(r.related.iter().map(|rel| rel.value.as_str()));
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        if holders
            .iter()
            .any(|r| r.id.as_ref().is_some_and(|id| id.value == *key))
        {
            return;
        }
        for r in holders {
            for rel in r.related.iter().filter(|rel| rel.value == *key) {
                out.push(RULE.diagnostic(
                    &r.path,
                    Some(rel.span),
                    format!(
                        "related id `{}` is not the id of any rule in the repository",
                        rel.value
                    ),
                ));
            }
        }
    }
}
