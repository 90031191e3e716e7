//! RF641 `sigma-missing-id`: The Sigma rule has no id.
//!
//! pySigma counterpart: IdentifierExistenceIssue (identifier_existence).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF641",
    name: "sigma-missing-id",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The Sigma rule has no id",
    explanation: "Without an `id` a rule cannot be referenced by correlation rules, filters or `related` links, and SIEMs that import it cannot tell an update from a new rule. Add a UUID v4 `id`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    if cx.rule.id.is_none() {
        out.push(sc::diag(
            cx,
            &RULE,
            cx.rule.anchor(),
            format!("the Sigma {} has no `id`", cx.rule.doc_type.name()),
        ));
    }
}
