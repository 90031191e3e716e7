//! The registry of lint rules: stable codes, names, default severities and explanations.
//!
//! Codes are grouped by prefix: `RF0` structure (reading, YAML, schema), `RF1` metadata,
//! `RF2` indicators, `RF3` condition, `RF4` repository-wide, `RF5` policy against a base
//! revision, `RF6` Sigma rules (`RF60x` structure and condition, `RF61x` modifiers, `RF62x`
//! values, `RF63x` log source, `RF64x` metadata, `RF65x` tags and references, `RF66x`
//! file names, `RF69x` repository-wide). A selector is `ALL`, a code (`RF201`) or a prefix (`RF2`).

use super::context::{FileContext, RepoContext, SigmaContext};
use super::rules;
use crate::diagnostic::Diagnostic;
pub use crate::diagnostic::{Category, LintRule};

pub type FileCheck = fn(&FileContext<'_>, &mut Vec<Diagnostic>);
pub type RepoCheck = fn(&RepoContext<'_>, &mut Vec<Diagnostic>);
pub type SigmaCheck = fn(&SigmaContext<'_>, &mut Vec<Diagnostic>);

/// Where a rule's findings come from.
#[derive(Clone, Copy)]
pub enum Check {
    /// Emitted while reading and parsing a file.
    Loader,
    /// Emitted by the JSON-Schema validation.
    Schema,
    /// Run on each native rule file, in parallel.
    File(FileCheck),
    /// Run on each Sigma document, in parallel.
    Sigma(SigmaCheck),
    /// Run once over the whole rule set.
    Repo(RepoCheck),
    /// Run against a base revision (`lint --base`, `diff --check`).
    Policy,
}

pub struct Registered {
    pub rule: &'static LintRule,
    pub check: Check,
}

macro_rules! registry {
    ($($kind:ident $path:path),* $(,)?) => {
        &[$(Registered { rule: &{ use $path as m; m::RULE }, check: registry!(@check $kind $path) }),*]
    };
    (@check loader $path:path) => { Check::Loader };
    (@check schema $path:path) => { Check::Schema };
    (@check policy $path:path) => { Check::Policy };
    (@check file $path:path) => { Check::File({ use $path as m; m::check }) };
    (@check sigma $path:path) => { Check::Sigma({ use $path as m; m::check }) };
    (@check repo $path:path) => { Check::Repo({ use $path as m; m::check }) };
}

static ALL: &[Registered] = registry![
    loader rules::rf001_yaml_syntax,
    loader rules::rf002_duplicate_key,
    loader rules::rf003_file_too_large,
    loader rules::rf004_invalid_utf8,
    loader rules::rf005_empty_file,
    loader rules::rf006_alias_limit,
    loader rules::rf007_tab_indentation,
    loader rules::rf008_multiple_documents,
    schema rules::rf010_schema_violation,
    file rules::rf101_invalid_id,
    file rules::rf102_modified_before_created,
    file rules::rf103_date_in_future,
    file rules::rf104_expired_rule,
    file rules::rf105_deprecated_without_replacement,
    file rules::rf106_title_length,
    file rules::rf107_title_trailing_period,
    file rules::rf108_placeholder_text,
    file rules::rf109_description_length,
    file rules::rf110_reference_not_http,
    file rules::rf111_unknown_tag_namespace,
    file rules::rf112_malformed_tag,
    file rules::rf113_file_name_convention,
    file rules::rf114_stable_without_tests,
    file rules::rf115_test_unknown_field,
    file rules::rf201_invalid_value,
    file rules::rf202_non_canonical_value,
    file rules::rf203_defanged_value,
    file rules::rf204_duplicate_value,
    file rules::rf205_known_benign_value,
    file rules::rf206_overly_broad_value,
    file rules::rf301_condition_syntax,
    file rules::rf302_condition_unknown_group,
    file rules::rf303_condition_unused_group,
    repo rules::rf401_duplicate_id,
    repo rules::rf402_value_in_several_rules,
    repo rules::rf403_unknown_related_id,
    repo rules::rf404_duplicate_title,
    policy rules::rf501_modified_not_bumped,
    policy rules::rf502_id_changed,
    policy rules::rf503_deleted_without_deprecation,
    policy rules::rf504_created_changed,
    policy rules::rf505_stable_demoted,
    schema rules::rf600_sigma_schema_violation,
    sigma rules::rf601_sigma_condition_syntax,
    sigma rules::rf602_sigma_aggregation_condition,
    sigma rules::rf603_sigma_undefined_selection,
    sigma rules::rf604_sigma_unused_selection,
    sigma rules::rf605_sigma_all_of_them,
    sigma rules::rf606_sigma_them_single_selection,
    sigma rules::rf607_sigma_empty_detection,
    sigma rules::rf610_sigma_unknown_modifier,
    sigma rules::rf611_sigma_modifier_type_mismatch,
    sigma rules::rf612_sigma_all_without_contains,
    sigma rules::rf613_sigma_all_with_single_value,
    sigma rules::rf614_sigma_base64offset_without_contains,
    sigma rules::rf615_sigma_windash_with_all,
    sigma rules::rf616_sigma_repeated_modifier,
    sigma rules::rf617_sigma_regex_with_wildcard_modifier,
    sigma rules::rf618_sigma_invalid_regex,
    sigma rules::rf619_sigma_unsupported_regex_construct,
    sigma rules::rf620_sigma_invalid_cidr,
    sigma rules::rf621_sigma_cidr_on_non_ip_field,
    sigma rules::rf622_sigma_empty_value,
    sigma rules::rf623_sigma_wildcard_only_value,
    sigma rules::rf624_sigma_escaped_wildcard,
    sigma rules::rf625_sigma_dangling_backslash,
    sigma rules::rf626_sigma_double_wildcard,
    sigma rules::rf627_sigma_number_as_string,
    sigma rules::rf628_sigma_control_character,
    sigma rules::rf629_sigma_wildcard_instead_of_modifier,
    sigma rules::rf630_sigma_duplicate_value,
    sigma rules::rf631_sigma_field_name_with_space,
    sigma rules::rf632_sigma_invalid_hash_value,
    sigma rules::rf635_sigma_logsource_unknown_key,
    sigma rules::rf636_sigma_specific_logsource,
    sigma rules::rf637_sigma_empty_logsource,
    sigma rules::rf640_sigma_invalid_id,
    sigma rules::rf641_sigma_missing_id,
    sigma rules::rf642_sigma_missing_recommended_field,
    sigma rules::rf643_sigma_modified_before_date,
    sigma rules::rf644_sigma_modified_without_date,
    sigma rules::rf645_sigma_redundant_modified,
    sigma rules::rf646_sigma_invalid_date,
    sigma rules::rf647_sigma_deprecated_status_location,
    sigma rules::rf648_sigma_title_style,
    sigma rules::rf649_sigma_description_style,
    sigma rules::rf650_sigma_misspelt_key,
    sigma rules::rf651_sigma_deprecated_fields_key,
    sigma rules::rf655_sigma_unknown_tag_namespace,
    sigma rules::rf656_sigma_malformed_attack_tag,
    sigma rules::rf657_sigma_malformed_tag_value,
    sigma rules::rf658_sigma_invalid_tlp_tag,
    sigma rules::rf659_sigma_duplicate_tag,
    sigma rules::rf660_sigma_repeated_exclusive_tag,
    sigma rules::rf661_sigma_duplicate_reference,
    sigma rules::rf665_sigma_file_name_length,
    sigma rules::rf666_sigma_file_name_convention,
    sigma rules::rf667_sigma_correlation_structure,
    repo rules::rf690_sigma_duplicate_id,
    repo rules::rf691_sigma_duplicate_title,
    repo rules::rf692_sigma_duplicate_file_name,
    repo rules::rf693_sigma_unknown_related_id,
    repo rules::rf694_sigma_deprecated_rule_referenced,
    repo rules::rf695_sigma_unknown_correlated_rule,
];

/// Every registered rule, in code order.
pub fn all() -> &'static [Registered] {
    ALL
}

/// The explanation `ruleforge rule CODE` prints (and the language server shows on hover).
pub fn explain(r: &LintRule) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", r.code, r.name);
    let _ = writeln!(s);
    let _ = writeln!(s, "{}.", r.summary);
    let _ = writeln!(s);
    let _ = writeln!(s, "Default severity: {}", r.severity);
    let _ = writeln!(s, "Category: {}", r.category);
    let _ = writeln!(
        s,
        "Enabled by default: {}",
        if r.default_enabled {
            "yes"
        } else {
            "no (select it with --select)"
        }
    );
    let _ = writeln!(
        s,
        "Fix: {}",
        if r.fixable {
            "safe fix available (`ruleforge lint --fix`)"
        } else {
            "none"
        }
    );
    let _ = writeln!(s);
    for line in wrap(r.explanation, 88) {
        let _ = writeln!(s, "{line}");
    }
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The rule with this code.
pub fn lookup(code: &str) -> Option<&'static LintRule> {
    all_rules().find(|r| r.code == code)
}

/// Every rule's description.
pub fn all_rules() -> impl Iterator<Item = &'static LintRule> {
    ALL.iter().map(|r| r.rule)
}

/// A selector that is not `ALL`, a code or a code prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule code or prefix `{selector}` (see `ruleforge rule --all`)")]
pub struct UnknownSelector {
    pub selector: String,
}

/// Validates a selector (`ALL`, a code or a code prefix).
pub fn check_selector(sel: &str) -> Result<(), UnknownSelector> {
    if sel == "ALL" || all_rules().any(|r| r.code.starts_with(sel)) && sel.starts_with("RF") {
        Ok(())
    } else {
        Err(UnknownSelector {
            selector: sel.to_string(),
        })
    }
}

/// Which codes are enabled.
#[derive(Debug, Clone)]
pub struct Selection {
    select: Vec<String>,
    ignore: Vec<String>,
    /// The answer for every code `RF000`..`RF999`, for a rule enabled by default (bit
    /// `2n + 1`) and for one that is not (bit `2n`), decided once: every file asks for
    /// every rule.
    decided: [u64; 32],
}

impl Selection {
    /// `select` empty means the default set.
    pub fn new(select: Vec<String>, ignore: Vec<String>) -> Self {
        let mut s = Selection {
            select,
            ignore,
            decided: [0; 32],
        };
        for n in 0..1000 {
            let digit = |d: usize| b'0' + (d % 10) as u8;
            let code = [b'R', b'F', digit(n / 100), digit(n / 10), digit(n)];
            let code = std::str::from_utf8(&code).expect("ASCII");
            for default_enabled in [false, true] {
                if s.decide(code, default_enabled) {
                    let bit = 2 * n + usize::from(default_enabled);
                    s.decided[bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        s
    }

    pub fn is_enabled(&self, rule: &LintRule) -> bool {
        match code_number(rule.code) {
            Some(n) => {
                let bit = 2 * n + usize::from(rule.default_enabled);
                self.decided[bit / 64] & (1 << (bit % 64)) != 0
            }
            None => self.decide(rule.code, rule.default_enabled),
        }
    }

    /// Whether a rule with this code, enabled by default or not, is selected.
    fn decide(&self, code: &str, default_enabled: bool) -> bool {
        let matches = |sels: &[String]| -> Option<usize> {
            sels.iter()
                .filter(|s| s.as_str() == "ALL" || code.starts_with(s.as_str()))
                .map(|s| if s == "ALL" { 0 } else { s.len() })
                .max()
        };
        let sel = if self.select.is_empty() {
            default_enabled.then_some(0)
        } else {
            matches(&self.select)
        };
        match (sel, matches(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            // The more specific selector wins, as in ruff.
            (Some(s), Some(i)) => s > i,
        }
    }

    pub fn is_code_enabled(&self, code: &str) -> bool {
        lookup(code).is_some_and(|r| self.is_enabled(r))
    }
}

/// `n` of a code `RFnnn`.
fn code_number(code: &str) -> Option<usize> {
    match *code.as_bytes() {
        [b'R', b'F', a, b, c] if [a, b, c].iter().all(u8::is_ascii_digit) => {
            Some(usize::from(a - b'0') * 100 + usize::from(b - b'0') * 10 + usize::from(c - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_documented() {
        let mut seen = HashSet::new();
        let mut names = HashSet::new();
        for r in all_rules() {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(r.code.len() == 5 && r.code.starts_with("RF"), "{}", r.code);
            assert!(
                r.explanation.len() > 80,
                "{} needs a real explanation",
                r.code
            );
            assert!(!r.summary.ends_with('.'), "{} summary", r.code);
        }
    }

    /// The answers decided up front are the selectors' answers, for every registered rule,
    /// for both defaults, and for codes outside the `RFnnn` form.
    #[test]
    fn decided_selection_is_the_selectors_answer() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (v(&[]), v(&[])),
            (v(&["ALL"]), v(&[])),
            (v(&["ALL"]), v(&["RF2", "RF401"])),
            (v(&["RF2"]), v(&["RF205"])),
            (v(&["RF205"]), v(&["RF2"])),
            (v(&[]), v(&["RF1", "RF60"])),
            (v(&["RF6", "RF10"]), v(&["ALL"])),
        ];
        for (select, ignore) in cases {
            let s = Selection::new(select.clone(), ignore.clone());
            for r in all_rules() {
                for default_enabled in [false, true] {
                    let rule = LintRule {
                        default_enabled,
                        ..*r
                    };
                    assert_eq!(
                        s.is_enabled(&rule),
                        s.decide(r.code, default_enabled),
                        "{} (default {default_enabled}) with {select:?} / {ignore:?}",
                        r.code
                    );
                }
            }
            for code in ["RF", "RF1", "RF1000", "XX101"] {
                let rule = LintRule {
                    code,
                    ..*all_rules().next().unwrap()
                };
                assert_eq!(s.is_enabled(&rule), s.decide(code, rule.default_enabled));
            }
        }
        assert_eq!(code_number("RF042"), Some(42));
        assert_eq!(code_number("RF4x2"), None);
    }

    #[test]
    fn selection_specificity() {
        let s = Selection::new(vec!["RF2".into()], vec!["RF205".into()]);
        assert!(s.is_code_enabled("RF201"));
        assert!(!s.is_code_enabled("RF205"));
        assert!(!s.is_code_enabled("RF101"));
        let s = Selection::new(vec!["RF205".into()], vec!["RF2".into()]);
        assert!(s.is_code_enabled("RF205"));
        assert!(!s.is_code_enabled("RF201"));
        let s = Selection::new(vec!["ALL".into()], vec![]);
        assert!(s.is_code_enabled("RF402"));
    }
}
