//! RF692 `sigma-duplicate-file-name`: Two Sigma files in different folders have the same file name.
//!
//! pySigma counterpart: DuplicateFilenameIssue (duplicate_filename).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;
use crate::kind::RuleKind;

pub const RULE: LintRule = LintRule {
    code: "RF692",
    name: "sigma-duplicate-file-name",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma files in different folders have the same file name",
    explanation: "Conversion pipelines and SIEM imports often flatten folders and key rules by file name: two files with one name overwrite each other there. Rename one (keep its `id`).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    rc::run_keyed::<Keys>(cx.sigma, out);
}

/// RF692 by key: the file name (every document of a file shares it: one holder per file).
pub struct Keys;

impl rc::Keyed for Keys {
    const RULE: &'static LintRule = &RULE;
    const KIND: RuleKind = RuleKind::Sigma;
    const ALONE: bool = false;
    type Key<'a> = &'a str;

    fn each_key<'a>(r: &'a RuleSummary, mut f: impl FnMut(Self::Key<'a>)) {
        f(file_name(r));
    }

    fn findings(key: &Self::Key<'_>, holders: &[&RuleSummary], out: &mut Vec<Diagnostic>) {
        let group = rc::holders_of(holders, |r| (file_name(r) == *key).then_some(None));
        if group.len() > 1 {
            rc::report_duplicates(&RULE, "file name", &group, file_name, out);
        }
    }
}

fn file_name(r: &RuleSummary) -> &str {
    r.path.rsplit('/').next().unwrap_or(&r.path)
}
