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
    match scalar_replacement(cx.source.slice(span), value) {
        Some(text) => d.with_fix(Fix::safe(message, span, text)),
        None => d,
    }
}

/// The source text that spells `value` in the style of `original`.
pub fn scalar_replacement(original: &str, value: &str) -> Option<String> {
    if original.contains('\n') || value.contains('\n') {
        return None;
    }
    match original.as_bytes().first() {
        Some(b'\'') => Some(format!("'{}'", value.replace('\'', "''"))),
        Some(b'"') => Some(format!(
            "\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        )),
        Some(b'|') | Some(b'>') => None,
        _ if plain_safe(value) => Some(value.to_string()),
        _ => Some(format!("'{}'", value.replace('\'', "''"))),
    }
}

/// Whether `value` can be written as a plain scalar and still read back as the same string.
pub fn plain_safe(value: &str) -> bool {
    let first = value.chars().next();
    !value.is_empty()
        && !matches!(
            first,
            Some(
                '-' | '?'
                    | ':'
                    | ','
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '#'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
                    | ' '
            )
        )
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !value.ends_with(' ')
        && matches!(
            crate::yaml::Scalar {
                value: value.to_string(),
                plain: true,
                tag: None
            }
            .resolve(),
            crate::yaml::Resolved::Str(_)
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_keep_quoting() {
        assert_eq!(scalar_replacement("'ABC'", "abc").as_deref(), Some("'abc'"));
        assert_eq!(
            scalar_replacement("\"A\"", "a\"b").as_deref(),
            Some("\"a\\\"b\"")
        );
        assert_eq!(scalar_replacement("ABC", "abc").as_deref(), Some("abc"));
        assert_eq!(scalar_replacement("X", "123").as_deref(), Some("'123'"));
        assert_eq!(scalar_replacement("x", "a: b").as_deref(), Some("'a: b'"));
        assert_eq!(scalar_replacement("|\n  x", "y"), None);
    }
}
