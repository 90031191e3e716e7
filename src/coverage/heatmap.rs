//! Coverage as a tactic-by-technique heatmap: the ATT&CK Enterprise matrix (one column per
//! tactic, one cell per current technique, sub-techniques counted in their parent), each cell
//! coloured by the number of rules that cover it. SVG on its own, or an HTML page holding the
//! SVG and the table of techniques and rules. Both are self-contained: no script, no font, no
//! stylesheet from the network; a cell's tooltip (`<title>`) lists its rules.

use super::{counts, rules_word, Coverage, SEVERITY_ORDER, STATUS_ORDER};
use std::fmt::Write;

const COLUMN: usize = 168;
const GAP: usize = 4;
const ROW: usize = 20;
const MARGIN: usize = 16;
const TITLE: usize = 60;
const HEADER: usize = 44;
const LEGEND: usize = 56;
/// Characters of a technique's label that fit a cell at the font size used (fewer when the
/// cell also shows its count).
const LABEL_CHARS: usize = 27;
const LABEL_CHARS_COUNTED: usize = 24;

/// XML text and attribute escaping. Unlike the HTML escaping of `diff::markdown::html`, it
/// also replaces the control characters XML 1.0 forbids (a rule title may hold them), which
/// would make the SVG unreadable.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The colour of a cell with `n` rules when the most covered cell has `max`: light grey for
/// none, then from pale orange to red.
fn colour(n: usize, max: usize) -> (&'static str, &'static str) {
    const SCALE: [&str; 5] = ["#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33"];
    if n == 0 {
        return ("#f0f0f0", "#555555");
    }
    let step = if max <= 1 {
        SCALE.len() - 1
    } else {
        ((n - 1) * (SCALE.len() - 1)).div_ceil(max - 1)
    };
    let step = step.min(SCALE.len() - 1);
    (SCALE[step], if step >= 4 { "#ffffff" } else { "#222222" })
}

fn label(id: &str, name: &str, counted: bool) -> String {
    let room = if counted {
        LABEL_CHARS_COUNTED
    } else {
        LABEL_CHARS
    };
    let full = format!("{id} {name}");
    if full.chars().count() <= room {
        full
    } else {
        let cut: String = full.chars().take(room - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The SVG picture.
pub fn render_svg(c: &Coverage) -> String {
    let attack = c.attack;
    // Columns: the current parent techniques of each tactic, in id order.
    let columns: Vec<Vec<&super::attack::Technique>> = (0..attack.tactics.len())
        .map(|i| attack.column(i).collect())
        .collect();
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let max = c.parents.values().map(|r| r.len()).max().unwrap_or(0);
    let width = 2 * MARGIN + columns.len() * COLUMN + columns.len().saturating_sub(1) * GAP;
    let height = TITLE + HEADER + tallest * (ROW + 2) + LEGEND + MARGIN;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif" role="img" aria-labelledby="coverage-title">"#
    );
    let _ = writeln!(
        out,
        r#"<title id="coverage-title">ATT&amp;CK Enterprise {} coverage</title>"#,
        escape(&attack.version)
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="18" font-weight="bold" fill="#222222">ATT&amp;CK Enterprise {} coverage</text>"##,
        MARGIN + 14,
        escape(&attack.version)
    );
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="11" fill="#555555">{} techniques covered; {} of {} rules have attack.* tags. Cell colour: number of rules (sub-techniques counted in their technique).</text>"##,
        MARGIN + 32,
        c.parents.len(),
        c.tagged_rules(),
        c.rules.len()
    );
    for (i, (tactic, column)) in c.tactics.iter().zip(&columns).enumerate() {
        let x = MARGIN + i * (COLUMN + GAP);
        let y = TITLE;
        let _ = writeln!(
            out,
            r##"<g><title>{} ({}): {} of {} techniques covered, {}</title><rect x="{x}" y="{y}" width="{COLUMN}" height="{}" fill="#3b4a5a"/><text x="{}" y="{}" font-size="11" font-weight="bold" fill="#ffffff" text-anchor="middle">{}</text><text x="{}" y="{}" font-size="10" fill="#dde3ea" text-anchor="middle">{}/{} · {}</text></g>"##,
            escape(&tactic.name),
            escape(&tactic.id),
            tactic.techniques_covered,
            tactic.techniques_total,
            rules_word(tactic.rules),
            HEADER - 4,
            x + COLUMN / 2,
            y + 16,
            escape(&tactic.name),
            x + COLUMN / 2,
            y + 32,
            tactic.techniques_covered,
            tactic.techniques_total,
            rules_word(tactic.rules),
        );
        for (row, technique) in column.iter().enumerate() {
            let cy = TITLE + HEADER + row * (ROW + 2);
            let rules = c.parents.get(&technique.id);
            let n = rules.map_or(0, |r| r.len());
            let (fill, ink) = colour(n, max);
            let mut tip = format!("{} {}: {}", technique.id, technique.name, rules_word(n));
            if let Some(rules) = rules {
                for &r in rules {
                    let rule = &c.rules[r];
                    tip.push_str(&format!("\n{} [{}]", rule.title, rule.status));
                }
            }
            let _ = write!(
                out,
                r#"<g><title>{}</title><rect x="{x}" y="{cy}" width="{COLUMN}" height="{ROW}" rx="2" fill="{fill}"/><text x="{}" y="{}" font-size="9.5" fill="{ink}">{}</text>"#,
                escape(&tip),
                x + 4,
                cy + 14,
                escape(&label(&technique.id, &technique.name, n > 0)),
            );
            if n > 0 {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" font-size="9.5" font-weight="bold" fill="{ink}" text-anchor="end">{n}</text>"#,
                    x + COLUMN - 4,
                    cy + 14
                );
            }
            out.push_str("</g>\n");
        }
    }
    // Legend.
    let ly = TITLE + HEADER + tallest * (ROW + 2) + 16;
    let _ = write!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="10" fill="#222222">rules:</text>"##,
        ly + 13
    );
    let steps: Vec<usize> = if max == 0 {
        vec![0]
    } else {
        let mut s: Vec<usize> = (0..5).map(|k| 1 + k * (max - 1) / 4).collect();
        s.insert(0, 0);
        s.dedup();
        s
    };
    for (k, n) in steps.iter().enumerate() {
        let (fill, ink) = colour(*n, max);
        let x = MARGIN + 40 + k * 44;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{ly}" width="40" height="18" fill="{fill}"/><text x="{}" y="{}" font-size="10" fill="{ink}" text-anchor="middle">{n}</text>"#,
            x + 20,
            ly + 13
        );
    }
    let _ = writeln!(
        out,
        r##"
<text x="{MARGIN}" y="{}" font-size="9" fill="#777777">{}</text>"##,
        ly + 36,
        escape(super::attack::NOTICE)
    );
    out.push_str("</svg>\n");
    out
}

/// An HTML page: the heatmap and the table of covered techniques with their rules.
pub fn render_html(c: &Coverage) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ATT&amp;CK coverage</title>
<style>
body {{ font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; margin: 12px 0; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #3b4a5a; color: #fff; }}
td.n {{ text-align: right; }}
.weak {{ color: #b35900; }}
.matrix {{ overflow-x: auto; }}
</style>
</head>
<body>
<h1>ATT&amp;CK coverage</h1>
<p>{} techniques covered (sub-techniques counted in their technique) in {} of {} tactics; {} of {} rules have <code>attack.*</code> tags. ATT&amp;CK Enterprise {}.</p>
<div class="matrix">
"#,
        c.parents.len(),
        c.tactics_covered(),
        c.tactics.len(),
        c.tagged_rules(),
        c.rules.len(),
        escape(&c.attack.version),
    );
    out.push_str(&render_svg(c));
    out.push_str("</div>\n<h2>Techniques</h2>\n<table>\n<tr><th>Technique</th><th>Name</th><th>Rules</th><th>Status</th><th>Severity</th><th>Rule titles</th></tr>\n");
    for t in &c.techniques {
        let mut name = escape(t.name.as_deref().unwrap_or("(not in the ATT&CK data)"));
        if let Some(s) = &t.standing {
            name.push_str(&format!(" ({})", escape(&super::standing_text(s))));
        }
        let titles: Vec<String> = t.rules.iter().map(|&i| escape(&c.rules[i].title)).collect();
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if t.weak { " class=\"weak\"" } else { "" },
            escape(&t.id),
            name,
            t.rules.len(),
            escape(&counts(&t.by_status, &STATUS_ORDER)),
            escape(&counts(&t.by_severity, &SEVERITY_ORDER)),
            titles.join("<br>"),
        );
    }
    out.push_str("</table>\n");
    if c.techniques.iter().any(|t| t.weak) {
        out.push_str("<p class=\"weak\">Highlighted: covered only by experimental or deprecated rules.</p>\n");
    }
    if !c.unknown.is_empty() {
        let tags: Vec<String> = c
            .unknown
            .iter()
            .map(|u| format!("<code>{}</code> ({})", escape(&u.tag), u.rules.len()))
            .collect();
        let _ = writeln!(
            out,
            "<p>Not in the ATT&amp;CK {} data: {}.</p>",
            escape(&c.attack.version),
            tags.join(", ")
        );
    }
    let _ = write!(
        out,
        "<p><small>{}</small></p>\n</body>\n</html>\n",
        escape(super::attack::NOTICE)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_span_the_scale() {
        assert_eq!(colour(0, 5).0, "#f0f0f0");
        assert_eq!(colour(1, 5).0, "#fee8c8");
        assert_eq!(colour(5, 5).0, "#e34a33");
        assert_eq!(colour(1, 1).0, "#e34a33");
    }

    #[test]
    fn escaping_and_labels() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
        assert_eq!(label("T1", "short", true), "T1 short");
        let long = label("T1059", "Command and Scripting Interpreter", false);
        assert!(long.ends_with('…') && long.chars().count() == LABEL_CHARS);
    }
}
