//! The import report: per source object, the rule written, the values kept and the values
//! dropped with a reason (`--report FILE`, JSON), and the summary printed on the terminal.

use super::plan::{Action, Planned};
use super::{Dropped, Format, Reason};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub format: Format,
    pub dry_run: bool,
    pub summary: Summary,
    pub objects: Vec<Object<'a>>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub objects: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub skipped: usize,
    pub values_kept: usize,
    pub values_dropped: usize,
}

#[derive(Debug, Serialize)]
pub struct Object<'a> {
    /// The input file.
    pub file: &'a str,
    /// The source object's own id.
    pub source_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a Reason>,
    pub kept: Vec<Kept<'a>>,
    pub dropped: &'a [Dropped],
    /// Values kept with a remark (a value another rule ships, needed by its group).
    #[serde(skip_serializing_if = "<[Dropped]>::is_empty")]
    pub notes: &'a [Dropped],
}

#[derive(Debug, Serialize)]
pub struct RuleRef<'a> {
    pub id: &'a str,
    pub path: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Kept<'a> {
    #[serde(rename = "type")]
    pub ty: &'a str,
    pub value: &'a str,
}

pub fn summary(planned: &[Planned]) -> Summary {
    let mut s = Summary {
        objects: planned.len(),
        ..Summary::default()
    };
    for p in planned {
        match p.action {
            Action::Create => s.created += 1,
            Action::Update => s.updated += 1,
            Action::Unchanged => s.unchanged += 1,
            Action::Refused => s.refused += 1,
            Action::Skipped => s.skipped += 1,
        }
        s.values_kept += p.kept.len();
        s.values_dropped += p.dropped.len();
    }
    s
}

pub fn build(format: Format, dry_run: bool, planned: &[Planned]) -> Report<'_> {
    Report {
        format,
        dry_run,
        summary: summary(planned),
        objects: planned
            .iter()
            .map(|p| Object {
                file: &p.source.file,
                source_id: &p.source.id,
                name: p.source.name.as_deref(),
                action: p.action,
                rule: match (&p.rule_id, &p.shown) {
                    (Some(id), Some(path)) => Some(RuleRef { id, path }),
                    _ => None,
                },
                reason: p.reason.as_ref(),
                kept: p
                    .kept
                    .iter()
                    .map(|(ty, value)| Kept { ty, value })
                    .collect(),
                dropped: &p.dropped,
                notes: &p.notes,
            })
            .collect(),
    }
}

/// The terminal summary: one line per source object, then the totals.
pub fn text(planned: &[Planned], dry_run: bool) -> String {
    let mut out = String::new();
    for p in planned {
        let what = match p.action {
            Action::Create if dry_run => "would create",
            Action::Create => "created",
            Action::Update if dry_run => "would update",
            Action::Update => "updated",
            Action::Unchanged => "unchanged",
            Action::Refused => "refused",
            Action::Skipped => "skipped",
        };
        let same = std::path::Path::new(&p.source.file)
            .file_name()
            .is_some_and(|n| n.to_string_lossy() == p.source.id);
        let object = if same {
            p.source.file.clone()
        } else {
            format!("{} {}", p.source.file, p.source.id)
        };
        match (&p.shown, &p.reason) {
            (_, Some(r)) => out.push_str(&format!(
                "{what:>12}  {object}: [{}] {}\n",
                r.code, r.message
            )),
            (Some(path), None) => {
                let dropped = if p.dropped.is_empty() {
                    String::new()
                } else {
                    format!(", {} dropped", p.dropped.len())
                };
                let n = p.kept.len();
                out.push_str(&format!(
                    "{what:>12}  {path}  ({object}: {n} value{}{dropped})\n",
                    if n == 1 { "" } else { "s" }
                ));
            }
            (None, None) => out.push_str(&format!("{what:>12}  {object}\n")),
        }
        for (verb, list) in [("dropped", &p.dropped), ("kept", &p.notes)] {
            for d in list {
                let ty = d.ty.map(|t| format!("{t} ")).unwrap_or_default();
                out.push_str(&format!(
                    "{:>12}  - {verb} {ty}`{}`: [{}] {}\n",
                    "", d.value, d.reason.code, d.reason.message
                ));
            }
        }
    }
    let s = summary(planned);
    let verb = if dry_run { "would be " } else { "" };
    out.push_str(&format!(
        "{} source object{}: {} {verb}created, {} {verb}updated, {} unchanged, {} refused, {} skipped; {} values kept, {} dropped.{}\n",
        s.objects,
        if s.objects == 1 { "" } else { "s" },
        s.created,
        s.updated,
        s.unchanged,
        s.refused,
        s.skipped,
        s.values_kept,
        s.values_dropped,
        if dry_run { " Dry run: nothing written." } else { "" }
    ));
    out
}
