//! Human output: `path:line:col: CODE message`, a code frame, a summary line.

use super::{location, Counts, Sources};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt::Write;

/// Renders diagnostics; `styled` adds ANSI colours (the caller strips them when not on a TTY).
pub fn render(diags: &[Diagnostic], sources: &Sources, counts: &Counts, styled: bool) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    let (bold, red, yellow, cyan, reset) = if styled {
        (
            "\x1b[1m",
            "\x1b[1;31m",
            "\x1b[1;33m",
            "\x1b[1;36m",
            "\x1b[0m",
        )
    } else {
        ("", "", "", "", "")
    };
    let mut out = String::new();
    for d in diags {
        let src = sources.get(&d.path).map(|s| s.as_ref());
        let loc = location(d, src);
        let color = match d.severity {
            Severity::Error => red,
            Severity::Warning => yellow,
            Severity::Info => cyan,
        };
        let _ = writeln!(
            out,
            "{bold}{}:{}:{}:{reset} {color}{}{reset} {}{}",
            d.path,
            loc.line,
            loc.column,
            d.code,
            d.message,
            match d.severity {
                Severity::Error => "",
                Severity::Warning => " [warning]",
                Severity::Info => " [info]",
            }
        );
        if let (Some(span), Some(src)) = (d.span, src) {
            if !src.text.is_empty() {
                let level = match d.severity {
                    Severity::Error => Level::ERROR,
                    Severity::Warning => Level::WARNING,
                    Severity::Info => Level::INFO,
                };
                let text = src.text.as_str();
                let mut start = span.start.min(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = span.end.max(start).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let label = d.fix.as_ref().map(|f| {
                    let safe = if f.applicability == Applicability::Safe {
                        "fixable with --fix: "
                    } else {
                        "suggestion: "
                    };
                    format!("{safe}{}", f.message.to_lowercase())
                });
                let mut ann = AnnotationKind::Primary.span(start..end);
                if let Some(l) = &label {
                    ann = ann.label(l.as_str());
                }
                let group = Group::with_level(level.no_name()).element(
                    Snippet::source(src.text.as_str())
                        .fold(true)
                        .annotation(ann),
                );
                let rendered = renderer.render(&[group]);
                for line in rendered.lines() {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        for r in &d.related {
            let rloc = location(
                &Diagnostic {
                    span: r.span,
                    path: r.path.clone(),
                    ..d.clone()
                },
                sources.get(&r.path).map(|s| s.as_ref()),
            );
            let _ = writeln!(
                out,
                "  note: {}:{}:{}: {}",
                r.path, rloc.line, rloc.column, r.message
            );
        }
        out.push('\n');
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut summary = if counts.errors + counts.warnings + counts.infos == 0 {
        format!(
            "{bold}All checks passed{reset}: {} linted, no findings.",
            plural(counts.files, "file")
        )
    } else {
        format!(
            "{bold}Found {}, {}{}{reset} in {} linted.",
            plural(counts.errors, "error"),
            plural(counts.warnings, "warning"),
            if counts.infos > 0 {
                format!(", {}", plural(counts.infos, "note"))
            } else {
                String::new()
            },
            plural(counts.files, "file")
        )
    };
    if counts.fixable > 0 {
        let _ = write!(summary, " {} fixable with `--fix`.", counts.fixable);
    }
    if counts.fixed > 0 {
        let _ = write!(summary, " Fixed {}.", plural(counts.fixed, "finding"));
    }
    out.push_str(&summary);
    out.push('\n');
    out
}
