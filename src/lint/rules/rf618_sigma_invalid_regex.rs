//! RF618 `sigma-invalid-regex`: A `re` value is not a valid regular expression.
//!
//! pySigma counterpart: SigmaRegularExpressionError (rule error).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF618",
    name: "sigma-invalid-regex",
    severity: Severity::Error,
    category: Category::Detection,
    summary: "A `re` value is not a valid regular expression",
    explanation: "Values with the `re` modifier must be valid regular expressions (the PCRE subset Sigma specifies). An unbalanced parenthesis or bracket, a dangling backslash or a bad repetition makes pySigma reject the rule. Constructs this checker cannot judge (look-around, backreferences) are left to RF619.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, item) in sc::items(cx) {
        if !item.has("re") {
            continue;
        }
        for v in &item.values {
            if v.nested || v.ty == VType::Null {
                continue;
            }
            if let Some(msg) = regex_error(&v.raw) {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!("invalid regular expression for {}: {msg}", item.label()),
                ));
            }
        }
    }
}

/// Why `pattern` is not a valid regular expression, ignoring what the `regex` crate does not
/// support but Sigma backends may (look-around, backreferences, some escapes). Parses only:
/// no automaton is built.
pub fn regex_error(pattern: &str) -> Option<String> {
    use regex_syntax::ast::ErrorKind as K;
    match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Ok(_) => None,
        Err(e) => match e.kind() {
            K::UnsupportedLookAround | K::UnsupportedBackreference | K::EscapeUnrecognized => None,
            k => Some(k.to_string()),
        },
    }
}
