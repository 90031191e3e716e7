//! Inline suppressions in YAML comments.
//!
//! - `# ruleforge: ignore[RF201]` at the end of a line silences those codes on that line
//!   (`# ruleforge: ignore` without a list silences every code there);
//! - `# ruleforge: ignore-file[RF113, RF4]` in the comment block at the top of the file
//!   silences the codes in the whole file.
//!
//! Codes may be prefixes (`RF2`).

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Suppressions {
    /// (1-based line, codes; empty = all)
    lines: Vec<(usize, Vec<String>)>,
    file: Vec<String>,
}

impl Suppressions {
    pub fn parse(src: &SourceFile) -> Self {
        let mut s = Suppressions::default();
        if !src.text.contains("ruleforge:") {
            return s;
        }
        let mut header = true;
        for (i, line) in src.text.lines().enumerate() {
            let trimmed = line.trim_start();
            let is_comment = trimmed.starts_with('#');
            if !is_comment && !trimmed.is_empty() {
                header = false;
            }
            let Some(pos) = line.find("ruleforge:") else {
                continue;
            };
            // Only inside a comment: a `#` before the marker.
            if !line[..pos].contains('#') {
                continue;
            }
            let rest = line[pos + "ruleforge:".len()..].trim_start();
            let (file_level, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("ignore") {
                (false, r)
            } else {
                continue;
            };
            let codes: Vec<String> = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
                Some((list, _)) => list
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
                None => Vec::new(),
            };
            if file_level {
                if header && is_comment {
                    s.file.extend(if codes.is_empty() {
                        vec![String::new()]
                    } else {
                        codes
                    });
                }
            } else {
                // A comment-only line suppresses the next line.
                let target = if is_comment { i + 2 } else { i + 1 };
                s.lines.push((target, codes));
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.file.is_empty()
    }

    pub fn suppresses(&self, d: &Diagnostic, src: &SourceFile) -> bool {
        let hit = |codes: &[String]| {
            codes.is_empty() || codes.iter().any(|c| d.code.starts_with(c.as_str()))
        };
        if self.file.iter().any(|c| d.code.starts_with(c.as_str())) {
            return true;
        }
        let Some(span) = d.span else { return false };
        let line = src.line_col(span.start).line;
        self.lines.iter().any(|(l, codes)| *l == line && hit(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: &str) -> &'static crate::diagnostic::LintRule {
        crate::lint::registry::lookup(code).expect("a registered code")
    }

    fn diag(code: &'static str, at: usize) -> Diagnostic {
        rule(code).diagnostic("a.yml", Some(crate::diagnostic::Span::new(at, at + 1)), "m")
    }

    #[test]
    fn line_and_file_suppressions() {
        let src = SourceFile::new(
            "a.yml",
            "# ruleforge: ignore-file[RF113]\nid: x\nv: 10.0.0.1 # ruleforge: ignore[RF205]\n# ruleforge: ignore\nw: y\n",
        );
        let s = Suppressions::parse(&src);
        assert!(s.suppresses(&rule("RF113").diagnostic("a.yml", None, "m"), &src));
        let v = src.text.find("10.0").unwrap();
        assert!(s.suppresses(&diag("RF205", v), &src));
        assert!(!s.suppresses(&diag("RF201", v), &src));
        let w = src.text.find("w: y").unwrap();
        assert!(s.suppresses(&diag("RF201", w), &src));
        let id = src.text.find("id").unwrap();
        assert!(!s.suppresses(&diag("RF101", id), &src));
    }
}
