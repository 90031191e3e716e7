//! RF501 `modified-not-bumped`: A changed rule kept (or moved back) its `modified` date.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF501",
    name: "modified-not-bumped",
    severity: Severity::Error,
    category: Category::Policy,
    summary: "A rule changed in meaning but its `modified` date was not moved forward",
    explanation: "Compared with the base revision (`ruleforge lint --base REV`, `ruleforge diff --check`), the rule's content changed (a field, an indicator, its status) but `modified` is the same date or earlier. Scanner teams and bundle readers use `modified` to see what is new; a stale date hides the change. Set `modified` to the date of the change: `ruleforge lint --base REV --fix` sets it to today. Moving or reformatting a file is not a change and needs no new date.",
    fixable: true,
    default_enabled: true,
};
