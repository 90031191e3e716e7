//! RF640 `sigma-invalid-id`: The Sigma rule id is not a UUID.
//!
//! pySigma counterpart: SigmaIdentifierError "Sigma rule identifier must be an UUID" (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF640",
    name: "sigma-invalid-id",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "The Sigma rule id is not a UUID",
    explanation: "Sigma rule ids are UUIDs (version 4 recommended): correlation rules, filters, `related` links and every SIEM that imports the rule track it by id. pySigma rejects other ids. Generate one with `uuidgen` or `python3 -c \"import uuid; print(uuid.uuid4())\"`.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(id) = &cx.rule.id else { return };
    if uuid::Uuid::parse_str(id.value.trim()).is_err() {
        out.push(sc::diag(
            cx,
            &RULE,
            id.span,
            format!("id `{}` is not a UUID", id.value),
        ));
    }
}
