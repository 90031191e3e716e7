//! RF665 `sigma-file-name-length`: The Sigma file name is shorter than 10 or longer than 90 characters.
//!
//! pySigma counterpart: FilenameLengthIssue (filename_length).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF665",
    name: "sigma-file-name-length",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "The Sigma file name is shorter than 10 or longer than 90 characters",
    explanation: "SigmaHQ file names describe the rule (`proc_creation_win_certutil_download.yml`): fewer than 10 characters say nothing, more than 90 break tooling and are truncated in listings.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    if cx.doc_index != 0 {
        return;
    }
    let name = cx.file_name();
    let n = name.chars().count();
    if !(10..=90).contains(&n) {
        out.push(RULE.diagnostic(
            cx.path,
            None,
            format!("file name `{name}` has {n} characters: use 10 to 90"),
        ));
    }
}
