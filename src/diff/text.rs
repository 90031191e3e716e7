//! Human output of a diff: a summary line, then each changed rule with what changed.
//! Colours only when `styled` (a terminal); without colours, word changes are written
//! `[-old-]{+new+}` as in `git diff --word-diff=plain`.

use super::compare::{list_delta, word_diff};
use super::sigma::{object_delta, show_values, Delta, SelectionChange};
use super::{ChangeKind, Diff, FieldChange, IndicatorRef, RuleChange};
use crate::kind::RuleKind;
use serde_json::Value;
use std::fmt::Write;

/// Indicator lines shown per rule and direction before "… and N more".
pub const MAX_INDICATOR_LINES: usize = 100;

struct Style {
    bold: &'static str,
    dim: &'static str,
    red: &'static str,
    green: &'static str,
    strike: &'static str,
    reset: &'static str,
}

impl Style {
    fn new(styled: bool) -> Self {
        if styled {
            Style {
                bold: "\x1b[1m",
                dim: "\x1b[2m",
                red: "\x1b[31m",
                green: "\x1b[32m",
                strike: "\x1b[9;31m",
                reset: "\x1b[0m",
            }
        } else {
            Style {
                bold: "",
                dim: "",
                red: "",
                green: "",
                strike: "",
                reset: "",
            }
        }
    }

    fn kind(&self, k: ChangeKind) -> &'static str {
        if self.reset.is_empty() {
            return "";
        }
        match k {
            ChangeKind::Added => "\x1b[1;32m",
            ChangeKind::Removed => "\x1b[1;31m",
            ChangeKind::Modified => "\x1b[1;33m",
            ChangeKind::Moved => "\x1b[1;36m",
            ChangeKind::Deprecated => "\x1b[1;35m",
            ChangeKind::Undeprecated => "\x1b[1;34m",
        }
    }
}

/// The summary line, e.g. `3 rules changed (1 added, 2 modified); indicators +4 -1`. With
/// both kinds present it splits the count: `5 rules changed: 3 native, 2 Sigma (...)`;
/// with Sigma rules only, it has no indicator counts.
pub fn summary_line(diff: &Diff) -> String {
    let s = &diff.summary;
    if s.rules_changed() == 0 {
        return "no rule changes".to_string();
    }
    let parts: Vec<String> = ChangeKind::ALL
        .iter()
        .filter(|k| s.count(**k) > 0)
        .map(|k| format!("{} {}", s.count(*k), k.as_str()))
        .collect();
    let n = s.rules_changed();
    let rules = if s.native > 0 && s.sigma > 0 {
        format!("{n} rules changed: {} native, {} Sigma", s.native, s.sigma)
    } else if s.sigma > 0 {
        format!("{n} Sigma rule{} changed", if n == 1 { "" } else { "s" })
    } else {
        format!("{n} rule{} changed", if n == 1 { "" } else { "s" })
    };
    let indicators = if s.native > 0 || s.indicators_added + s.indicators_removed > 0 {
        format!(
            "; indicators +{} -{}",
            s.indicators_added, s.indicators_removed
        )
    } else {
        String::new()
    };
    format!("{rules} ({}){indicators}", parts.join(", "))
}

/// A value for display: strings as they are, lists comma-separated, absent as `(none)`.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub fn render(diff: &Diff, styled: bool) -> String {
    let st = Style::new(styled);
    let mut out = String::new();
    let from = match &diff.base.rev {
        Some(r) if Some(r) != diff.base.short.as_ref() => format!("{} ({r})", diff.base.label()),
        _ => diff.base.label(),
    };
    let to = match &diff.head.rev {
        Some(r) if Some(r) != diff.head.short.as_ref() => format!("{} ({r})", diff.head.label()),
        _ => diff.head.label(),
    };
    let _ = writeln!(
        out,
        "{}{from} → {to}: {}{}",
        st.bold,
        summary_line(diff),
        st.reset
    );
    if diff.summary.reformatted > 0 {
        let n = diff.summary.reformatted;
        let _ = writeln!(
            out,
            "{}{n} changed file{} without a change in meaning (formatting, comments, order){}",
            st.dim,
            if n == 1 { "" } else { "s" },
            st.reset
        );
    }
    for c in &diff.changes {
        out.push('\n');
        rule(&mut out, c, &st);
    }
    if !diff.unreadable.is_empty() {
        out.push('\n');
        for u in &diff.unreadable {
            let _ = writeln!(
                out,
                "{}warning{}: {} ({}): not compared: {}",
                st.red,
                st.reset,
                u.path,
                u.side.as_str(),
                u.message
            );
        }
    }
    out
}

fn rule(out: &mut String, c: &RuleChange, st: &Style) {
    let cur = c.current();
    let place = match c.old_path() {
        Some(old) if c.moved() => format!("{old} → {}", c.path()),
        _ => c.path().to_string(),
    };
    let _ = writeln!(
        out,
        "{}{:<12}{} {}{place}{}  {}",
        st.kind(c.kind),
        c.kind.as_str(),
        st.reset,
        st.bold,
        st.reset,
        cur.title()
    );
    let pad = "             ";
    let what = match cur.sigma() {
        None => String::new(),
        Some(s) => format!("Sigma {} ", s.rule.doc_type.name()),
    };
    let _ = writeln!(
        out,
        "{pad}{}{what}id {}, {}, {}{}",
        st.dim,
        c.id,
        cur.status().unwrap_or("?"),
        cur.severity().unwrap_or("?"),
        st.reset
    );
    for f in &c.fields {
        field(out, f, st, pad);
    }
    indicators(out, c, st, pad);
    if c.rule_kind == RuleKind::Sigma {
        detection(out, &c.detection, st, pad);
    }
}

/// Detection changes, one line per changed item:
/// `selection_img: Image|endswith: +'\evil.exe' -'\bad.exe'`.
fn detection(out: &mut String, changes: &[SelectionChange], st: &Style, pad: &str) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(out, "{pad}detection:");
    for s in changes {
        match s.change {
            Delta::Added | Delta::Removed => {
                let (sign, color) = if s.change == Delta::Added {
                    ('+', st.green)
                } else {
                    ('-', st.red)
                };
                let items: Vec<String> = s
                    .items
                    .iter()
                    .map(|i| {
                        let vs = if s.change == Delta::Added {
                            &i.added
                        } else {
                            &i.removed
                        };
                        format!("{}: {}", i.label(), show_values(vs))
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "{pad}  {color}{sign} {} ({}): {}{}",
                    s.name,
                    s.change.as_str(),
                    if items.is_empty() {
                        "(empty)".to_string()
                    } else {
                        items.join("; ")
                    },
                    st.reset
                );
            }
            Delta::Modified => {
                if s.regrouped {
                    let _ = writeln!(
                        out,
                        "{pad}  {}: same items and values, grouped into different alternatives",
                        s.name
                    );
                }
                for i in &s.items {
                    let line = match i.change {
                        Delta::Added => format!(
                            "{}+ {}: {}{} (item added)",
                            st.green,
                            i.label(),
                            show_values(&i.added),
                            st.reset
                        ),
                        Delta::Removed => format!(
                            "{}- {}: {}{} (item removed)",
                            st.red,
                            i.label(),
                            show_values(&i.removed),
                            st.reset
                        ),
                        Delta::Modified => {
                            let mut parts = Vec::new();
                            for v in &i.added {
                                parts.push(format!(
                                    "{}+{}{}",
                                    st.green,
                                    show_values(std::slice::from_ref(v)),
                                    st.reset
                                ));
                            }
                            for v in &i.removed {
                                parts.push(format!(
                                    "{}-{}{}",
                                    st.red,
                                    show_values(std::slice::from_ref(v)),
                                    st.reset
                                ));
                            }
                            match &i.key {
                                Some(k) => format!("{k}: {}", parts.join(" ")),
                                // A keyword list: the selection name says it all.
                                None => parts.join(" "),
                            }
                        }
                    };
                    let _ = writeln!(out, "{pad}  {}: {line}", s.name);
                }
            }
        }
    }
}

fn field(out: &mut String, f: &FieldChange, st: &Style, pad: &str) {
    if f.name == "description" {
        let old = f.old.as_str().unwrap_or("");
        let new = f.new.as_str().unwrap_or("");
        let mut line = String::new();
        for (tag, text) in word_diff(old, new) {
            match tag {
                similar::ChangeTag::Equal => line.push_str(&text),
                similar::ChangeTag::Delete if st.reset.is_empty() => {
                    let _ = write!(line, "[-{text}-]");
                }
                similar::ChangeTag::Insert if st.reset.is_empty() => {
                    let _ = write!(line, "{{+{text}+}}");
                }
                similar::ChangeTag::Delete => {
                    let _ = write!(line, "{}{text}{}", st.strike, st.reset);
                }
                similar::ChangeTag::Insert => {
                    let _ = write!(line, "{}{text}{}", st.green, st.reset);
                }
            }
        }
        let _ = writeln!(out, "{pad}description: {line}");
        return;
    }
    if let Some(d) = object_delta(f) {
        let parts: Vec<String> = d
            .iter()
            .map(|(k, o, n)| {
                format!(
                    "{k} {}{}{} → {}{}{}",
                    st.red,
                    show(o),
                    st.reset,
                    st.green,
                    show(n),
                    st.reset
                )
            })
            .collect();
        let _ = writeln!(out, "{pad}{}: {}", f.name, parts.join("; "));
        return;
    }
    if let Some(d) = list_delta(f) {
        let mut parts = Vec::new();
        for a in &d.added {
            parts.push(format!("{}+ {a}{}", st.green, st.reset));
        }
        for r in &d.removed {
            parts.push(format!("{}- {r}{}", st.red, st.reset));
        }
        for c in &d.changed {
            parts.push(format!("~ {c}"));
        }
        if parts.is_empty() {
            parts.push(format!("{} → {}", show(&f.old), show(&f.new)));
        }
        let _ = writeln!(out, "{pad}{}: {}", f.name, parts.join("; "));
        return;
    }
    let _ = writeln!(
        out,
        "{pad}{}: {}{}{} → {}{}{}",
        f.name,
        st.red,
        show(&f.old),
        st.reset,
        st.green,
        show(&f.new),
        st.reset
    );
}

fn indicators(out: &mut String, c: &RuleChange, st: &Style, pad: &str) {
    if c.indicators_added.is_empty() && c.indicators_removed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{pad}indicators: +{} -{}",
        c.indicators_added.len(),
        c.indicators_removed.len()
    );
    let list = |out: &mut String, items: &[IndicatorRef], sign: char, color: &str| {
        for i in items.iter().take(MAX_INDICATOR_LINES) {
            let _ = writeln!(
                out,
                "{pad}  {color}{sign} {}/{}: {}{}",
                i.group, i.ty, i.value, st.reset
            );
        }
        if items.len() > MAX_INDICATOR_LINES {
            let _ = writeln!(
                out,
                "{pad}  {sign} … and {} more (--format json lists them all)",
                items.len() - MAX_INDICATOR_LINES
            );
        }
    };
    list(out, &c.indicators_added, '+', st.green);
    list(out, &c.indicators_removed, '-', st.red);
}
