//! Release notes: what changed for bundle consumers between two revisions.
//!
//! Only rules a bundle ships count (status in `[bundle] statuses`): a rule enters the notes
//! as *added* when it enters the bundle (new, undeprecated or promoted into a shipped
//! status), as *removed* when it leaves it (deleted or deprecated), and as *changed* when it
//! is in both bundles and its meaning changed. Moves and reformatting are not listed.

use super::markdown::md;
use super::{Diff, RuleChange, Snapshot};
use std::fmt::Write;

/// Hard cap on the notes in bytes (GitHub release bodies are limited to 125,000 characters).
pub const MAX_BYTES: usize = 100_000;

/// How to write the notes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Statuses whose rules go into a bundle.
    pub statuses: Vec<String>,
    /// Heading (default: `Rule changes BASE → HEAD`).
    pub title: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Added,
    Removed,
    Changed,
}

fn shipped(s: Option<&Snapshot>, statuses: &[String]) -> bool {
    s.and_then(|s| s.status())
        .is_some_and(|st| statuses.iter().any(|x| x == st))
}

fn classify(c: &RuleChange, statuses: &[String]) -> Option<Entry> {
    match (
        shipped(c.old.as_ref(), statuses),
        shipped(c.new.as_ref(), statuses),
    ) {
        (false, true) => Some(Entry::Added),
        (true, false) => Some(Entry::Removed),
        (true, true) if c.content_changed() => Some(Entry::Changed),
        _ => None,
    }
}

fn plural(n: usize, w: &str) -> String {
    format!("{n} {w}{}", if n == 1 { "" } else { "s" })
}

fn line(c: &RuleChange, e: Entry) -> (String, usize, usize) {
    let cur = c.current();
    let mut notes = Vec::new();
    let (added, removed) = match e {
        Entry::Added => {
            let n = c.new.as_ref().map_or(0, Snapshot::indicator_count);
            notes.push(format!(
                "{}, {}",
                md(cur.severity().unwrap_or("?")),
                md(cur.status().unwrap_or("?"))
            ));
            match cur.sigma() {
                Some(s) => notes.push(format!("Sigma {}", s.rule.doc_type.name())),
                None => notes.push(plural(n, "indicator")),
            }
            if let Some(old) = &c.old {
                notes.push(format!("was {}", md(old.status().unwrap_or("?"))));
            }
            (n, 0)
        }
        Entry::Removed => {
            let n = c.old.as_ref().map_or(0, Snapshot::indicator_count);
            match &c.new {
                None => notes.push("deleted".into()),
                Some(new) => notes.push(format!("now {}", md(new.status().unwrap_or("?")))),
            }
            match cur.sigma() {
                Some(s) => notes.push(format!("Sigma {}", s.rule.doc_type.name())),
                None => notes.push(plural(n, "indicator")),
            }
            (0, n)
        }
        Entry::Changed => {
            let (a, r) = (c.indicators_added.len(), c.indicators_removed.len());
            if a + r > 0 {
                notes.push(format!("indicators +{a} / −{r}"));
            }
            if !c.detection.is_empty() {
                let names: Vec<String> = c.detection.iter().map(|d| md(&d.name)).collect();
                notes.push(format!("detection ({})", names.join(", ")));
            }
            for f in &c.fields {
                match f.name {
                    "severity" | "status" | "confidence" | "level" => notes.push(format!(
                        "{} {} → {}",
                        f.name,
                        md(&super::text::show(&f.old)),
                        md(&super::text::show(&f.new))
                    )),
                    "modified" => {}
                    name => notes.push(name.to_string()),
                }
            }
            (a, r)
        }
    };
    let text = format!(
        "- **{}** — {} (`{}`)\n",
        md(cur.title()),
        notes.join("; "),
        c.id
    );
    (text, added, removed)
}

pub fn render(diff: &Diff, opts: &Options) -> String {
    let mut groups: [(Entry, &str, Vec<String>); 3] = [
        (Entry::Added, "Added", Vec::new()),
        (Entry::Removed, "Removed", Vec::new()),
        (Entry::Changed, "Changed", Vec::new()),
    ];
    let (mut ind_added, mut ind_removed) = (0, 0);
    for c in &diff.changes {
        let Some(e) = classify(c, &opts.statuses) else {
            continue;
        };
        let (text, a, r) = line(c, e);
        ind_added += a;
        ind_removed += r;
        for g in groups.iter_mut() {
            if g.0 == e {
                g.2.push(text.clone());
            }
        }
    }
    let mut out = String::new();
    let title = opts.title.clone().unwrap_or_else(|| {
        format!(
            "Rule changes `{}` → `{}`",
            diff.base.label(),
            diff.head.label()
        )
    });
    let _ = writeln!(out, "## {}\n", title.replace(['\n', '\r'], " "));
    let counts: Vec<usize> = groups.iter().map(|g| g.2.len()).collect();
    if counts.iter().sum::<usize>() == 0 {
        let _ = writeln!(out, "No changes to the rules shipped in the bundle.");
        return out;
    }
    let _ = writeln!(
        out,
        "**{} added, {} removed, {} changed**; indicators +{ind_added} / −{ind_removed}.",
        plural(counts[0], "rule"),
        counts[1],
        counts[2]
    );
    let mut omitted = 0;
    for (_, heading, lines) in &groups {
        if lines.is_empty() {
            continue;
        }
        let head = format!("\n### {heading} ({})\n\n", lines.len());
        if omitted > 0 || out.len() + head.len() + 500 > MAX_BYTES {
            omitted += lines.len();
            continue;
        }
        out.push_str(&head);
        for (i, l) in lines.iter().enumerate() {
            if out.len() + l.len() + 500 > MAX_BYTES {
                omitted += lines.len() - i;
                break;
            }
            out.push_str(l);
        }
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "\n… and {} more not listed (`ruleforge diff --format json` lists them all).",
            plural(omitted, "rule")
        );
    }
    out
}
