//! RF502 `id-changed`: A rule file kept its path but its `id` changed.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF502",
    name: "id-changed",
    severity: Severity::Error,
    category: Category::Policy,
    summary: "A rule file kept its path but its `id` was changed in place",
    explanation: "A rule's id is its identity in bundles, scanner alerts and other rules' `related` links, and it never changes. Compared with the base revision, this file has a different id while the old id is gone from the repository: every consumer sees one rule deleted and an unrelated one added. Restore the old id. To replace a rule, deprecate it and add a new file with a fresh id and `related: [{id: <old id>, type: supersedes}]`.",
    fixable: false,
    default_enabled: true,
};
