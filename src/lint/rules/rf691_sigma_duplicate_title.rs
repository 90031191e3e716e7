//! RF691 `sigma-duplicate-title`: Two Sigma documents have the same title.
//!
//! pySigma counterpart: DuplicateTitleIssue (duplicate_title).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;
use std::borrow::Cow;

pub const RULE: LintRule = LintRule {
    code: "RF691",
    name: "sigma-duplicate-title",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma documents have the same title",
    explanation: "Titles are what analysts see in alert lists: two rules with one title cannot be told apart there. Make each title say what distinguishes the rule (the log source, the technique variant).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    rc::run_keyed::<Keys>(cx.sigma, out);
}

/// RF691 by key: the title, compared as [`rc::title_key`] does.
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
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
            rc::report_duplicates(&RULE, "title", &group, own_title, out);
        }
    }
}

fn own_title(r: &RuleSummary) -> &str {
    r.title.as_ref().map_or("", |t| t.value.as_str())
}
