//! RF666 `sigma-file-name-convention`: The Sigma file name is not lower-case snake_case `.yml`.
//!
//! pySigma counterpart: SigmahqFilenameConventionIssue, SigmahqCorrelationFilenamePrefixIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF666",
    name: "sigma-file-name-convention",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The Sigma file name is not lower-case snake_case `.yml`",
    explanation: "SigmaHQ names rule files in lower-case snake_case with the `.yml` extension, starting with the log source (`proc_creation_win_...`, `net_connection_lnx_...`); correlation rule files start with `correlation_`. Predictable names keep the repository sorted and searchable. Rename the file (its `id` stays).",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let name = cx.file_name();
    if cx.doc_index == 0 {
        let stem = name.strip_suffix(".yml");
        let ok = stem.is_some_and(|s| {
            s.contains('_')
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
        if !ok {
            out.push(RULE.diagnostic(
                cx.path,
                None,
                format!("file name `{name}` should be lower-case snake_case ending in `.yml`"),
            ));
        }
    }
    if cx.rule.doc_type == DocType::Correlation && !name.starts_with("correlation_") {
        out.push(sc::diag(
            cx,
            &RULE,
            cx.rule.anchor(),
            format!("a file holding a correlation rule is named `correlation_...`, not `{name}`"),
        ));
    }
}
