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
    let b = value.as_bytes();
    // The indicators a plain scalar cannot start with are ASCII: testing the first byte is
    // testing the first character.
    b.first().is_some_and(|first| {
        !matches!(
            first,
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
                | b' '
        )
    }) && !b.ends_with(b":")
        && !b.ends_with(b" ")
        && !has_comment_or_value_mark(b)
        && matches!(resolve_plain(value), Resolved::Str(_))
}

/// Whether `b` holds `: ` or ` #` (one pass over the two marks' bytes).
fn has_comment_or_value_mark(b: &[u8]) -> bool {
    memchr::memchr2_iter(b':', b'#', b).any(|i| {
        if b[i] == b':' {
            b.get(i + 1) == Some(&b' ')
        } else {
            i > 0 && b[i - 1] == b' '
        }
    })
}

/// Whether `value` holds a tab or a character YAML cannot hold outside double quotes
/// ([`needs_escape`]); printable ASCII is decided byte by byte.
fn has_tab_or_escape(value: &str) -> bool {
    value.bytes().any(|b| !(0x20..0x7f).contains(&b))
        && value.chars().any(|c| c == '\t' || needs_escape(c))
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
    if plain_safe(value) && !has_tab_or_escape(value) {
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

    /// The byte scans say what the substring and character searches they replace said.
    #[test]
    fn byte_scans_agree_with_string_searches() {
        let values = [
            "",
            "a",
            "a: b",
            "a:b",
            "a :b",
            "a #b",
            "a#b",
            "#a",
            "a #",
            ": ",
            " #",
            "a:",
            "a ",
            "tab\there",
            "é: x",
            "é #x",
            "x\u{7f}",
            "x\u{85}",
            "x\u{2028}",
            "x\u{feff}",
            "line\nbreak",
            "-a",
            "–a",
            "ünïcode",
            "a::b",
            "a: ",
            "a #: b",
        ];
        for v in values {
            let old_marks = v.contains(": ") || v.contains(" #");
            assert_eq!(has_comment_or_value_mark(v.as_bytes()), old_marks, "{v:?}");
            let old_escape = v.chars().any(|c| c == '\t' || needs_escape(c));
            assert_eq!(has_tab_or_escape(v), old_escape, "{v:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_scans_agree_on_any_string(v in "[a: #\t\u{e9}\u{85}\u{2028}\u{7f}-]{0,8}") {
            let old_marks = v.contains(": ") || v.contains(" #");
            proptest::prop_assert_eq!(has_comment_or_value_mark(v.as_bytes()), old_marks);
            let old_escape = v.chars().any(|c| c == '\t' || needs_escape(c));
            proptest::prop_assert_eq!(has_tab_or_escape(&v), old_escape);
        }
    }
}
