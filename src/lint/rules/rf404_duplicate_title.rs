//! RF404 `duplicate-title`: Two rules have the same title.

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;
use std::borrow::Cow;

pub const RULE: LintRule = LintRule {
    code: "RF404",
    name: "duplicate-title",
    severity: Severity::Warning,
    category: Category::Repository,
    summary: "Two rules have the same title",
    explanation: "Titles are what people see in alerts and changelogs. Two rules with one title cannot be told apart there, and the second is often an accidental copy. Make each title say what distinguishes its rule.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    rc::run_keyed::<Keys>(cx.rules, out);
}

/// RF404 by key: the title, compared as [`rc::title_key`] does.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Native;
    const ALONE: bool = false;
    type Key<'a> = Cow<'a, str>;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        if let Some(t) = &r.title {
            f(rc::title_key(&t.value));
        }
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let group = rc::holders_of(holders, |r| {
            r.title
                .as_ref()
                .filter(|t| rc::title_key(&t.value) == *key)
                .map(|t| Some(t.span))
        });
        if group.len() > 1 {
            for ((r, span), others) in rc::with_others(&group) {
                let paths: Vec<&str> = others.iter().map(|(o, _)| o.path.as_str()).collect();
                out.push(RULE.diagnostic(
                    &r.path,
                    *span,
                    format!("the same title is used by {}", paths.join(", ")),
                ));
            }
        }
    }
}
