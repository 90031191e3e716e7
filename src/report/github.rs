//! GitHub Actions workflow commands (`::error file=…,line=…::message`).

use super::{location, Sources};
use crate::diagnostic::{Diagnostic, Severity};
use std::fmt::Write;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let loc = location(d, sources.get(&d.path).map(|s| s.as_ref()));
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = format!(
            "file={},line={},endLine={}",
            escape_property(&d.path),
            loc.line,
            loc.end_line
        );
        if loc.line == loc.end_line {
            let _ = write!(props, ",col={},endColumn={}", loc.column, loc.end_column);
        }
        let name = crate::lint::registry::lookup(d.code).map_or("", |r| r.name);
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("{} ({name})", d.code))
        );
        let _ = writeln!(
            out,
            "::{cmd} {props}::{}",
            escape_data(&format!("{} {}", d.code, d.message))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
