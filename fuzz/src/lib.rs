//! What the fuzz targets share: the options they run with, the way one input is cut into
//! several parts, and the invariants every target checks (spans inside the text).

use ruleforge::lint::{registry::Selection, Options};
use ruleforge::Diagnostic;
use std::sync::OnceLock;

/// Every lint rule on, a fixed date (so expiry checks do not depend on the day).
pub fn lint_options() -> &'static Options {
    static OPTS: OnceLock<Options> = OnceLock::new();
    OPTS.get_or_init(|| {
        Options::new(
            Selection::new(vec!["ALL".into()], vec![]),
            time::macros::date!(2026 - 01 - 01),
        )
    })
}

/// The parts of an input separated by NUL bytes (a NUL never occurs in a rule file: the
/// seeds of the multi-part targets are written with it).
pub fn parts(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == 0)
}

/// Cuts `data` in two at its first NUL (the second part is empty without one).
pub fn two(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Decodes `bytes` as the rule file `path` would be read (UTF-8, BOM dropped).
pub fn source(path: &str, bytes: &[u8]) -> Option<ruleforge::source::SourceFile> {
    ruleforge::load::decode(path, bytes.to_vec()).ok()
}

/// Every span of `diags` lies inside a text of `len` bytes.
pub fn assert_spans(diags: &[Diagnostic], len: usize) {
    for d in diags {
        if let Some(s) = d.span {
            assert!(
                s.start <= s.end && s.end <= len,
                "span outside the text: {d:?}"
            );
        }
    }
}
