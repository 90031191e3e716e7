//! RF642 `sigma-missing-recommended-field`: The Sigma rule lacks author, date, description, level or status.
//!
//! pySigma counterpart: SigmahqAuthorExistenceIssue, SigmahqDateExistenceIssue, SigmahqDescriptionExistenceIssue, SigmahqLevelExistenceIssue, SigmahqStatusExistenceIssue.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF642",
    name: "sigma-missing-recommended-field",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The Sigma rule lacks author, date, description, level or status",
    explanation: "SigmaHQ requires `author`, `date`, `description`, `level` and `status` on every rule: they tell users who wrote it, since when it exists, what it detects, how urgent a hit is and how mature the rule is. Add the missing field.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let r = cx.rule;
    if r.doc_type == DocType::Filter {
        return;
    }
    for (name, present) in [
        ("author", r.author.is_some()),
        ("date", r.date.is_some()),
        ("description", r.description.is_some()),
        ("level", r.level.is_some()),
        ("status", r.status.is_some()),
    ] {
        if !present && cx.node.get(name).is_none() {
            out.push(sc::diag(
                cx,
                &RULE,
                r.anchor(),
                format!("the Sigma {} has no `{name}`", r.doc_type.name()),
            ));
        }
    }
}
