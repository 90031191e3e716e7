//! Building fixes that keep the file's formatting, and applying them.

use super::context::FileContext;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};
use crate::rule::Spanned;
use crate::source::SourceFile;

/// Attaches a safe fix replacing the scalar at `span` with `value`, keeping the scalar's
/// quoting style. No fix is attached when the scalar cannot be rewritten in place safely
/// (block scalars, multi-line scalars).
pub fn with_value_fix(
    cx: &FileContext<'_>,
    d: Diagnostic,
    span: Span,
    value: &str,
    message: &str,
) -> Diagnostic {
    match crate::yaml::emit::scalar_replacement(cx.source.slice(span), value) {
        Some(text) => d.with_fix(Fix::safe(message, span, text)),
        None => d,
    }
}

/// Maps an offset inside a condition's text to a span in the file. Falls back to the whole
/// condition when the scalar is not a single-line plain or quoted scalar.
pub fn condition_span(
    cx: &FileContext<'_>,
    c: &Spanned<String>,
    offset: usize,
    len: usize,
) -> Span {
    text_span(cx.source, c, offset, len)
}

/// Maps an offset inside a scalar's value to a span in the file: exact for plain and quoted
/// single-line scalars and for block scalars holding one line; else the whole scalar.
pub fn text_span(source: &SourceFile, c: &Spanned<String>, offset: usize, len: usize) -> Span {
    let raw = source.slice(c.span);
    let inner = match raw.as_bytes().first() {
        Some(b'\'') | Some(b'"') => Some(1),
        _ => Some(0),
    }
    .filter(|&i| raw.get(i..i + c.value.len()) == Some(c.value.as_str()))
    .or_else(|| {
        let v = c.value.trim_end_matches('\n');
        (!v.is_empty() && !v.contains('\n'))
            .then(|| raw.find(v))
            .flatten()
    });
    match inner {
        Some(inner) => {
            let value_len = c.value.trim_end_matches('\n').len();
            let start = c.span.start + inner + offset.min(value_len);
            Span::new(
                start,
                (start + len)
                    .min(c.span.start + inner + value_len)
                    .max(start),
            )
        }
        None => c.span,
    }
}

/// The span of `word` (as a whole token) inside a condition.
pub fn find_word(cx: &FileContext<'_>, c: &Spanned<String>, word: &str) -> Span {
    let text = &c.value;
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at].chars().last();
        let after = text[at + word.len()..].chars().next();
        let tok = |ch: Option<char>| ch.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !tok(before) && !tok(after) {
            return condition_span(cx, c, at, word.len());
        }
        from = at + word.len();
    }
    c.span
}

/// Applies the safe fixes of `diagnostics` to `text`. Overlapping edits are skipped (a
/// later pass picks them up). Returns the new text and the number of fixes applied.
pub fn apply(text: &str, diagnostics: &[Diagnostic]) -> (String, usize) {
    let mut edits: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    let mut fixes: Vec<&Fix> = diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| f.applicability == Applicability::Safe)
        .collect();
    fixes.sort_by_key(|f| f.edits.first().map(|e| e.span.start));
    for fix in fixes {
        let overlaps = fix.edits.iter().any(|e| {
            edits
                .iter()
                .any(|o| e.span.start < o.span.end && o.span.start < e.span.end || e.span == o.span)
        });
        if !overlaps {
            edits.extend(fix.edits.iter());
            applied += 1;
        }
    }
    edits.sort_by_key(|e| e.span.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.span.start]);
        out.push_str(&e.replacement);
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    (out, applied)
}
