//! One file per lint rule. Adding a rule: add a file here, list it in `registry.rs`,
//! and add its fixture under `tests/fixtures/lint/`.

pub mod rf001_yaml_syntax;
pub mod rf002_duplicate_key;
pub mod rf003_file_too_large;
pub mod rf004_invalid_utf8;
pub mod rf005_empty_file;
pub mod rf006_alias_limit;
pub mod rf007_tab_indentation;
pub mod rf008_multiple_documents;
pub mod rf010_schema_violation;
pub mod rf101_invalid_id;
pub mod rf102_modified_before_created;
pub mod rf103_date_in_future;
pub mod rf104_expired_rule;
pub mod rf105_deprecated_without_replacement;
pub mod rf106_title_length;
pub mod rf107_title_trailing_period;
pub mod rf108_placeholder_text;
pub mod rf109_description_length;
pub mod rf110_reference_not_http;
pub mod rf111_unknown_tag_namespace;
pub mod rf112_malformed_tag;
pub mod rf113_file_name_convention;
pub mod rf114_stable_without_tests;
pub mod rf115_test_unknown_field;
pub mod rf201_invalid_value;
pub mod rf202_non_canonical_value;
pub mod rf203_defanged_value;
pub mod rf204_duplicate_value;
pub mod rf205_known_benign_value;
pub mod rf206_overly_broad_value;
pub mod rf301_condition_syntax;
pub mod rf302_condition_unknown_group;
pub mod rf303_condition_unused_group;
pub mod rf401_duplicate_id;
pub mod rf402_value_in_several_rules;
pub mod rf403_unknown_related_id;
pub mod rf404_duplicate_title;
pub mod rf501_modified_not_bumped;
pub mod rf502_id_changed;
pub mod rf503_deleted_without_deprecation;
pub mod rf504_created_changed;
pub mod rf505_stable_demoted;

/// What rule files use.
pub mod prelude {
    pub use crate::benign;
    pub use crate::diagnostic::{Diagnostic, Related, Severity, Span};
    pub use crate::indicator::{self, Checked, IndicatorType, Syntax};
    pub use crate::lint::context::{parse_date, FileContext, RepoContext, RuleSummary};
    pub use crate::lint::fix::{condition_span, find_word, with_value_fix};
    pub use crate::lint::registry::LintRule;
    pub use crate::yaml::Node;
    pub use rustc_hash::{FxHashMap, FxHashSet};
    pub use std::collections::{HashMap, HashSet};
}
