//! Globs: `*` matches any run of characters (path separators included), `?` exactly one
//! character, everything else is literal; a glob matches the whole value.
//!
//! Two implementations on purpose: [`matches`] is the reference (a direct backtracking match
//! over characters), [`to_regex`] is what the precompiled rule set feeds into a `RegexSet`.
//! Tests check that they agree.

/// Whether `pattern` matches the whole of `text`. `question_wild` is false for URL patterns,
/// where `?` starts a query string and is literal.
pub fn matches(pattern: &str, text: &str, question_wild: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_chars(&p, &t, question_wild)
}

/// [`matches`] over characters already split out.
pub fn matches_chars(p: &[char], t: &[char], question_wild: bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position of the last `*` seen and the text position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == t[ti] || (question_wild && p[pi] == '?')) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more character and retry.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The longest run of literal characters of a glob (what every match must contain).
pub fn longest_literal(pattern: &str, question_wild: bool) -> &str {
    pattern
        .split(|c| c == '*' || (question_wild && c == '?'))
        .max_by_key(|s| s.len())
        .unwrap_or("")
}

/// Whether `value` has glob wildcards (`?` counts only when `question_wild`).
pub fn has_wildcards(value: &str, question_wild: bool) -> bool {
    value.contains('*') || (question_wild && value.contains('?'))
}

/// An anchored regular expression (for a case-sensitive `RegexSet`) equivalent to the glob.
pub fn to_regex(pattern: &str, question_wild: bool) -> String {
    let mut out = String::with_capacity(pattern.len() + 12);
    out.push_str("^(?s:");
    let mut buf = [0u8; 4];
    let mut last_star = false;
    for c in pattern.chars() {
        match c {
            '*' => {
                // `**` is the same as `*`; collapsing keeps the automaton small.
                if !last_star {
                    out.push_str(".*");
                }
                last_star = true;
                continue;
            }
            '?' if question_wild => out.push('.'),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
        last_star = false;
    }
    out.push_str(")$");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_semantics() {
        assert!(matches("*.aspx", "discover.aspx", true));
        assert!(!matches("*.aspx", "discover.aspx.bak", true));
        assert!(matches(
            r"C:\inetpub\*",
            r"C:\inetpub\wwwroot\aspnet_client\a.aspx",
            true
        ));
        assert!(matches("a?c", "abc", true));
        assert!(!matches("a?c", "abbc", true));
        assert!(!matches("a?c", "abc", false));
        assert!(matches("a?c", "a?c", false));
        assert!(matches("*", "", true));
        assert!(matches("**a**", "xxaxx", true));
        assert!(!matches("abc", "abcd", true));
        assert!(matches("*é?", "xéz", true));
        // A literal `*` in the text is matched by the wildcard, never required literally.
        assert!(matches("a*", "a*", true));
        assert!(matches("*ab*ab*", "xxabyyabzz", true));
        assert!(!matches("*ab*ab", "xxabyyabzz", true));
    }

    #[test]
    fn regex_translation_agrees() {
        let cases = [
            ("*.aspx", "a.aspx"),
            (r"C:\a\*", r"C:\a\b\c"),
            ("a?c", "abc"),
            ("a.c", "abc"),
            ("(x)+*", "(x)+yy"),
            ("*\n*", "a\nb"),
            ("?", "é"),
            ("", ""),
            ("a**b", "ab"),
        ];
        for (p, t) in cases {
            for q in [true, false] {
                let re = regex::Regex::new(&to_regex(p, q)).unwrap();
                assert_eq!(re.is_match(t), matches(p, t, q), "{p:?} {t:?} {q}");
            }
        }
    }
}
