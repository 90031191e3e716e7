//! Writing scalars back as YAML text: the one place that knows when a string may stay plain
//! and how to quote it. Fixes (`lint --fix`, policy fixes) rewrite one scalar in place in its
//! author's style ([`scalar_replacement`]); `fmt` writes every scalar in the canonical style
//! ([`quote`]).

use super::{resolve_plain, Resolved};
use std::borrow::Cow;

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
        && matches!(resolve_plain(value), Resolved::Str(_))
}

/// Characters YAML cannot hold outside double quotes.
pub fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\t'
        || matches!(
            c,
            '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}'
        )
}

/// How a string is written inline, as `ruleforge fmt` writes it: plain when it reads back as
/// the same string, else single-quoted, else (for characters single quotes cannot hold)
/// double-quoted.
pub fn quote(value: &str) -> String {
    quote_cow(value).into_owned()
}

/// [`quote`], borrowing `value` when it stays plain.
pub fn quote_cow(value: &str) -> Cow<'_, str> {
    if plain_safe(value) && !value.chars().any(|c| c == '\t' || needs_escape(c)) {
        Cow::Borrowed(value)
    } else if !value.chars().any(|c| c == '\n' || needs_escape(c)) {
        Cow::Owned(format!("'{}'", value.replace('\'', "''")))
    } else {
        Cow::Owned(double_quote(value))
    }
}

/// A double-quoted scalar, with escapes for what YAML cannot hold otherwise.
pub fn double_quote(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            '\0' => s.push_str("\\0"),
            c if needs_escape(c) => {
                let n = c as u32;
                if n <= 0xff {
                    s.push_str(&format!("\\x{n:02x}"));
                } else {
                    s.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
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
