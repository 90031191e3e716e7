//! The reference matcher: the `ruleforge-match` crate (what a scanner depends on to match a
//! bundle's rules), re-exported, and the bridge from this crate's parsed rules to its
//! [`RuleSpec`]. `docs/matching.md` documents the semantics.

pub use ruleforge_match::*;

use crate::rule::Rule;

impl From<&Rule> for RuleSpec {
    /// The spec of a parsed YAML rule (values as written; the matcher canonicalizes them).
    fn from(rule: &Rule) -> RuleSpec {
        RuleSpec {
            id: rule
                .id
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            title: rule
                .title
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            groups: rule
                .indicators
                .iter()
                .map(|g| GroupSpec {
                    name: g.name.clone(),
                    types: g
                        .types
                        .iter()
                        .map(|t| TypeSpec {
                            key: t.key.clone(),
                            values: t.values.iter().map(|v| v.raw.clone()).collect(),
                        })
                        .collect(),
                })
                .collect(),
            condition: rule.condition.as_ref().map(|c| c.value.clone()),
        }
    }
}
