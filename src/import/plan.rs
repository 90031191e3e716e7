//! From drafts to rule files: ids, paths, the rule text in the canonical layout, the lint
//! engine as the judge, what changes on disk, and the writes.
//!
//! **Edit detection.** Every file import writes carries a marker comment on its second line:
//!
//! ```text
//! # ruleforge-import: sha256:<hex> stix:indicator--…
//! ```
//!
//! `<hex>` is the SHA-256 of the file's text without that line, as import wrote it. On the
//! next import of the same source object (found by rule id, wherever the file now is), a file
//! whose text still hashes to its marker was not edited by hand and is updated; a file whose
//! text does not (an author edited it), or that holds the id but no marker (an author wrote
//! it), is left alone and reported, unless `force`. `ruleforge fmt` does not change an
//! imported file (import writes the canonical layout), so formatting is not an edit.
//!
//! **Stable re-import.** The rule id is derived from the source's own id, so an updated feed
//! maps onto the same files. The new text is first rendered with the file's current
//! `modified` date: when it equals the file, nothing is written; otherwise `modified` becomes
//! today's date.

use super::expr::{self, Expr};
use super::hygiene;
use super::{Draft, Dropped, ImportError, Item, Reason, Refused, SourceRef};
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::format;
use crate::indicator::IndicatorType;
use crate::lint::context::{RepoContext, RuleSummary};
use crate::lint::registry::{self, Check};
use crate::load;
use crate::rule::RuleFile;
use crate::source::SourceFile;
use crate::suppress::Suppressions;
use crate::yaml::{Entry, Node, NodeKind, Scalar};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use time::Date;

/// The marker comment that starts the second line of an imported file.
pub const MARKER_PREFIX: &str = "# ruleforge-import: sha256:";
/// The inline suppression on a known-benign value kept with `--keep-benign`.
pub const KEEP_BENIGN_COMMENT: &str = "# ruleforge: ignore[RF205]";

/// How to plan an import.
#[derive(Clone)]
pub struct Options {
    /// The repository root: paths in diagnostics and the report are relative to it.
    pub root: PathBuf,
    /// Where new rule files go.
    pub out_dir: PathBuf,
    /// Folders of existing rules: a rule already holding an imported id is updated in place,
    /// and values other rules ship are reported (RF402). The output folder is always read.
    pub rule_dirs: Vec<PathBuf>,
    /// When set, the author of every rule (else the source's, else `default_author`).
    pub author: Option<String>,
    pub default_author: String,
    pub status: String,
    /// The severity when the source gives none.
    pub severity: String,
    pub keep_benign: bool,
    pub force: bool,
    pub today: Date,
    /// The lint selection the written rules must pass.
    pub lint: crate::lint::Options,
}

/// What happens to one source object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A new rule file.
    Create,
    /// The rule file that holds this id is rewritten (`modified` bumped).
    Update,
    /// The rule file already says exactly this.
    Unchanged,
    /// No rule: the source object cannot be expressed, or nothing is left of it.
    Refused,
    /// The rule file was edited by hand (or not written by import): left alone.
    Skipped,
}

/// The plan for one source object.
#[derive(Debug, Clone)]
pub struct Planned {
    pub source: SourceRef,
    pub action: Action,
    pub rule_id: Option<String>,
    /// The rule file (absolute) and its path relative to the root.
    pub path: Option<PathBuf>,
    pub shown: Option<String>,
    /// The text to write (for `Create` and `Update`).
    pub text: Option<String>,
    /// (type, value) of every value the rule holds.
    pub kept: Vec<(&'static str, String)>,
    pub dropped: Vec<Dropped>,
    /// Values kept with a remark (already shipped elsewhere but needed by their group).
    pub notes: Vec<Dropped>,
    /// Why it was refused or skipped.
    pub reason: Option<Reason>,
}

/// Why a rule is refused or skipped after mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRefusal {
    /// Every value was dropped: nothing is left to match.
    NoValuesLeft,
    /// The source says the indicator is no longer valid (`valid_until` in the past).
    Expired(String),
    /// The rule would have an error-level lint finding that import cannot remove.
    Lint(String),
    /// The file holding this id was edited since import wrote it.
    HandEdited(String),
    /// The file holding this id was not written by import.
    NotImported(String),
}

impl RuleRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            RuleRefusal::NoValuesLeft => "no-values-left",
            RuleRefusal::Expired(_) => "expired",
            RuleRefusal::Lint(_) => "lint-error",
            RuleRefusal::HandEdited(_) => "hand-edited",
            RuleRefusal::NotImported(_) => "not-imported",
        }
    }

    pub fn reason(&self) -> Reason {
        let message = match self {
            RuleRefusal::NoValuesLeft => {
                "no value is left after hygiene: the rule would match nothing".to_string()
            }
            RuleRefusal::Expired(d) => {
                format!("the source says it is valid until {d}, which has passed")
            }
            RuleRefusal::Lint(d) => format!("the rule would not pass lint: {d}"),
            RuleRefusal::HandEdited(p) => format!(
                "{p} was edited by hand since it was imported: left as it is (--force overwrites it)"
            ),
            RuleRefusal::NotImported(p) => format!(
                "{p} holds this rule id but was not written by import: left as it is (--force overwrites it)"
            ),
        };
        Reason {
            code: self.code(),
            message,
        }
    }
}

/// Lint findings on values that drop the value (with the reason code) instead of refusing the
/// rule.
fn value_drop_code(code: &str) -> Option<&'static str> {
    match code {
        "RF201" => Some("invalid"),
        "RF203" => Some("defanged"),
        "RF205" => Some("benign"),
        "RF206" => Some("overly-broad"),
        _ => None,
    }
}

/// A rule file already in the repository.
struct Existing {
    abs: PathBuf,
    rel: String,
    text: String,
    modified: Option<Date>,
    summary: RuleSummary,
}

fn rel_path(root: &Path, p: &Path) -> String {
    load::relative(root, p)
}

/// Reads the native rules under `dirs`, by id.
fn existing_rules(opts: &Options) -> Result<HashMap<String, Existing>, ImportError> {
    let mut dirs: Vec<PathBuf> = opts
        .rule_dirs
        .iter()
        .chain(std::iter::once(&opts.out_dir))
        .filter(|d| d.is_dir())
        .cloned()
        .collect();
    dirs.sort();
    dirs.dedup();
    let inputs = load::discover(&opts.root, &dirs).map_err(ImportError::Rules)?;
    let found: Vec<Option<(String, Existing)>> = inputs
        .par_iter()
        .map(|input| {
            let load::Origin::Disk(abs) = &input.origin else {
                return None;
            };
            let src = load::read(input, opts.lint.max_file_size).ok()?.ok()?;
            let file = RuleFile::parse(src);
            let rule = file.rule()?;
            let id = rule.id.as_ref()?.value.to_ascii_lowercase();
            let modified = rule
                .modified
                .as_ref()
                .and_then(|m| crate::rule::parse_date(&m.value));
            let summary = RuleSummary::from_rule(&input.path, rule);
            Some((
                id,
                Existing {
                    abs: abs.canonicalize().unwrap_or_else(|_| abs.clone()),
                    rel: input.path.clone(),
                    text: file.source.text.clone(),
                    modified,
                    summary,
                },
            ))
        })
        .collect();
    Ok(found.into_iter().flatten().collect())
}

/// The hash a marker records: SHA-256 of the text without its marker line.
fn body_hash(text: &str) -> String {
    let mut h = Sha256::new();
    for line in text.split_inclusive('\n') {
        if !line.starts_with(MARKER_PREFIX) {
            h.update(line.as_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether an existing file is as import wrote it: `Some(true)` unedited, `Some(false)`
/// edited, `None` no marker.
pub fn unedited(text: &str) -> Option<bool> {
    let line = text
        .lines()
        .take(8)
        .find(|l| l.starts_with(MARKER_PREFIX))?;
    let recorded = line[MARKER_PREFIX.len()..].split(' ').next().unwrap_or("");
    Some(recorded == body_hash(text))
}

/// Everything a rule's text is made of, besides its indicators.
#[derive(Debug, Clone)]
struct Meta {
    id: String,
    title: String,
    status: String,
    severity: String,
    confidence: Option<&'static str>,
    tlp: Option<&'static str>,
    author: String,
    created: Date,
    modified: Date,
    expires: Option<Date>,
    description: String,
    references: Vec<String>,
    tags: Vec<String>,
    marker_source: String,
    modeline: String,
}

const NEW: Span = Span {
    start: usize::MAX,
    end: usize::MAX,
};

fn scalar(value: &str) -> Node {
    Node {
        kind: NodeKind::Scalar(Scalar {
            value: value.to_string(),
            plain: false,
            tag: None,
        }),
        span: NEW,
    }
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: scalar(key),
        value,
    }
}

fn seq(items: impl IntoIterator<Item = String>) -> Node {
    Node {
        kind: NodeKind::Seq(items.into_iter().map(|s| scalar(&s)).collect()),
        span: NEW,
    }
}

fn map(entries: Vec<Entry>) -> Node {
    Node {
        kind: NodeKind::Map(entries),
        span: NEW,
    }
}

fn date(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(fmt).expect("a date formats")
}

/// The rule text in the canonical layout (written by `crate::format`), with its marker.
fn render_text(
    meta: &Meta,
    rendered: &expr::Rendered,
    kept_benign: &HashSet<(IndicatorType, String)>,
    path: &str,
) -> Result<String, String> {
    let mut e = vec![
        entry("id", scalar(&meta.id)),
        entry("title", scalar(&meta.title)),
        entry("status", scalar(&meta.status)),
        entry("severity", scalar(&meta.severity)),
    ];
    if let Some(c) = meta.confidence {
        e.push(entry("confidence", scalar(c)));
    }
    if let Some(t) = meta.tlp {
        e.push(entry("tlp", scalar(t)));
    }
    e.push(entry("author", scalar(&meta.author)));
    e.push(entry("created", scalar(&date(meta.created))));
    e.push(entry("modified", scalar(&date(meta.modified))));
    if let Some(x) = meta.expires {
        e.push(entry("expires", scalar(&date(x))));
    }
    e.push(entry("description", scalar(&meta.description)));
    if !meta.references.is_empty() {
        e.push(entry("references", seq(meta.references.clone())));
    }
    if !meta.tags.is_empty() {
        e.push(entry("tags", seq(meta.tags.clone())));
    }
    let groups = rendered
        .groups
        .iter()
        .map(|(name, types)| {
            entry(
                name,
                map(types
                    .iter()
                    .map(|(ty, values)| entry(ty.name(), seq(values.clone())))
                    .collect()),
            )
        })
        .collect();
    e.push(entry("indicators", map(groups)));
    if let Some(c) = &rendered.condition {
        e.push(entry("condition", scalar(c)));
    }
    let placeholder = format!("{MARKER_PREFIX}{} {}", "0".repeat(64), meta.marker_source);
    let header = SourceFile::new(path, format!("{}\n{placeholder}\n", meta.modeline));
    let mut text = format::format_node(&header, &map(e)).map_err(|e| e.to_string())?;
    if !kept_benign.is_empty() {
        text = annotate_benign(&text, kept_benign, path)?;
    }
    let hash = body_hash(&text);
    Ok(text.replacen(
        &placeholder,
        &format!("{MARKER_PREFIX}{hash} {}", meta.marker_source),
        1,
    ))
}

/// Adds the RF205 suppression after each kept known-benign value.
fn annotate_benign(
    text: &str,
    kept_benign: &HashSet<(IndicatorType, String)>,
    path: &str,
) -> Result<String, String> {
    let file = RuleFile::parse(SourceFile::new(path, text.to_string()));
    let rule = file.rule().ok_or("the rendered rule does not parse")?;
    let mut ends: Vec<usize> = rule
        .values()
        .filter(|(_, t, v)| {
            t.ty.is_some_and(|ty| kept_benign.contains(&(ty, v.canonical().to_string())))
        })
        .map(|(_, _, v)| {
            text[v.span.end..]
                .find('\n')
                .map_or(text.len(), |i| v.span.end + i)
        })
        .collect();
    ends.sort_unstable();
    ends.dedup();
    let mut out = text.to_string();
    for at in ends.into_iter().rev() {
        out.insert_str(at, &format!(" {KEEP_BENIGN_COMMENT}"));
    }
    // The formatter keeps end-of-line comments: the annotated text is still canonical.
    let again =
        format::format_source(&SourceFile::new(path, out.clone())).map_err(|e| e.to_string())?;
    if again != out {
        return Err("the RF205 suppression comments do not survive formatting".into());
    }
    Ok(out)
}

/// A draft settled into a rule text, or refused.
type Settled = Result<Work, (Draft, RuleRefusal)>;

/// One draft on its way to a file.
struct Work {
    draft: Draft,
    meta: Meta,
    expr: Expr,
    kept_benign: HashSet<(IndicatorType, String)>,
    abs: PathBuf,
    rel: String,
    existing: Option<(String, Option<Date>)>,
    text: String,
}

/// Every (type, value) of an expression.
fn values_of(e: &Expr) -> BTreeSet<(IndicatorType, String)> {
    e.terms()
        .iter()
        .flat_map(|t| t.values.iter().map(|v| (t.ty, v.clone())))
        .collect()
}

/// The value (type, canonical text) whose node holds `span` in a rule text.
fn value_at(text: &str, path: &str, span: Span) -> Option<(IndicatorType, String)> {
    let file = RuleFile::parse(SourceFile::new(path, text.to_string()));
    let rule = file.rule()?;
    let found = rule
        .values()
        .find(|(_, _, v)| v.span.start <= span.start && span.end <= v.span.end.max(span.start))
        .and_then(|(_, t, v)| Some((t.ty?, v.canonical().to_string())));
    found
}

/// Which list entry (tags, references) holds `span`.
fn list_item_at(text: &str, path: &str, key: &str, span: Span) -> Option<String> {
    let file = RuleFile::parse(SourceFile::new(path, text.to_string()));
    let rule = file.rule()?;
    let list = match key {
        "tags" => &rule.tags,
        _ => &rule.references,
    };
    list.iter()
        .find(|t| t.span.start <= span.start && span.start <= t.span.end)
        .map(|t| t.value.clone())
}

impl Work {
    fn render(&mut self) -> Result<(), RuleRefusal> {
        let before = values_of(&self.expr);
        let simplified = self.expr.clone().simplify();
        let after = simplified.as_ref().map(values_of).unwrap_or_default();
        // Values that vanished with their group (a value they must match together with was
        // dropped) are reported too.
        for (ty, v) in before.difference(&after) {
            self.draft.drop_value(
                Some(*ty),
                v,
                Reason {
                    code: "group-dropped",
                    message:
                        "dropped with its group: a value it must match together with was dropped"
                            .into(),
                },
            );
        }
        self.expr = simplified.ok_or(RuleRefusal::NoValuesLeft)?;
        let rendered = expr::render(&self.expr);
        self.text = render_text(&self.meta, &rendered, &self.kept_benign, &self.rel)
            .map_err(RuleRefusal::Lint)?;
        Ok(())
    }

    /// Renders and lints until no finding can be removed; values and list entries a lint
    /// rule rejects are dropped with its message.
    fn settle(&mut self, opts: &Options) -> Result<(), RuleRefusal> {
        for _ in 0..16 {
            self.render()?;
            let src = SourceFile::new(self.rel.clone(), self.text.clone());
            let suppressions = Suppressions::parse(&src);
            let diags: Vec<Diagnostic> = crate::lint::check_source(src.clone(), &opts.lint)
                .into_iter()
                .filter(|d| opts.lint.enabled(d) && !suppressions.suppresses(d, &src))
                .collect();
            let mut changed = false;
            let mut blocking = None;
            for d in &diags {
                let Some(span) = d.span else {
                    if d.severity == Severity::Error {
                        blocking.get_or_insert_with(|| format!("{} {}", d.code, d.message));
                    }
                    continue;
                };
                if let Some(code) = value_drop_code(d.code) {
                    if let Some((ty, value)) = value_at(&self.text, &self.rel, span) {
                        self.expr.remove_value(ty, &value);
                        self.draft.drop_value(
                            Some(ty),
                            &value,
                            Reason {
                                code,
                                message: format!("{} ({})", d.message, d.code),
                            },
                        );
                        changed = true;
                        continue;
                    }
                }
                if matches!(d.code, "RF111" | "RF112" | "RF110") {
                    let key = if d.code == "RF110" {
                        "references"
                    } else {
                        "tags"
                    };
                    if let Some(item) = list_item_at(&self.text, &self.rel, key, span) {
                        if key == "tags" {
                            self.meta.tags.retain(|t| *t != item);
                        } else {
                            self.meta.references.retain(|t| *t != item);
                        }
                        changed = true;
                        continue;
                    }
                }
                if d.severity == Severity::Error {
                    blocking.get_or_insert_with(|| format!("{} {}", d.code, d.message));
                }
            }
            if !changed {
                return match blocking {
                    Some(b) => Err(RuleRefusal::Lint(b)),
                    None => Ok(()),
                };
            }
        }
        Err(RuleRefusal::Lint("lint findings did not settle".into()))
    }
}

/// The file name of a new rule: its title in kebab-case, made unique with the id's start.
fn new_path(opts: &Options, title: &str, id: &str, taken: &HashSet<PathBuf>) -> PathBuf {
    let name = crate::lint::rules::rf113_file_name_convention::suggest(&format!("{title}.yml"));
    let stem = name.trim_end_matches(".yml");
    let stem: String = if stem.is_empty() {
        "imported".into()
    } else {
        // Long titles make long names: keep whole words up to 60 characters.
        let mut s = String::new();
        for part in stem.split('-') {
            if !s.is_empty() && s.len() + part.len() + 1 > 60 {
                break;
            }
            if !s.is_empty() {
                s.push('-');
            }
            s.push_str(part);
        }
        s
    };
    let first = opts.out_dir.join(format!("{stem}.yml"));
    if !taken.contains(&first) && !first.exists() {
        return first;
    }
    opts.out_dir.join(format!("{stem}-{}.yml", &id[..8]))
}

/// A title of 10 to 120 characters, one line, no trailing period.
fn title_of(d: &Draft) -> String {
    let base = d
        .title
        .as_deref()
        .or(d.source.name.as_deref())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("{} {}", d.source.format.name().to_uppercase(), d.source.id));
    let mut t = base.trim_end_matches('.').trim().to_string();
    if t.chars().count() < 10 {
        t = format!("{t} ({} import)", d.source.format.label());
    }
    if t.chars().count() > 120 {
        t = t
            .chars()
            .take(119)
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
    }
    t
}

fn meta_of(d: &Draft, opts: &Options, modeline: &str) -> Meta {
    let created = d.created.filter(|c| *c <= opts.today).unwrap_or(opts.today);
    let modified = d
        .modified
        .unwrap_or(created)
        .clamp(created, opts.today.max(created));
    let provenance = format!(
        "Imported from the {} `{}`.",
        d.source.format.label(),
        d.source.id
    );
    let description = match d.description.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => format!("{text}\n\n{provenance}"),
        _ => provenance,
    };
    let mut tags: Vec<String> = Vec::new();
    for t in &d.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let mut references: Vec<String> = Vec::new();
    for r in &d.references {
        if !references.contains(r) {
            references.push(r.clone());
        }
    }
    Meta {
        id: d.source.rule_id(),
        title: title_of(d),
        status: opts.status.clone(),
        severity: d
            .severity
            .map_or_else(|| opts.severity.clone(), str::to_string),
        confidence: d.confidence,
        tlp: d.tlp,
        author: opts
            .author
            .clone()
            .or_else(|| d.author.clone())
            .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| opts.default_author.clone()),
        created,
        modified,
        expires: d.expires,
        description,
        references,
        tags,
        marker_source: format!("{}:{}", d.source.format.name(), d.source.id),
        modeline: modeline.to_string(),
    }
}

/// The path from folder `from` to `to` (both absolute), `/`-separated.
fn relative_path(from: &Path, to: &Path) -> String {
    use std::path::Component;
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

fn refused(source: SourceRef, reason: Reason, dropped: Vec<Dropped>) -> Planned {
    Planned {
        source,
        action: Action::Refused,
        rule_id: None,
        path: None,
        shown: None,
        text: None,
        kept: Vec::new(),
        dropped,
        notes: Vec::new(),
        reason: Some(reason),
    }
}

/// Plans the import of `items`: what each source object becomes, nothing written.
pub fn plan(items: Vec<Item>, opts: &Options) -> Result<Vec<Planned>, ImportError> {
    let existing = existing_rules(opts)?;
    let mut out: Vec<Option<Planned>> = Vec::new();
    let mut work: Vec<(usize, Work)> = Vec::new();
    let mut taken: HashSet<PathBuf> = HashSet::new();
    let mut ids_seen: HashSet<String> = HashSet::new();
    let out_abs = opts.out_dir.clone();
    for item in items {
        let mut draft = match item {
            Item::Refused(Refused {
                source,
                reason,
                dropped,
            }) => {
                out.push(Some(refused(source, reason, dropped)));
                continue;
            }
            Item::Draft(d) => *d,
        };
        let id = draft.source.rule_id();
        if !ids_seen.insert(id.clone()) {
            out.push(Some(refused(
                draft.source.clone(),
                Reason {
                    code: "duplicate-source",
                    message: format!(
                        "the same {} object appears twice in the input: imported once",
                        draft.source.format.label()
                    ),
                },
                Vec::new(),
            )));
            continue;
        }
        if let Some(expires) = draft.expires.filter(|x| *x <= opts.today) {
            out.push(Some(refused(
                draft.source.clone(),
                RuleRefusal::Expired(date(expires)).reason(),
                Vec::new(),
            )));
            continue;
        }
        let kept_benign: HashSet<_> = hygiene::clean(&mut draft, opts.keep_benign)
            .into_iter()
            .collect();
        let (abs, existing_text) = match existing.get(&id) {
            Some(e) => {
                match (unedited(&e.text), opts.force) {
                    (_, true) | (Some(true), _) => {}
                    (Some(false), false) => {
                        let mut p = refused(
                            draft.source.clone(),
                            RuleRefusal::HandEdited(e.rel.clone()).reason(),
                            draft.dropped.clone(),
                        );
                        p.action = Action::Skipped;
                        p.rule_id = Some(id);
                        p.path = Some(e.abs.clone());
                        p.shown = Some(e.rel.clone());
                        out.push(Some(p));
                        continue;
                    }
                    (None, false) => {
                        let mut p = refused(
                            draft.source.clone(),
                            RuleRefusal::NotImported(e.rel.clone()).reason(),
                            draft.dropped.clone(),
                        );
                        p.action = Action::Skipped;
                        p.rule_id = Some(id);
                        p.path = Some(e.abs.clone());
                        p.shown = Some(e.rel.clone());
                        out.push(Some(p));
                        continue;
                    }
                }
                (e.abs.clone(), Some((e.text.clone(), e.modified)))
            }
            None => {
                let title = title_of(&draft);
                (new_path(opts, &title, &id, &taken), None)
            }
        };
        taken.insert(abs.clone());
        let dir = abs.parent().unwrap_or(&out_abs);
        let modeline = format!(
            "{} $schema={}",
            format::MODELINE_PREFIX,
            relative_path(dir, &opts.root.join("schemas/rule.schema.json"))
        );
        let mut meta = meta_of(&draft, opts, &modeline);
        if let Some((_, Some(prev))) = &existing_text {
            meta.modified = (*prev).clamp(meta.created, opts.today.max(meta.created));
        }
        let rel = rel_path(&opts.root, &abs);
        let expr = draft.expr.clone();
        work.push((
            out.len(),
            Work {
                draft,
                meta,
                expr,
                kept_benign,
                abs,
                rel,
                existing: existing_text,
                text: String::new(),
            },
        ));
        out.push(None);
    }

    // Each rule against the per-file lint rules, in parallel.
    let settled: Vec<(usize, Settled)> = work
        .into_par_iter()
        .map(|(i, mut w)| match w.settle(opts) {
            Ok(()) => (i, Ok(w)),
            Err(r) => (i, Err((w.draft, r))),
        })
        .collect();
    let mut ok: Vec<(usize, Work)> = Vec::new();
    for (i, r) in settled {
        match r {
            Ok(w) => ok.push((i, w)),
            Err((d, r)) => out[i] = Some(refused(d.source, r.reason(), d.dropped)),
        }
    }

    // Values other rules already ship (RF402, the registry's check): dropped from the new rule
    // (from the later one when two new rules share a value).
    let replaced: HashSet<&str> = ok.iter().map(|(_, w)| w.meta.id.as_str()).collect();
    let mut summaries: Vec<RuleSummary> = existing
        .iter()
        .filter(|(id, _)| !replaced.contains(id.as_str()))
        .map(|(_, e)| e.summary.clone())
        .collect();
    let n_existing = summaries.len();
    summaries.sort_by(|a, b| a.path.cmp(&b.path));
    for (_, w) in &ok {
        let file = RuleFile::parse(SourceFile::new(w.rel.clone(), w.text.clone()));
        if let Some(rule) = file.rule() {
            summaries.push(RuleSummary::from_rule(&w.rel, rule));
        }
    }
    let mut diags = Vec::new();
    if opts.lint.selection.is_code_enabled("RF402") {
        for r in registry::all() {
            if let (Check::Repo(f), "RF402") = (r.check, r.rule.code) {
                f(
                    &RepoContext {
                        rules: &summaries,
                        sigma: &[],
                    },
                    &mut diags,
                );
            }
        }
    }
    let by_path: HashMap<&str, usize> = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| (s.path.as_str(), i))
        .collect();
    // (type, value) → holders (summary index), from the findings.
    let mut holders: BTreeMap<(IndicatorType, String), Vec<usize>> = BTreeMap::new();
    let mut messages: HashMap<(usize, IndicatorType, String), String> = HashMap::new();
    for d in &diags {
        let (Some(&i), Some(span)) = (by_path.get(d.path.as_str()), d.span) else {
            continue;
        };
        if let Some((ty, v, _)) = summaries[i].values().find(|(_, _, s)| *s == span) {
            holders.entry((ty, v.to_string())).or_default().push(i);
            messages.insert((i, ty, v.to_string()), d.message.clone());
        }
    }
    let mut to_drop: BTreeMap<usize, Vec<(IndicatorType, String, String)>> = BTreeMap::new();
    for ((ty, v), hs) in &holders {
        let first = hs.iter().min().copied().unwrap_or(usize::MAX);
        for &h in hs {
            // Existing rules come first in `summaries`, new ones in input order after them.
            if h >= n_existing && (h != first || first < n_existing) {
                let msg = messages
                    .get(&(h, *ty, v.clone()))
                    .cloned()
                    .unwrap_or_default();
                to_drop
                    .entry(h - n_existing)
                    .or_default()
                    .push((*ty, v.clone(), msg));
            }
        }
    }
    // `ok` is in input order, the same as the new summaries (one each: they all parse).
    let mut finished: Vec<(usize, Settled)> = Vec::new();
    for (k, (i, mut w)) in ok.into_iter().enumerate() {
        if let Some(list) = to_drop.remove(&k) {
            for (ty, v, msg) in list {
                // A value that another value of its group depends on stays (its group would
                // go with it): it is reported, and lint shows RF402 as a warning.
                let mut probe = w.expr.clone();
                probe.remove_value(ty, &v);
                let mut expected = values_of(&w.expr);
                expected.remove(&(ty, v.clone()));
                let reason = Reason {
                    code: "already-shipped",
                    message: format!("{msg} (RF402)"),
                };
                if probe.simplify().map(|e| values_of(&e)).unwrap_or_default() == expected {
                    w.expr.remove_value(ty, &v);
                    w.draft.drop_value(Some(ty), &v, reason);
                } else {
                    w.draft.notes.push(Dropped {
                        ty: Some(ty.name()),
                        value: v.clone(),
                        reason: Reason {
                            message: format!("{} kept: its group needs it", reason.message),
                            ..reason
                        },
                    });
                }
            }
            match w.settle(opts) {
                Ok(()) => finished.push((i, Ok(w))),
                Err(r) => finished.push((i, Err((w.draft, r)))),
            }
        } else {
            finished.push((i, Ok(w)));
        }
    }

    for (i, r) in finished {
        let mut w = match r {
            Ok(w) => w,
            Err((d, r)) => {
                out[i] = Some(refused(d.source, r.reason(), d.dropped));
                continue;
            }
        };
        let action = match &w.existing {
            None => Action::Create,
            Some((old, _)) if *old == w.text => Action::Unchanged,
            Some(_) => {
                w.meta.modified = opts.today.max(w.meta.created);
                match w.settle(opts) {
                    Ok(()) => Action::Update,
                    Err(r) => {
                        out[i] = Some(refused(w.draft.source, r.reason(), w.draft.dropped));
                        continue;
                    }
                }
            }
        };
        let kept = w
            .expr
            .terms()
            .iter()
            .flat_map(|t| t.values.iter().map(|v| (t.ty.name(), v.clone())))
            .collect();
        out[i] = Some(Planned {
            source: w.draft.source,
            action,
            rule_id: Some(w.meta.id),
            path: Some(w.abs),
            shown: Some(w.rel),
            text: matches!(action, Action::Create | Action::Update).then_some(w.text),
            kept,
            dropped: w.draft.dropped,
            notes: w.draft.notes,
            reason: None,
        });
    }
    Ok(out.into_iter().flatten().collect())
}

/// Writes the planned files, each atomically: its text goes to a temporary file in the same
/// folder, every temporary file reaches the disk, then each is renamed over its target; a new
/// file never replaces a file that appeared meanwhile. Readers see the old file or the new one,
/// never a partial one, and a crash leaves no partial rule. The data is flushed with one
/// `syncfs` per folder instead of one `fsync` per file (5,000 new rules: one flush, not 5,000).
pub fn write(planned: &[Planned]) -> Result<usize, ImportError> {
    use std::io::Write;
    let todo: Vec<(&Planned, &PathBuf, &String)> = planned
        .iter()
        .filter_map(|p| Some((p, p.path.as_ref()?, p.text.as_ref()?)))
        .collect();
    let shown = |p: &Planned, path: &Path| {
        p.shown
            .clone()
            .unwrap_or_else(|| path.display().to_string())
    };
    let mut dirs: Vec<&Path> = todo
        .iter()
        .filter_map(|(_, path, _)| path.parent())
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        std::fs::create_dir_all(dir).map_err(|e| ImportError::Write {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    // 1. Temporary files, closed (their paths are kept; dropped ones are removed).
    let temps = todo
        .par_iter()
        .map(|(p, path, text)| {
            let err = |e: std::io::Error| ImportError::Write {
                path: shown(p, path),
                message: e.to_string(),
            };
            let dir = path.parent().unwrap_or(Path::new("."));
            let mut builder = tempfile::Builder::new();
            builder.prefix(".ruleforge-");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0o644);
                builder.permissions(std::fs::Permissions::from_mode(mode));
            }
            let mut tmp = builder.tempfile_in(dir).map_err(err)?;
            tmp.write_all(text.as_bytes()).map_err(err)?;
            if !cfg!(target_os = "linux") {
                tmp.as_file().sync_all().map_err(err)?;
            }
            Ok(tmp.into_temp_path())
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    // 2. Their data on disk.
    #[cfg(target_os = "linux")]
    for dir in &dirs {
        let sync = std::fs::File::open(dir).and_then(|d| {
            use std::os::fd::AsRawFd;
            // SAFETY: syncfs reads a file descriptor that `d` keeps open for the call.
            match unsafe { libc::syncfs(d.as_raw_fd()) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
        sync.map_err(|e| ImportError::Write {
            path: dir.display().to_string(),
            message: format!("cannot flush to disk: {e}"),
        })?;
    }
    // 3. The renames.
    for ((p, path, _), tmp) in todo.iter().zip(temps) {
        let result = match p.action {
            Action::Create => tmp.persist_noclobber(path),
            _ => tmp.persist(path),
        };
        result.map_err(|e| ImportError::Write {
            path: shown(p, path),
            message: if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                "appeared while importing: not overwritten".into()
            } else {
                e.error.to_string()
            },
        })?;
    }
    Ok(todo.len())
}
