//! Helpers shared by the Sigma rules (RF6xx): condition parsing with spans, references from
//! the condition to selections, and the detection items every value check walks.

use super::prelude::*;
use crate::rule::Spanned;
use crate::sigma::condition::{self, Expr, ParseError};
use crate::sigma::{Detection, Item, Selection, Value};

/// Maps an offset inside a scalar's text to the file (see `fix::text_span`).
pub fn span_in(cx: &SigmaContext<'_>, s: &Spanned<String>, offset: usize, len: usize) -> Span {
    crate::lint::fix::text_span(cx.source, s, offset, len)
}

/// The detection (or filter) section, if the document has one.
pub fn detection<'a>(cx: &'a SigmaContext<'_>) -> Option<&'a Detection> {
    cx.rule.detection.as_ref()
}

/// Each condition with its parse result.
pub fn conditions(
    d: &Detection,
) -> impl Iterator<Item = (&Spanned<String>, Result<Expr, ParseError>)> {
    d.conditions.iter().map(|c| (c, condition::parse(&c.value)))
}

/// Names of the selections a parsed condition refers to.
pub fn referenced(d: &Detection, e: &Expr, used: &mut FxHashSet<String>) {
    e.leaves(&mut |leaf| match leaf {
        Expr::Ident { name, .. } => {
            used.insert(name.clone());
        }
        Expr::Of { pattern, .. } => {
            for s in &d.selections {
                if condition::pattern_matches(pattern, &s.name) {
                    used.insert(s.name.clone());
                }
            }
        }
        _ => {}
    });
}

/// Every detection item with its selection.
pub fn items<'a>(cx: &'a SigmaContext<'_>) -> impl Iterator<Item = (&'a Selection, &'a Item)> {
    detection(cx).into_iter().flat_map(|d| d.items())
}

/// Every string value of every item, with its item.
pub fn string_values<'a>(cx: &'a SigmaContext<'_>) -> impl Iterator<Item = (&'a Item, &'a Value)> {
    items(cx).flat_map(|(_, i)| {
        i.values
            .iter()
            .filter(|v| !v.nested && v.ty == crate::sigma::modifiers::VType::Str)
            .map(move |v| (i, v))
    })
}

/// Does the item treat its values as plain Sigma strings (wildcards and escapes apply)?
/// Regular expressions, CIDR networks and field references do not.
pub fn plain_string_item(i: &Item) -> bool {
    !i.has("re") && !i.has("cidr") && !i.has("fieldref") && !i.has("exists")
}

pub fn diag(
    cx: &SigmaContext<'_>,
    rule: &LintRule,
    span: Span,
    msg: impl Into<String>,
) -> Diagnostic {
    rule.diagnostic(cx.path, Some(span), msg)
}
