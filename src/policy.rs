//! Policy checks against a base revision (`ruleforge lint --base REV`, `ruleforge diff --check`).
//!
//! They read a [`Diff`] and report ordinary lint diagnostics (codes RF501..RF505, declared in
//! `src/lint/rules/`), pointing at the node in the head file, or at the base path without a
//! span for a deleted rule. Policies:
//! - RF501: a rule whose meaning changed must move `modified` forward (never backwards);
//! - RF502: a file that kept its path must keep its `id`;
//! - RF503: a rule is deprecated in an earlier revision before it is deleted
//!   (`[policy] require-deprecation-before-delete`);
//! - RF504: `created` never changes;
//! - RF505: demoting a stable rule to `test`/`experimental` needs an explanation: the same
//!   change moves `modified` forward and edits `description` (or the status line carries
//!   `# ruleforge: ignore[RF505]`).
//!
//! All five apply to Sigma rules too, with Sigma's keys: RF501 reads `modified` (and counts
//! detection changes as changes), RF504 reads `date` (Sigma's creation date), RF505 reads
//! `status`, `modified` and `description`; RF502 and RF503 work on ids alone. Ids of
//! native and Sigma rules are separate namespaces.

use crate::diagnostic::{Diagnostic, Fix, Related};
use crate::diff::{ChangeKind, Diff, RuleChange, Snapshot};
use crate::kind::RuleKind;
use crate::lint::rules::{
    rf501_modified_not_bumped, rf502_id_changed, rf503_deleted_without_deprecation,
    rf504_created_changed, rf505_stable_demoted,
};
use crate::report::Sources;
use crate::rule::{format_date, parse_date};
use crate::suppress::Suppressions;
use crate::yaml::emit::scalar_replacement;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::Date;

/// Policy settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub require_deprecation_before_delete: bool,
    /// The date RF501's fix writes into `modified`.
    pub today: Date,
}

impl Options {
    pub fn from_config(cfg: &crate::config::PolicyConfig, today: Date) -> Self {
        Options {
            require_deprecation_before_delete: cfg.require_deprecation_before_delete,
            today,
        }
    }
}

/// Every policy finding of `diff`, before selection and suppressions.
pub fn check(diff: &Diff, opts: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let replaced: HashSet<&str> = diff.id_changes.iter().map(|c| c.old_id.as_str()).collect();
    for c in &diff.changes {
        match (&c.old, &c.new) {
            (Some(old), Some(new)) => {
                modified_not_bumped(c, old, new, opts, &mut out);
                created_changed(c, old, new, &mut out);
                stable_demoted(c, old, new, &mut out);
            }
            (Some(old), None)
                if opts.require_deprecation_before_delete
                    && !old.is_deprecated()
                    && !replaced.contains(c.id.as_str()) =>
            {
                out.push(rf503_deleted_without_deprecation::RULE.diagnostic(&old.path,
                    None,
                    format!(
                        "{} `{}` ({}) was deleted without first being deprecated (its status was `{}`): set `status: deprecated` in an earlier change",
                        what(c),
                        c.id,
                        old.title(),
                        old.status().unwrap_or("none")
                    ),
                ));
            }
            _ => {}
        }
    }
    for ch in &diff.id_changes {
        let new = diff
            .changes
            .iter()
            .find(|c| {
                c.kind == ChangeKind::Added && c.id == ch.new_id && c.rule_kind == ch.rule_kind
            })
            .and_then(|c| c.new.as_ref());
        let span = new.and_then(|n| n.id_spanned()).map(|i| i.span);
        let replace = match ch.rule_kind {
            RuleKind::Native => "add a new file that `supersedes` it",
            RuleKind::Sigma => "add a new rule whose `related` lists it as `obsolete`",
        };
        out.push(rf502_id_changed::RULE.diagnostic(&ch.path,
            span,
            format!(
                "the id of this {} changed from `{}` to `{}`: ids never change; restore `{}` (to replace the rule, deprecate it and {replace})",
                match ch.rule_kind {
                    RuleKind::Native => "file",
                    RuleKind::Sigma => "Sigma rule",
                },
                ch.old_id, ch.new_id, ch.old_id
            ),
        ));
    }
    out.sort_by(|a, b| {
        (a.path.as_str(), a.span.map(|s| s.start), a.code).cmp(&(
            b.path.as_str(),
            b.span.map(|s| s.start),
            b.code,
        ))
    });
    out
}

/// `rule` or `Sigma rule` (or correlation rule, filter), for messages.
fn what(c: &RuleChange) -> String {
    match c.current().sigma() {
        None => "rule".into(),
        Some(s) => format!("Sigma {}", s.rule.doc_type.name()),
    }
}

fn modified_not_bumped(
    c: &RuleChange,
    old: &Snapshot,
    new: &Snapshot,
    opts: &Options,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(om), Some(nm)) = (old.modified(), new.modified()) else {
        return;
    };
    let (Some(od), Some(nd)) = (parse_date(&om.value), parse_date(&nm.value)) else {
        return;
    };
    let changed: Vec<&str> = c
        .fields
        .iter()
        .map(|f| f.name)
        .filter(|n| *n != "modified")
        .chain(
            (!c.indicators_added.is_empty() || !c.indicators_removed.is_empty())
                .then_some("indicators"),
        )
        .chain((!c.detection.is_empty()).then_some("detection"))
        .collect();
    let message = if nd < od {
        format!(
            "`modified` moved backwards, from {} to {}: it must only move forward",
            om.value, nm.value
        )
    } else if nd == od && !changed.is_empty() {
        format!(
            "the rule changed ({}) but `modified` is still {}: set it to the date of the change",
            changed.join(", "),
            nm.value
        )
    } else {
        return;
    };
    let mut d = rf501_modified_not_bumped::RULE.diagnostic(&new.path, Some(nm.span), message);
    if opts.today > od {
        let today = format_date(opts.today);
        if let Some(text) = scalar_replacement(new.source.slice(nm.span), &today) {
            d = d.with_fix(Fix::safe(
                format!("set `modified` to {today}"),
                nm.span,
                text,
            ));
        }
    }
    out.push(d);
}

fn created_changed(c: &RuleChange, old: &Snapshot, new: &Snapshot, out: &mut Vec<Diagnostic>) {
    let key = new.created_key();
    if c.field(key).is_none() {
        return;
    }
    let (Some(oc), Some(nc)) = (old.created(), new.created()) else {
        return;
    };
    let mut d = rf504_created_changed::RULE.diagnostic(&new.path,
        Some(nc.span),
        format!(
            "`{key}` changed from {} to {}: it records when the rule was first written and never changes",
            oc.value, nc.value
        ),
    );
    if let Some(text) = scalar_replacement(new.source.slice(nc.span), &oc.value) {
        d = d.with_fix(Fix::safe(
            format!("restore `{key}: {}`", oc.value),
            nc.span,
            text,
        ));
    }
    if old.path != new.path {
        d = d.with_related(Related {
            path: old.path.clone(),
            span: None,
            message: "the base version".into(),
        });
    }
    out.push(d);
}

fn stable_demoted(c: &RuleChange, old: &Snapshot, new: &Snapshot, out: &mut Vec<Diagnostic>) {
    if old.status() != Some("stable") || !matches!(new.status(), Some("test" | "experimental")) {
        return;
    }
    let date = |s: &Snapshot| s.modified().and_then(|m| parse_date(&m.value));
    let bumped = matches!((date(old), date(new)), (Some(o), Some(n)) if n > o);
    let explained = c.field("description").is_some();
    if bumped && explained {
        return;
    }
    let missing = match (bumped, explained) {
        (false, false) => "move `modified` forward and say why in `description`",
        (false, true) => "move `modified` forward",
        _ => "say why in `description`",
    };
    let span = new.status_spanned().map(|s| s.span);
    out.push(rf505_stable_demoted::RULE.diagnostic(&new.path,
        span,
        format!(
            "stable rule demoted to `{}` without explanation: {missing} (or add `# ruleforge: ignore[RF505]` to the status line)",
            new.status().unwrap_or("")
        ),
    ));
}

/// Policy findings that survive `lint`'s selection, per-path ignores and the inline
/// suppressions of the head files, with the head sources needed to render them.
pub fn run(diff: &Diff, opts: &Options, lint: &crate::lint::Options) -> (Vec<Diagnostic>, Sources) {
    let heads: HashMap<&str, &Arc<crate::source::SourceFile>> = diff
        .changes
        .iter()
        .filter_map(|c| c.new.as_ref())
        .map(|s| (s.path.as_str(), &s.source))
        .collect();
    let mut suppressions: HashMap<&str, Suppressions> = HashMap::new();
    let mut sources = Sources::new();
    let mut out = Vec::new();
    for d in check(diff, opts) {
        if !lint.enabled(&d) {
            continue;
        }
        if let Some((key, src)) = heads.get_key_value(d.path.as_str()) {
            let s = suppressions
                .entry(*key)
                .or_insert_with(|| Suppressions::parse(src));
            if s.suppresses(&d, src) {
                continue;
            }
            sources.insert(d.path.clone(), Arc::clone(src));
        }
        out.push(d);
    }
    (out, sources)
}
