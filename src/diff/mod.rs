//! Semantic diff of the rule set between two git revisions, or a revision and the working tree.
//!
//! Rules are matched by `id`, not by path. Changed files are read as `lint` reads them
//! (native rule, or a Sigma file of one or more documents, see [`crate::kind`]); native
//! and Sigma ids are separate namespaces, and Sigma documents are compared by [`sigma`]. The cost follows the size of the change: the two
//! trees are compared in the object database (`diff_tree_to_tree`, or
//! `diff_tree_to_workdir_with_index` for the working tree) and only the files that differ are
//! read and parsed. A rule that moved shows up as a deleted path on one side and an added
//! path on the other; both are in the changed set, so pairing the changed files by id finds
//! every move without reading the rest of the repository.
//!
//! The change kinds, the JSON shape and the comparison rules are documented in
//! `docs/diff.md`; [`json`], [`markdown`] and [`text`] render a [`Diff`].

pub mod changelog;
mod collect;
pub mod compare;
pub mod json;
pub mod markdown;
pub mod sigma;
pub mod text;

use crate::git::GitError;
use crate::kind::{KindPatterns, RuleKind};
use crate::rule::{Rule, Spanned};
use crate::sigma::SigmaRule;
use crate::source::SourceFile;
use crate::yaml::Node;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use compare::{FieldChange, IndicatorRef};
pub use sigma::{Delta, ItemChange, SelectionChange};

/// What happened to a rule between base and head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
    Moved,
    Deprecated,
    Undeprecated,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::Added,
        ChangeKind::Removed,
        ChangeKind::Modified,
        ChangeKind::Moved,
        ChangeKind::Deprecated,
        ChangeKind::Undeprecated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
            ChangeKind::Moved => "moved",
            ChangeKind::Deprecated => "deprecated",
            ChangeKind::Undeprecated => "undeprecated",
        }
    }

    /// Capitalised, for headings.
    pub fn title(self) -> &'static str {
        match self {
            ChangeKind::Added => "Added",
            ChangeKind::Removed => "Removed",
            ChangeKind::Modified => "Modified",
            ChangeKind::Moved => "Moved",
            ChangeKind::Deprecated => "Deprecated",
            ChangeKind::Undeprecated => "Undeprecated",
        }
    }
}

/// One version of a rule: where it is and what it says.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Path relative to the ruleforge root (the folder of `ruleforge.toml`), `/`-separated.
    pub path: String,
    pub source: Arc<SourceFile>,
    pub doc: RuleDoc,
}

/// The rule a snapshot holds: a native rule, or one document of a Sigma file.
#[derive(Debug, Clone)]
pub enum RuleDoc {
    Native(Box<Rule>),
    Sigma(Box<SigmaSnapshot>),
}

/// One Sigma document (rule, correlation rule or filter) with its YAML tree.
#[derive(Debug, Clone)]
pub struct SigmaSnapshot {
    pub rule: SigmaRule,
    pub node: Node,
}

impl Snapshot {
    pub fn kind(&self) -> RuleKind {
        match self.doc {
            RuleDoc::Native(_) => RuleKind::Native,
            RuleDoc::Sigma(_) => RuleKind::Sigma,
        }
    }

    /// The native rule (`None` for a Sigma document).
    pub fn native(&self) -> Option<&Rule> {
        match &self.doc {
            RuleDoc::Native(r) => Some(r.as_ref()),
            RuleDoc::Sigma(_) => None,
        }
    }

    /// The Sigma document (`None` for a native rule).
    pub fn sigma(&self) -> Option<&SigmaSnapshot> {
        match &self.doc {
            RuleDoc::Native(_) => None,
            RuleDoc::Sigma(s) => Some(s.as_ref()),
        }
    }

    fn pick(
        &self,
        native: impl Fn(&Rule) -> Option<&Spanned<String>>,
        sigma: impl Fn(&SigmaRule) -> Option<&Spanned<String>>,
    ) -> Option<&Spanned<String>> {
        match &self.doc {
            RuleDoc::Native(r) => native(r),
            RuleDoc::Sigma(s) => sigma(&s.rule),
        }
    }

    pub fn id_spanned(&self) -> Option<&Spanned<String>> {
        self.pick(|r| r.id.as_ref(), |r| r.id.as_ref())
    }

    pub fn id(&self) -> &str {
        self.id_spanned().map_or("", |i| i.value.as_str())
    }

    pub fn title(&self) -> &str {
        self.pick(|r| r.title.as_ref(), |r| r.title.as_ref())
            .map_or("", |t| t.value.as_str())
    }

    pub fn status_spanned(&self) -> Option<&Spanned<String>> {
        self.pick(|r| r.status.as_ref(), |r| r.status.as_ref())
    }

    pub fn status(&self) -> Option<&str> {
        self.status_spanned().map(|s| s.value.as_str())
    }

    /// `severity` of a native rule, `level` of a Sigma rule.
    pub fn severity(&self) -> Option<&str> {
        self.pick(|r| r.severity.as_ref(), |r| r.level.as_ref())
            .map(|s| s.value.as_str())
    }

    /// `modified` (both kinds).
    pub fn modified(&self) -> Option<&Spanned<String>> {
        self.pick(|r| r.modified.as_ref(), |r| r.modified.as_ref())
    }

    /// When the rule was first written: `created` of a native rule, `date` of a Sigma rule.
    pub fn created(&self) -> Option<&Spanned<String>> {
        self.pick(|r| r.created.as_ref(), |r| r.date.as_ref())
    }

    /// The name of the field [`Snapshot::created`] reads.
    pub fn created_key(&self) -> &'static str {
        match self.kind() {
            RuleKind::Native => "created",
            RuleKind::Sigma => "date",
        }
    }

    pub fn is_deprecated(&self) -> bool {
        match &self.doc {
            RuleDoc::Native(r) => r.is_deprecated(),
            RuleDoc::Sigma(s) => s.rule.is_deprecated(),
        }
    }

    /// Distinct indicators (group, type, canonical value); none for a Sigma document.
    pub fn indicator_count(&self) -> usize {
        self.native().map_or(0, |r| compare::indicator_set(r).len())
    }

    /// The sorted indicators of a native rule (empty for a Sigma document).
    pub fn indicator_list(&self) -> Vec<IndicatorRef> {
        self.native()
            .map(compare::indicator_list)
            .unwrap_or_default()
    }
}

/// A rule that changed. `old` is the base version (absent when added), `new` the head
/// version (absent when removed).
#[derive(Debug, Clone)]
pub struct RuleChange {
    pub id: String,
    pub kind: ChangeKind,
    /// Native rule or Sigma document (ids of the two kinds are separate namespaces).
    pub rule_kind: RuleKind,
    pub old: Option<Snapshot>,
    pub new: Option<Snapshot>,
    /// Changed fields, in canonical key order (empty for added and removed rules).
    pub fields: Vec<FieldChange>,
    /// Indicators only in head (every indicator of an added rule), sorted.
    pub indicators_added: Vec<IndicatorRef>,
    /// Indicators only in base (every indicator of a removed rule), sorted.
    pub indicators_removed: Vec<IndicatorRef>,
    /// Sigma: detection (or filter) changes per selection, sorted by selection name.
    pub detection: Vec<SelectionChange>,
}

impl RuleChange {
    /// The head version when there is one, else the base version.
    pub fn current(&self) -> &Snapshot {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .expect("a change has at least one side")
    }

    /// The path in head, or the base path of a removed rule.
    pub fn path(&self) -> &str {
        &self.current().path
    }

    /// The path in base (absent for an added rule).
    pub fn old_path(&self) -> Option<&str> {
        self.old.as_ref().map(|s| s.path.as_str())
    }

    /// Whether the rule changed place (it may also have changed content).
    pub fn moved(&self) -> bool {
        matches!((&self.old, &self.new), (Some(o), Some(n)) if o.path != n.path)
    }

    pub fn field(&self, name: &str) -> Option<&FieldChange> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether anything but the place changed.
    pub fn content_changed(&self) -> bool {
        !self.fields.is_empty()
            || !self.indicators_added.is_empty()
            || !self.indicators_removed.is_empty()
            || !self.detection.is_empty()
    }
}

/// Which side of the diff a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Head,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::Head => "head",
        }
    }
}

/// A changed file that could not be read as a rule (bad YAML, no `id`, too large, ...).
/// It takes no part in the pairing; `ruleforge lint` explains what is wrong with it.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: String,
    pub side: Side,
    pub message: String,
}

/// A file that kept its path but holds a different rule id in head, where the base id is
/// gone and the head id is new: an id edited in place (policy RF502).
#[derive(Debug, Clone)]
pub struct IdChange {
    pub path: String,
    pub rule_kind: RuleKind,
    pub old_id: String,
    pub new_id: String,
}

/// One end of the diff.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The revision as the user wrote it (`None` for the working tree).
    pub rev: Option<String>,
    /// The full commit id (`None` for the working tree).
    pub commit: Option<String>,
    /// An abbreviated commit id for display.
    pub short: Option<String>,
    /// Commit time (seconds since the epoch, UTC).
    pub time: Option<i64>,
}

impl Endpoint {
    /// `abc1234` or `working tree`.
    pub fn label(&self) -> String {
        match &self.short {
            Some(s) => s.clone(),
            None => "working tree".to_string(),
        }
    }
}

/// Counts for the summary line and table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub modified: usize,
    pub moved: usize,
    pub deprecated: usize,
    pub undeprecated: usize,
    /// Changed files whose rule did not change in meaning (reformatting, comments, order).
    pub reformatted: usize,
    pub indicators_added: usize,
    pub indicators_removed: usize,
    /// Changed native rules (of `rules_changed`).
    pub native: usize,
    /// Changed Sigma documents (of `rules_changed`).
    pub sigma: usize,
}

impl Summary {
    pub fn rules_changed(&self) -> usize {
        self.added + self.removed + self.modified + self.moved + self.deprecated + self.undeprecated
    }

    pub fn count(&self, kind: ChangeKind) -> usize {
        match kind {
            ChangeKind::Added => self.added,
            ChangeKind::Removed => self.removed,
            ChangeKind::Modified => self.modified,
            ChangeKind::Moved => self.moved,
            ChangeKind::Deprecated => self.deprecated,
            ChangeKind::Undeprecated => self.undeprecated,
        }
    }
}

/// The semantic difference between two rule sets.
#[derive(Debug, Clone)]
pub struct Diff {
    pub base: Endpoint,
    pub head: Endpoint,
    /// Sorted by path, then id.
    pub changes: Vec<RuleChange>,
    pub unreadable: Vec<Unreadable>,
    pub id_changes: Vec<IdChange>,
    pub summary: Summary,
    /// How many changed files were read (both sides): the work done.
    pub files_read: usize,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &RuleChange> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }
}

/// Where the rules are.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rule roots relative to the ruleforge root.
    pub roots: Vec<String>,
    /// The ruleforge root relative to the git work tree (`""` when they are the same folder).
    pub prefix: String,
    /// Larger files are reported as unreadable, not read.
    pub max_file_size: u64,
    /// `[kinds]` patterns: which files are Sigma files (else decided by shape, as `lint` does).
    pub kinds: KindPatterns,
}

impl Options {
    pub fn new(roots: Vec<String>) -> Self {
        Options {
            roots,
            prefix: String::new(),
            max_file_size: crate::config::DEFAULT_MAX_FILE_SIZE,
            kinds: KindPatterns::default(),
        }
    }

    /// The options for rule roots `roots` (relative to the ruleforge root, which is `prefix`
    /// relative to the work tree: see [`prefix_for`]), with the size limit and `[kinds]` of
    /// the lint options, so diff reads files as `lint` does.
    pub fn for_lint(roots: Vec<String>, prefix: String, lint: &crate::lint::Options) -> Self {
        Options {
            roots,
            prefix,
            max_file_size: lint.max_file_size,
            kinds: lint.kinds.clone(),
        }
    }
}

/// The ruleforge root relative to the repository's work tree, `/`-separated (`""` when they
/// coincide or the repository is bare).
pub fn prefix_for(repo: &git2::Repository, root: &std::path::Path) -> String {
    let Some(workdir) = repo.workdir() else {
        return String::new();
    };
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match root.strip_prefix(&workdir) {
        Ok(_) => crate::load::relative(&workdir, &root),
        Err(_) => String::new(),
    }
}

/// Computes the diff from `base` to `head` (a revision, or `None` for the working tree,
/// staged, unstaged and untracked files included).
pub fn compute(
    repo: &git2::Repository,
    base: &str,
    head: Option<&str>,
    opts: &Options,
) -> Result<Diff, GitError> {
    let changed = collect::changed_files(repo, base, head, opts)?;
    Ok(from_files(
        changed.base_end,
        changed.head_end,
        changed.base,
        changed.head,
        changed.unreadable,
        opts,
    ))
}

/// The diff of two sets of rule files given as `(path, bytes)` (paths relative to the
/// ruleforge root; a file on one side only is added or removed), with no repository: what
/// [`compute`] does once it has read the changed files.
pub fn compare_files(
    base: Vec<(String, Vec<u8>)>,
    head: Vec<(String, Vec<u8>)>,
    opts: &Options,
) -> Diff {
    let files = |v: Vec<(String, Vec<u8>)>| {
        v.into_iter()
            .map(|(path, bytes)| collect::File { path, bytes })
            .collect()
    };
    let end = || Endpoint {
        rev: None,
        commit: None,
        short: None,
        time: None,
    };
    from_files(end(), end(), files(base), files(head), Vec::new(), opts)
}

fn from_files(
    base_end: Endpoint,
    head_end: Endpoint,
    base: Vec<collect::File>,
    head: Vec<collect::File>,
    mut unreadable: Vec<Unreadable>,
    opts: &Options,
) -> Diff {
    let files_read = base.len() + head.len();
    let parse = |side: Side, files: Vec<collect::File>| -> Vec<Result<Snapshot, Unreadable>> {
        files
            .into_par_iter()
            .flat_map_iter(|f| read_snapshots(side, f, opts))
            .collect()
    };
    let base_files = parse(Side::Base, base);
    let head_files = parse(Side::Head, head);
    let mut base = index(Side::Base, base_files, &mut unreadable);
    let mut head = index(Side::Head, head_files, &mut unreadable);
    set_aside_unreadable(&mut base, &mut head, &unreadable);
    let (changes, summary, id_changes) = pair(base, head);
    unreadable.sort_by(|a, b| {
        (&a.path, a.side.as_str(), &a.message).cmp(&(&b.path, b.side.as_str(), &b.message))
    });
    unreadable.dedup_by(|a, b| a.path == b.path && a.side == b.side && a.message == b.message);
    Diff {
        base: base_end,
        head: head_end,
        changes,
        unreadable,
        id_changes,
        summary,
        files_read,
    }
}

/// Reads one changed file: one snapshot for a native rule, one per document of a Sigma file
/// (the kind is decided as `lint` decides it: `[kinds]`, else the shape of the documents).
fn read_snapshots(
    side: Side,
    f: collect::File,
    opts: &Options,
) -> Vec<Result<Snapshot, Unreadable>> {
    let bad = |message: String| Unreadable {
        path: f.path.clone(),
        side,
        message,
    };
    let max = opts.max_file_size;
    if f.bytes.len() as u64 > max {
        return vec![Err(bad(format!(
            "file is {} bytes, over the {max}-byte limit (lint.max-file-size): not read",
            f.bytes.len()
        )))];
    }
    let path = f.path.clone();
    let source = match crate::load::decode(&f.path, f.bytes) {
        Ok(s) => s,
        Err((e, _)) => return vec![Err(bad(e.to_string()))],
    };
    match crate::kind::parse_source(source, &opts.kinds) {
        crate::kind::Parsed::Native(file) => {
            let source = Arc::new(file.source);
            match file.parsed {
                Err(e) => {
                    let lc = source.line_col(e.span.start);
                    vec![Err(bad(format!(
                        "line {} column {}: {}",
                        lc.line, lc.column, e.message
                    )))]
                }
                Ok((_, rule)) => {
                    if rule.id.as_ref().is_none_or(|i| i.value.trim().is_empty()) {
                        return vec![Err(bad("no `id`: the rule cannot be matched".into()))];
                    }
                    vec![Ok(Snapshot {
                        path,
                        source,
                        doc: RuleDoc::Native(Box::new(rule)),
                    })]
                }
            }
        }
        crate::kind::Parsed::Sigma(file) => {
            let source = Arc::new(file.source);
            match file.parsed {
                Err(e) => {
                    let lc = source.line_col(e.span.start);
                    vec![Err(bad(format!(
                        "Sigma file: line {} column {}: {}",
                        lc.line, lc.column, e.message
                    )))]
                }
                Ok(docs) => {
                    let several = docs.len() > 1;
                    docs.into_iter()
                        .enumerate()
                        .map(|(i, d)| {
                            if d.rule.id.as_ref().is_none_or(|i| i.value.trim().is_empty()) {
                                let lc = source.line_col(d.node.span.start);
                                let which = if several {
                                    format!("document {} (line {})", i + 1, lc.line)
                                } else {
                                    "the document".to_string()
                                };
                                return Err(bad(format!(
                                    "Sigma {}: {which} has no `id`: it cannot be matched",
                                    d.rule.doc_type.name()
                                )));
                            }
                            Ok(Snapshot {
                                path: path.clone(),
                                source: Arc::clone(&source),
                                doc: RuleDoc::Sigma(Box::new(SigmaSnapshot {
                                    rule: d.rule,
                                    node: d.node,
                                })),
                            })
                        })
                        .collect()
                }
            }
        }
    }
}

/// What rules are matched by: the id, in a namespace per kind (a native rule and a Sigma
/// rule with the same id are different rules).
type Key = (RuleKind, String);

/// Rules by kind and id; a second document with the same id on one side is set aside as
/// unreadable.
fn index(
    side: Side,
    files: Vec<Result<Snapshot, Unreadable>>,
    unreadable: &mut Vec<Unreadable>,
) -> BTreeMap<Key, Snapshot> {
    let mut out: BTreeMap<Key, Snapshot> = BTreeMap::new();
    for f in files {
        match f {
            Err(u) => unreadable.push(u),
            Ok(s) => {
                let key = (s.kind(), s.id().to_string());
                if let Some(first) = out.get(&key) {
                    let also = if first.path == s.path {
                        "another document of this file".to_string()
                    } else {
                        first.path.clone()
                    };
                    unreadable.push(Unreadable {
                        path: s.path.clone(),
                        side,
                        message: format!(
                            "id `{}` is also used by {also}: only the first is compared",
                            key.1
                        ),
                    });
                } else {
                    out.insert(key, s);
                }
            }
        }
    }
    out
}

/// A rule whose file cannot be read on the other side is neither removed nor added: its
/// state there is unknown (the file is listed as unreadable). It still pairs when its id
/// turns up elsewhere (a move).
fn set_aside_unreadable(
    base: &mut BTreeMap<Key, Snapshot>,
    head: &mut BTreeMap<Key, Snapshot>,
    unreadable: &[Unreadable],
) {
    let bad = |side: Side| -> std::collections::HashSet<&str> {
        unreadable
            .iter()
            .filter(|u| u.side == side)
            .map(|u| u.path.as_str())
            .collect()
    };
    let (bad_base, bad_head) = (bad(Side::Base), bad(Side::Head));
    let drop_base: Vec<Key> = base
        .iter()
        .filter(|(id, s)| bad_head.contains(s.path.as_str()) && !head.contains_key(*id))
        .map(|(id, _)| id.clone())
        .collect();
    let drop_head: Vec<Key> = head
        .iter()
        .filter(|(id, s)| bad_base.contains(s.path.as_str()) && !base.contains_key(*id))
        .map(|(id, _)| id.clone())
        .collect();
    for id in drop_base {
        base.remove(&id);
    }
    for id in drop_head {
        head.remove(&id);
    }
}

fn pair(
    mut base: BTreeMap<Key, Snapshot>,
    head: BTreeMap<Key, Snapshot>,
) -> (Vec<RuleChange>, Summary, Vec<IdChange>) {
    let mut changes = Vec::new();
    let mut summary = Summary::default();
    let mut added_ids: Vec<(String, Key)> = Vec::new();
    // Paths of documents that changed only in form (a Sigma file may hold several).
    let mut reformatted: std::collections::BTreeSet<String> = Default::default();
    for (key, new) in head {
        let rule_kind = key.0;
        match base.remove(&key) {
            None => {
                added_ids.push((new.path.clone(), key.clone()));
                let indicators = new.indicator_list();
                let detection = match new.sigma() {
                    Some(s) => sigma::whole(s, Delta::Added),
                    None => Vec::new(),
                };
                changes.push(RuleChange {
                    id: key.1,
                    kind: ChangeKind::Added,
                    rule_kind,
                    old: None,
                    new: Some(new),
                    fields: Vec::new(),
                    indicators_added: indicators,
                    indicators_removed: Vec::new(),
                    detection,
                });
            }
            Some(old) => {
                let c = match (&old.doc, &new.doc) {
                    (RuleDoc::Native(o), RuleDoc::Native(n)) => compare::compare(o, n),
                    (RuleDoc::Sigma(o), RuleDoc::Sigma(n)) => sigma::compare(o, n),
                    _ => unreachable!("keys include the kind"),
                };
                let was_dep = old.is_deprecated();
                let is_dep = new.is_deprecated();
                let kind = if !was_dep && is_dep {
                    ChangeKind::Deprecated
                } else if was_dep && !is_dep {
                    ChangeKind::Undeprecated
                } else if old.path != new.path {
                    ChangeKind::Moved
                } else if !c.is_empty() {
                    ChangeKind::Modified
                } else {
                    reformatted.insert(new.path.clone());
                    continue;
                };
                changes.push(RuleChange {
                    id: key.1,
                    kind,
                    rule_kind,
                    old: Some(old),
                    new: Some(new),
                    fields: c.fields,
                    indicators_added: c.indicators_added,
                    indicators_removed: c.indicators_removed,
                    detection: c.detection,
                });
            }
        }
    }
    // A path whose only removed id was replaced by one added id of the same kind: an id
    // edited in place. (A Sigma file holding several documents whose ids changed is
    // ambiguous and not reported.)
    let mut removed_at: HashMap<(&str, RuleKind), Vec<&str>> = HashMap::new();
    for ((kind, id), s) in &base {
        removed_at
            .entry((s.path.as_str(), *kind))
            .or_default()
            .push(id.as_str());
    }
    let mut added_at: HashMap<(&str, RuleKind), usize> = HashMap::new();
    for (path, (kind, _)) in &added_ids {
        *added_at.entry((path.as_str(), *kind)).or_default() += 1;
    }
    let mut id_changes: Vec<IdChange> = added_ids
        .iter()
        .filter_map(|(path, (kind, new_id))| {
            let old = removed_at.get(&(path.as_str(), *kind))?;
            if old.len() != 1 || added_at.get(&(path.as_str(), *kind)) != Some(&1) {
                return None;
            }
            Some(IdChange {
                path: path.clone(),
                rule_kind: *kind,
                old_id: old[0].to_string(),
                new_id: new_id.clone(),
            })
        })
        .collect();
    id_changes.sort_by(|a, b| a.path.cmp(&b.path));
    for ((rule_kind, id), old) in base {
        let indicators = old.indicator_list();
        let detection = match old.sigma() {
            Some(s) => sigma::whole(s, Delta::Removed),
            None => Vec::new(),
        };
        changes.push(RuleChange {
            id,
            kind: ChangeKind::Removed,
            rule_kind,
            old: Some(old),
            new: None,
            fields: Vec::new(),
            indicators_added: Vec::new(),
            indicators_removed: indicators,
            detection,
        });
    }
    changes.sort_by(|a, b| (a.path(), &a.id, a.rule_kind).cmp(&(b.path(), &b.id, b.rule_kind)));
    // A file counts as reformatted when none of its documents changed in meaning.
    for c in &changes {
        reformatted.remove(c.path());
    }
    summary.reformatted = reformatted.len();
    for c in &changes {
        match c.kind {
            ChangeKind::Added => summary.added += 1,
            ChangeKind::Removed => summary.removed += 1,
            ChangeKind::Modified => summary.modified += 1,
            ChangeKind::Moved => summary.moved += 1,
            ChangeKind::Deprecated => summary.deprecated += 1,
            ChangeKind::Undeprecated => summary.undeprecated += 1,
        }
        match c.rule_kind {
            RuleKind::Native => summary.native += 1,
            RuleKind::Sigma => summary.sigma += 1,
        }
        summary.indicators_added += c.indicators_added.len();
        summary.indicators_removed += c.indicators_removed.len();
    }
    (changes, summary, id_changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn snap(path: &str, text: &str) -> Snapshot {
        let file = crate::rule::RuleFile::parse(SourceFile::new(path, text));
        let rule = file.rule().expect("fixture parses").clone();
        Snapshot {
            path: path.into(),
            source: Arc::new(file.source),
            doc: RuleDoc::Native(Box::new(rule)),
        }
    }

    fn rule(id: &str, status: &str, extra: &str) -> String {
        format!(
            "id: {id}\ntitle: A rule title for tests\nstatus: {status}\nseverity: high\n{extra}indicators:\n  g:\n    domain:\n      - evil.example\n"
        )
    }

    fn by_id(items: Vec<Snapshot>) -> BTreeMap<Key, Snapshot> {
        items
            .into_iter()
            .map(|s| ((s.kind(), s.id().to_string()), s))
            .collect()
    }

    #[test]
    fn pairs_by_id_and_classifies() {
        let base = by_id(vec![
            snap("rules/a.yml", &rule("a", "test", "")),
            snap("rules/b.yml", &rule("b", "test", "")),
            snap("rules/c.yml", &rule("c", "test", "")),
            snap("rules/d.yml", &rule("d", "deprecated", "")),
            snap("rules/e.yml", &rule("e", "test", "")),
            snap("rules/f.yml", &rule("f", "test", "")),
        ]);
        let head = by_id(vec![
            snap("rules/x/a.yml", &rule("a", "test", "")),
            snap("rules/b.yml", &rule("b", "deprecated", "")),
            snap("rules/d.yml", &rule("d", "test", "")),
            snap("rules/e.yml", &rule("e", "test", "author: me\n")),
            snap("rules/f.yml", &rule("f", "test", "")),
            snap("rules/g.yml", &rule("g", "test", "")),
        ]);
        let (changes, summary, ids) = pair(base, head);
        let kinds: Vec<(&str, ChangeKind)> =
            changes.iter().map(|c| (c.id.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("b", ChangeKind::Deprecated),
                ("c", ChangeKind::Removed),
                ("d", ChangeKind::Undeprecated),
                ("e", ChangeKind::Modified),
                ("g", ChangeKind::Added),
                ("a", ChangeKind::Moved),
            ]
        );
        assert_eq!(summary.reformatted, 1);
        assert_eq!(summary.indicators_added, 1);
        assert_eq!(summary.indicators_removed, 1);
        assert!(ids.is_empty());
    }

    #[test]
    fn id_edited_in_place() {
        let base = by_id(vec![snap("rules/a.yml", &rule("a", "test", ""))]);
        let head = by_id(vec![snap("rules/a.yml", &rule("z", "test", ""))]);
        let (changes, _, ids) = pair(base, head);
        assert_eq!(changes.len(), 2);
        assert_eq!(ids.len(), 1);
        assert_eq!((ids[0].old_id.as_str(), ids[0].new_id.as_str()), ("a", "z"));
    }
}
