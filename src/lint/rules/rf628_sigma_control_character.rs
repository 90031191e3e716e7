//! RF628 `sigma-control-character`: A value contains a control character.
//!
//! pySigma counterpart: ControlCharacterIssue (control_character).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF628",
    name: "sigma-control-character",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A value contains a control character",
    explanation: "A tab, newline or other control character inside a value is almost always an accident of YAML escaping: in a double-quoted string `\"C:\\temp\"` turns `\\t` into a tab. Use single quotes for Windows paths (`'C:\\temp'`) or double the backslash.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (item, v) in sc::string_values(cx) {
        if !sc::plain_string_item(item) {
            continue;
        }
        if let Some(c) = v.raw.chars().find(|c| (*c as u32) < 32) {
            out.push(sc::diag(
                cx,
                &RULE,
                v.span,
                format!(
                    "the value of {} contains the control character U+{:04X}: a backslash was probably read as an escape",
                    item.label(),
                    c as u32
                ),
            ));
        }
    }
}
