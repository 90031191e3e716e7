//! Markdown output of a diff, for a pull-request comment or a job summary.
//!
//! It starts with the hidden marker [`MARKER`] so CI can find and update its comment in
//! place, then a summary table, then one collapsible `<details>` section per rule. The
//! whole text is capped at [`MAX_BYTES`] (GitHub rejects comments over 65,536 characters):
//! when the rules do not all fit, the rest are counted, not shown.

use super::compare::{list_delta, word_diff};
use super::sigma::{object_delta, show_values, Delta, SelectionChange};
use super::text::show;
use super::{ChangeKind, Diff, FieldChange, IndicatorRef, RuleChange};
use crate::kind::RuleKind;
use std::fmt::Write;

/// First line of every diff comment.
pub const MARKER: &str = "<!-- ruleforge-diff -->";
/// Hard cap on the output size in bytes (a byte count bounds the character count).
pub const MAX_BYTES: usize = 50_000;
/// Indicator lines per rule and direction before "… and N more".
pub const MAX_INDICATOR_LINES: usize = 25;
/// Longest value shown in a table cell, in characters.
const MAX_CELL: usize = 160;
/// Longest description diff shown, in characters of text.
const MAX_DESCRIPTION: usize = 1_500;
/// Room kept for the closing note.
const RESERVE: usize = 600;

/// Escapes text for HTML (inside `<summary>`, `<code>`, `<del>`, ...).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text for Markdown inline content (also safe inside a table cell).
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '\\' | '*' | '_' | '`' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", html(s))
}

/// Renders with the default size cap.
pub fn render(diff: &Diff) -> String {
    render_capped(diff, MAX_BYTES)
}

/// Renders within `max_bytes` (at least a few kilobytes).
pub fn render_capped(diff: &Diff, max_bytes: usize) -> String {
    let max_bytes = max_bytes.max(4 * RESERVE);
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let to = match &diff.head.short {
        Some(s) => format!("`{s}`"),
        None => "working tree".to_string(),
    };
    let _ = writeln!(out, "### Rule changes: `{}` → {to}\n", diff.base.label());
    let s = &diff.summary;
    if s.rules_changed() == 0 {
        let _ = writeln!(out, "No rule changes.");
    } else {
        let split = if s.native > 0 && s.sigma > 0 {
            format!(" ({} native, {} Sigma)", s.native, s.sigma)
        } else if s.sigma > 0 {
            " (Sigma)".to_string()
        } else {
            String::new()
        };
        let indicators = if s.native > 0 || s.indicators_added + s.indicators_removed > 0 {
            format!(
                ", indicators **+{} / −{}**",
                s.indicators_added, s.indicators_removed
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "**{} rule{} changed**{split}{indicators}.\n",
            s.rules_changed(),
            if s.rules_changed() == 1 { "" } else { "s" },
        );
        let _ = writeln!(out, "| Change | Rules |\n| --- | ---: |");
        for k in ChangeKind::ALL {
            let _ = writeln!(out, "| {} | {} |", k.title(), s.count(k));
        }
        let _ = writeln!(out, "| Indicators added | {} |", s.indicators_added);
        let _ = writeln!(out, "| Indicators removed | {} |", s.indicators_removed);
        if s.native > 0 && s.sigma > 0 {
            let _ = writeln!(out, "| Native rules | {} |", s.native);
            let _ = writeln!(out, "| Sigma rules | {} |", s.sigma);
        }
    }
    if s.reformatted > 0 {
        let _ = writeln!(
            out,
            "\n<sub>{} changed file{} without a change in meaning (formatting, comments, order).</sub>",
            s.reformatted,
            if s.reformatted == 1 { "" } else { "s" }
        );
    }
    let total = diff.changes.len();
    let mut shown = 0;
    'kinds: for k in ChangeKind::ALL {
        let n = s.count(k);
        let mut first = true;
        for c in diff.of_kind(k) {
            let mut section = String::new();
            if first {
                let _ = writeln!(section, "\n#### {} ({n})", k.title());
            }
            section.push_str(&rule(c));
            if out.len() + section.len() + RESERVE > max_bytes {
                break 'kinds;
            }
            out.push_str(&section);
            first = false;
            shown += 1;
        }
    }
    if shown < total {
        let _ = writeln!(
            out,
            "\n**… {} more changed rule{} not shown** (this comment is capped at {} characters). \
             Run `ruleforge diff --format json` for the full list.",
            total - shown,
            if total - shown == 1 { "" } else { "s" },
            max_bytes
        );
    }
    if !diff.unreadable.is_empty() {
        let mut section = format!(
            "\n#### Not compared ({})\n\nThese changed files could not be read as rules; `ruleforge lint` explains why.\n\n",
            diff.unreadable.len()
        );
        let mut listed = 0;
        for u in &diff.unreadable {
            let line = format!(
                "- {} ({}): {}\n",
                code(&u.path),
                u.side.as_str(),
                md(&truncate(&u.message, MAX_CELL))
            );
            if out.len() + section.len() + line.len() + 100 > max_bytes {
                break;
            }
            section.push_str(&line);
            listed += 1;
        }
        if listed < diff.unreadable.len() {
            let _ = writeln!(section, "- … and {} more", diff.unreadable.len() - listed);
        }
        if out.len() + section.len() <= max_bytes {
            out.push_str(&section);
        }
    }
    debug_assert!(out.len() <= max_bytes, "{} > {max_bytes}", out.len());
    out
}

fn rule(c: &RuleChange) -> String {
    let mut s = String::new();
    let cur = c.current();
    let place = match c.old_path() {
        Some(old) if c.moved() => format!("{} → {}", code(old), code(c.path())),
        _ => code(c.path()),
    };
    let mut notes = Vec::new();
    match c.kind {
        ChangeKind::Added | ChangeKind::Removed => {
            notes.push(format!(
                "{}, {}",
                cur.status().unwrap_or("?"),
                cur.severity().unwrap_or("?")
            ));
            if let Some(sg) = cur.sigma() {
                notes.push(format!("Sigma {}", sg.rule.doc_type.name()));
                let n = c.detection.len();
                if n > 0 {
                    notes.push(format!("{n} selection{}", if n == 1 { "" } else { "s" }));
                }
            } else {
                let n = c.indicators_added.len() + c.indicators_removed.len();
                notes.push(format!("{n} indicator{}", if n == 1 { "" } else { "s" }));
            }
        }
        _ => {
            if !c.fields.is_empty() {
                notes.push(
                    c.fields
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if !c.indicators_added.is_empty() || !c.indicators_removed.is_empty() {
                notes.push(format!(
                    "indicators +{} / −{}",
                    c.indicators_added.len(),
                    c.indicators_removed.len()
                ));
            }
            if !c.detection.is_empty() {
                let names: Vec<&str> = c.detection.iter().map(|d| d.name.as_str()).collect();
                notes.push(format!("detection: {}", truncate(&names.join(", "), 120)));
            }
            if notes.is_empty() {
                notes.push("no other change".into());
            }
        }
    }
    let _ = writeln!(
        s,
        "\n<details>\n<summary>{place} {} — {}</summary>\n",
        html(&truncate(cur.title(), 120)),
        html(&notes.join("; "))
    );
    match cur.sigma() {
        None => {
            let _ = writeln!(s, "Rule id {}\n", code(&c.id));
        }
        Some(sg) => {
            let _ = writeln!(s, "Sigma {} id {}\n", sg.rule.doc_type.name(), code(&c.id));
        }
    }
    let table: Vec<&FieldChange> = c
        .fields
        .iter()
        .filter(|f| f.name != "description" && list_delta(f).is_none())
        .collect();
    if !table.is_empty() {
        let _ = writeln!(s, "| Field | Old | New |\n| --- | --- | --- |");
        let row = |s: &mut String, name: &str, o: &serde_json::Value, n: &serde_json::Value| {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                name,
                md(&truncate(&show(o), MAX_CELL)),
                md(&truncate(&show(n), MAX_CELL))
            );
        };
        for f in table {
            match object_delta(f) {
                Some(d) => {
                    for (k, o, n) in d {
                        row(&mut s, &format!("{}.{k}", f.name), &o, &n);
                    }
                }
                None => row(&mut s, f.name, &f.old, &f.new),
            }
        }
        s.push('\n');
    }
    for f in &c.fields {
        if f.name == "description" {
            let _ = writeln!(s, "**description:** {}\n", description(f));
        } else if let Some(d) = list_delta(f) {
            let mut parts = Vec::new();
            parts.extend(
                d.added
                    .iter()
                    .take(MAX_INDICATOR_LINES)
                    .map(|a| format!("+ {}", code(&truncate(a, MAX_CELL)))),
            );
            parts.extend(
                d.removed
                    .iter()
                    .take(MAX_INDICATOR_LINES)
                    .map(|r| format!("− {}", code(&truncate(r, MAX_CELL)))),
            );
            parts.extend(
                d.changed
                    .iter()
                    .take(MAX_INDICATOR_LINES)
                    .map(|c| format!("changed {}", code(&truncate(c, MAX_CELL)))),
            );
            let hidden =
                (d.added.len() + d.removed.len() + d.changed.len()).saturating_sub(parts.len());
            if hidden > 0 {
                parts.push(format!("… and {hidden} more"));
            }
            let _ = writeln!(s, "**{}:** {}\n", f.name, parts.join(" · "));
        }
    }
    if !c.indicators_added.is_empty() || !c.indicators_removed.is_empty() {
        indicators(&mut s, &c.indicators_added, &c.indicators_removed);
    }
    if c.rule_kind == RuleKind::Sigma && !c.detection.is_empty() {
        detection(&mut s, &c.detection);
    }
    s.push_str("</details>\n");
    s
}

/// Detection changes in a `diff` code block: a selection header, then `+`/`-` lines per
/// item (whole items when added or removed, else the values that came and went).
fn detection(s: &mut String, changes: &[SelectionChange]) {
    let mut body = String::new();
    let mut lines = 0;
    let mut hidden = 0;
    let mut line = |body: &mut String, text: String| {
        if lines < 4 * MAX_INDICATOR_LINES {
            body.push_str(&truncate(&text, 2 * MAX_CELL));
            body.push('\n');
            lines += 1;
        } else {
            hidden += 1;
        }
    };
    for sel in changes {
        let head = match sel.change {
            Delta::Added => format!("+ {}: (selection added)", sel.name),
            Delta::Removed => format!("- {}: (selection removed)", sel.name),
            Delta::Modified if sel.regrouped => format!(
                "  {}: (same items and values, grouped into different alternatives)",
                sel.name
            ),
            Delta::Modified => format!("  {}:", sel.name),
        };
        line(&mut body, head);
        for i in &sel.items {
            match i.change {
                Delta::Added => line(
                    &mut body,
                    format!("+   {}: {}", i.label(), show_values(&i.added)),
                ),
                Delta::Removed => line(
                    &mut body,
                    format!("-   {}: {}", i.label(), show_values(&i.removed)),
                ),
                Delta::Modified => {
                    // Keyword values sit right under the selection; field values under
                    // their key.
                    let indent = match &i.key {
                        Some(k) => {
                            line(&mut body, format!("    {k}:"));
                            "     "
                        }
                        None => "   ",
                    };
                    for v in &i.added {
                        line(
                            &mut body,
                            format!("+{indent}{}", show_values(std::slice::from_ref(v))),
                        );
                    }
                    for v in &i.removed {
                        line(
                            &mut body,
                            format!("-{indent}{}", show_values(std::slice::from_ref(v))),
                        );
                    }
                }
            }
        }
    }
    if hidden > 0 {
        body.push_str(&format!("  … and {hidden} more lines\n"));
    }
    let mut best = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    let fence = "`".repeat((best + 1).max(3));
    let _ = writeln!(s, "**detection:**\n\n{fence}diff\n{body}{fence}\n");
}

fn description(f: &FieldChange) -> String {
    let old = f.old.as_str().unwrap_or("");
    let new = f.new.as_str().unwrap_or("");
    let mut out = String::new();
    let mut budget = MAX_DESCRIPTION;
    for (tag, text) in word_diff(old, new) {
        if budget == 0 {
            out.push('…');
            break;
        }
        let t = truncate(&text, budget);
        budget = budget.saturating_sub(text.chars().count());
        match tag {
            similar::ChangeTag::Equal => out.push_str(&md(&t)),
            similar::ChangeTag::Delete => {
                let _ = write!(out, "<del>{}</del>", md(&t));
            }
            similar::ChangeTag::Insert => {
                let _ = write!(out, "<ins>{}</ins>", md(&t));
            }
        }
    }
    out
}

fn indicators(s: &mut String, added: &[IndicatorRef], removed: &[IndicatorRef]) {
    let longest_ticks = added
        .iter()
        .chain(removed)
        .map(|i| {
            let mut best = 0;
            let mut run = 0;
            for ch in i.group.chars().chain(i.ty.chars()).chain(i.value.chars()) {
                run = if ch == '`' { run + 1 } else { 0 };
                best = best.max(run);
            }
            best
        })
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest_ticks + 1).max(3));
    let _ = writeln!(s, "{fence}diff");
    for (items, sign) in [(added, '+'), (removed, '-')] {
        for i in items.iter().take(MAX_INDICATOR_LINES) {
            let _ = writeln!(
                s,
                "{sign} {}/{}: {}",
                i.group,
                i.ty,
                truncate(&i.value, 2 * MAX_CELL)
            );
        }
        if items.len() > MAX_INDICATOR_LINES {
            let _ = writeln!(s, "{sign} … and {} more", items.len() - MAX_INDICATOR_LINES);
        }
    }
    let _ = writeln!(s, "{fence}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(md("a|b <c> *d*"), "a&#124;b &lt;c&gt; \\*d\\*");
        assert_eq!(html("<x & \"y\">"), "&lt;x &amp; &quot;y&quot;&gt;");
    }
}
