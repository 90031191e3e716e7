//! Coverage as text (a terminal) and as Markdown (a compact table for a pull request's job
//! summary).

use super::{counts, rules_word, standing_text, Coverage, SEVERITY_ORDER, STATUS_ORDER};
use std::fmt::Write;

/// The one-line summary both formats start with.
fn headline(c: &Coverage) -> String {
    format!(
        "{} technique{} in {} of {} tactics; {} of {} rules have attack.* tags",
        c.techniques.len(),
        if c.techniques.len() == 1 { "" } else { "s" },
        c.tactics_covered(),
        c.tactics.len(),
        c.tagged_rules(),
        c.rules.len(),
    )
}

fn name_of(t: &super::TechniqueCoverage) -> &str {
    t.name.as_deref().unwrap_or("(not in the ATT&CK data)")
}

pub fn render_text(c: &Coverage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ATT&CK coverage (Enterprise {}): {}\n",
        c.attack.version,
        headline(c)
    );
    let _ = writeln!(out, "{:<22} {:>10} {:>6}", "tactic", "techniques", "rules");
    for t in &c.tactics {
        let _ = writeln!(
            out,
            "{:<22} {:>10} {:>6}",
            t.name,
            format!("{}/{}", t.techniques_covered, t.techniques_total),
            t.rules
        );
    }
    if !c.techniques.is_empty() {
        let width = c
            .techniques
            .iter()
            .map(|t| name_of(t).chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48);
        let _ = writeln!(
            out,
            "\n{:<10} {:<width$} {:>5}  status; severity",
            "technique", "name", "rules"
        );
        for t in &c.techniques {
            let name: String = name_of(t).chars().take(width).collect();
            let _ = writeln!(
                out,
                "{:<10} {:<width$} {:>5}  {}; {}",
                t.id,
                name,
                t.rules.len(),
                counts(&t.by_status, &STATUS_ORDER),
                counts(&t.by_severity, &SEVERITY_ORDER),
            );
        }
    }
    let weak: Vec<_> = c.techniques.iter().filter(|t| t.weak).collect();
    if !weak.is_empty() {
        let _ = writeln!(out, "\nCovered only by experimental or deprecated rules:");
        for t in weak {
            let _ = writeln!(
                out,
                "  {} {} ({})",
                t.id,
                name_of(t),
                counts(&t.by_status, &STATUS_ORDER)
            );
        }
    }
    let outdated: Vec<_> = c
        .techniques
        .iter()
        .filter(|t| t.standing.is_some())
        .collect();
    if !outdated.is_empty() {
        let _ = writeln!(
            out,
            "\nRevoked or deprecated in ATT&CK {}:",
            c.attack.version
        );
        for t in outdated {
            let standing = t.standing.as_ref().map(standing_text).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}: {} ({})",
                t.id,
                name_of(t),
                standing,
                rules_word(t.rules.len())
            );
        }
    }
    if !c.unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nTags the ATT&CK {} data does not know (shown as written):",
            c.attack.version
        );
        for u in &c.unknown {
            let _ = writeln!(out, "  {} ({})", u.tag, rules_word(u.rules.len()));
        }
    }
    if !c.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\nNot read ({}; `ruleforge lint` explains):",
            c.skipped.len()
        );
        for s in &c.skipped {
            let _ = writeln!(out, "  {s}");
        }
    }
    out
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(c: &Coverage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## ATT&CK coverage\n\n{}.\n", headline(c));
    let _ = writeln!(out, "| Tactic | Techniques | Rules |\n|---|--:|--:|");
    for t in &c.tactics {
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} |",
            t.name, t.techniques_covered, t.techniques_total, t.rules
        );
    }
    if !c.techniques.is_empty() {
        let _ = writeln!(
            out,
            "\n| Technique | Name | Rules | Status | Severity |\n|---|---|--:|---|---|"
        );
        for t in &c.techniques {
            let mut name = cell(name_of(t));
            if let Some(s) = &t.standing {
                name.push_str(&format!(" ({})", standing_text(s)));
            }
            if t.weak {
                name.push_str(" ⚠");
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                t.id,
                name,
                t.rules.len(),
                counts(&t.by_status, &STATUS_ORDER),
                counts(&t.by_severity, &SEVERITY_ORDER),
            );
        }
        if c.techniques.iter().any(|t| t.weak) {
            let _ = writeln!(out, "\n⚠ covered only by experimental or deprecated rules.");
        }
    }
    if !c.unknown.is_empty() {
        let tags: Vec<String> = c
            .unknown
            .iter()
            .map(|u| format!("`{}` ({})", u.tag, u.rules.len()))
            .collect();
        let _ = writeln!(
            out,
            "\nNot in the ATT&CK {} data: {}.",
            c.attack.version,
            tags.join(", ")
        );
    }
    if !c.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n{} not read (see `ruleforge lint`).",
            if c.skipped.len() == 1 {
                "1 file".to_string()
            } else {
                format!("{} files", c.skipped.len())
            }
        );
    }
    let _ = writeln!(
        out,
        "\n<sub>ATT&CK Enterprise {}. {}</sub>",
        c.attack.version,
        super::attack::NOTICE
    );
    out
}
