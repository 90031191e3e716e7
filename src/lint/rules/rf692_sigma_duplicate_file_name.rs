//! RF692 `sigma-duplicate-file-name`: Two Sigma files in different folders have the same file name.
//!
//! pySigma counterpart: DuplicateFilenameIssue (duplicate_filename).

#[allow(unused_imports)]
use super::prelude::*;
use super::repository_common as rc;

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
    // Every document of a file shares its name: one holder per file.
    let names = cx.sigma.iter().map(|r| (file_name(r), (r, None)));
    for (_, group) in rc::duplicates(names) {
        rc::report_duplicates(&RULE, "file name", &group, file_name, out);
    }
}

fn file_name(r: &RuleSummary) -> &str {
    r.path.rsplit('/').next().unwrap_or(&r.path)
}
