//! RF108 `placeholder-text`: A field still holds placeholder text such as TODO.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF108",
    name: "placeholder-text",
    severity: Severity::Error,
    category: Category::Metadata,
    summary: "A field still holds placeholder text such as TODO",
    explanation: "`ruleforge new` scaffolds rules with placeholders (`TODO`) that must be replaced before the rule ships; the same goes for `TBD`, `FIXME`, `XXX`, `CHANGEME` and lorem ipsum left in a title, description, author or false-positive note. The finding is an error so that an unfinished rule cannot reach a bundle.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let fields = [
        ("title", &cx.rule.title),
        ("description", &cx.rule.description),
        ("author", &cx.rule.author),
    ];
    let mut check = |key: &str, v: &crate::rule::Spanned<String>| {
        if let Some(word) = placeholder(&v.value) {
            out.push(RULE.diagnostic(
                cx.path,
                Some(v.span),
                format!("`{key}` holds placeholder text `{word}`"),
            ));
        }
    };
    for (key, v) in fields {
        if let Some(v) = v {
            check(key, v);
        }
    }
    for fp in &cx.rule.falsepositives {
        check("falsepositives", fp);
    }
}

/// The placeholder word in `text`, if any (whole words only).
pub fn placeholder(text: &str) -> Option<&'static str> {
    const WORDS: [&str; 5] = ["TODO", "TBD", "FIXME", "XXX", "CHANGEME"];
    let bytes = text.as_bytes();
    // Every word is a run of at least three upper-case ASCII letters: most texts have none.
    let capitals = bytes
        .windows(3)
        .any(|w| w.iter().all(u8::is_ascii_uppercase));
    for w in WORDS.into_iter().filter(|_| capitals) {
        let mut rest = text;
        while let Some(i) = rest.find(w) {
            let before = rest[..i].chars().last();
            let after = rest[i + w.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            if boundary(before) && boundary(after) {
                return Some(w);
            }
            rest = &rest[i + w.len()..];
        }
    }
    let lorem = b"lorem ipsum";
    if memchr::memchr2_iter(b'l', b'L', bytes).any(|i| {
        bytes
            .get(i..i + lorem.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(lorem))
    }) {
        return Some("lorem ipsum");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::placeholder;

    #[test]
    fn finds_whole_placeholder_words_and_lorem_ipsum() {
        assert_eq!(placeholder("TODO"), Some("TODO"));
        assert_eq!(placeholder("Detects X. TBD: scope"), Some("TBD"));
        assert_eq!(placeholder("see FIXME."), Some("FIXME"));
        assert_eq!(placeholder("author XXX"), Some("XXX"));
        assert_eq!(placeholder("é CHANGEME é"), Some("CHANGEME"));
        assert_eq!(placeholder("Lorem Ipsum dolor"), Some("lorem ipsum"));
        assert_eq!(placeholder("…LOREM IPSUM"), Some("lorem ipsum"));
        // Inside longer words, or lower case: not placeholders.
        assert_eq!(placeholder("TODOS and XXXL sizes"), None);
        assert_eq!(placeholder("todo: a plain sentence, Lorem alone"), None);
        assert_eq!(placeholder("APT29 uses SUNBURST via DLL"), None);
        assert_eq!(placeholder("lorem ipsu"), None);
        assert_eq!(placeholder(""), None);
    }
}
