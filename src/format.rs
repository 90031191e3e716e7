//! The canonical layout of rule files (`ruleforge fmt`), comments kept.
//!
//! The layout: top-level keys in the order of the rule format (`id`, `title`, `status`, …,
//! `indicators`, `condition`, `tests`; unknown keys last, as written), `id`/`type` first in
//! `related` items and `name`/`expect`/`event` first in tests; two-space indentation; block
//! style everywhere, list items `- item` indented under their key; scalars plain when they read
//! back as the same string under the YAML 1.2 core schema, single-quoted otherwise
//! (double-quoted only for characters single quotes cannot hold); multi-line strings as `|`
//! literal blocks; indicator values in their canonical form; no blank lines.
//!
//! Comments: the YAML parser drops them, so they are collected from the source text (every `#`
//! outside a scalar that starts a comment) and attached to nodes: a full-line comment to the
//! entry or list item that follows it (or, when it is indented deeper than what follows, to
//! the end of the entry or item before it), an end-of-line comment to the scalar it follows.
//! They move with their node. The `yaml-language-server` modeline stays on the first line.
//! Aliases are expanded; `---` markers and directives are dropped.
//!
//! Every result is checked: it must parse to the same data as the input (with canonical
//! indicator values) and keep every comment, or formatting fails and nothing is written.

use crate::diagnostic::Span;
use crate::indicator::{self, Checked, IndicatorType};
use crate::source::SourceFile;
use crate::yaml::emit::{needs_escape, quote_cow};
use crate::yaml::{self, Entry, LoadError, Node, NodeKind, Resolved};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Top-level keys in canonical order.
pub const KEY_ORDER: [&str; 18] = crate::rule::KEYS;
const RELATED_ORDER: [&str; 2] = ["id", "type"];
const TEST_ORDER: [&str; 3] = ["name", "expect", "event"];

pub const MODELINE_PREFIX: &str = "# yaml-language-server:";

/// Why a file could not be formatted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    /// The file does not parse (the same error lint reports).
    #[error(transparent)]
    Load(LoadError),
    /// The file uses a construct the canonical layout cannot express, or the result would not
    /// mean the same: the file is left as it is.
    #[error("{message}")]
    Unsupported { span: Option<Span>, message: String },
}

/// Formats a rule file's text.
pub fn format_source(src: &SourceFile) -> Result<String, FormatError> {
    let root = yaml::parse(src).map_err(FormatError::Load)?;
    let out = format_tree(src, &root, true)?;
    settle(src, out)
}

/// Returns `out` once it formats to itself. A few layouts (a comment after an empty item of
/// a nested list) move once more when the first result is formatted again; `fmt` must be
/// idempotent, so the result is formatted until it stays put, and a file that does not
/// settle is left unchanged.
fn settle(src: &SourceFile, mut out: String) -> Result<String, FormatError> {
    if out == src.text {
        return Ok(out);
    }
    for _ in 0..3 {
        let next_src = SourceFile::new(src.path.clone(), out.clone());
        let root = yaml::parse(&next_src).map_err(FormatError::Load)?;
        let next = format_tree(&next_src, &root, true)?;
        if next == out {
            return Ok(out);
        }
        out = next;
    }
    Err(FormatError::Unsupported {
        span: None,
        message: "formatting does not settle on one layout here: file left unchanged".into(),
    })
}

/// Formats `root`, a tree parsed from `src` (possibly edited: nodes whose spans do not come
/// from `src` carry no comments, e.g. spans starting at `usize::MAX`).
pub fn format_node(src: &SourceFile, root: &Node) -> Result<String, FormatError> {
    let out = format_tree(src, root, false)?;
    settle(src, out)
}

/// `unedited`: `root` is the tree of `src` as parsed, so a result equal to `src`'s text
/// parses to `root` again and is not parsed a second time (the usual case of `fmt --check`).
fn format_tree(src: &SourceFile, root: &Node, unedited: bool) -> Result<String, FormatError> {
    let comments = collect_comments(src, root, unedited);
    let total = comments.count();
    let mut e = Emitter {
        c: comments,
        out: String::with_capacity(src.text.len() + 64),
        emitted_comments: 0,
        values_changed: false,
    };
    e.emit_document(root)?;
    let out = e.out;
    // The result must mean the same. A result equal to the text of an unedited tree
    // parses to that tree again: it means the same when projecting changes nothing, that
    // is when the emitter wrote every indicator value as it was (no second check).
    let same = if unedited && out == src.text {
        !e.values_changed
    } else {
        let check = SourceFile::new(src.path.clone(), out.clone());
        let reparsed = yaml::parse(&check).map_err(|err| FormatError::Unsupported {
            span: None,
            message: format!(
                "formatting would produce invalid YAML ({}): file left unchanged",
                err.message
            ),
        })?;
        reparsed.to_json() == project(root, Ctx::Root)
    };
    if !same {
        return Err(FormatError::Unsupported {
            span: None,
            message: "formatting would change the data: file left unchanged".into(),
        });
    }
    if e.emitted_comments != total {
        return Err(FormatError::Unsupported {
            span: None,
            message: "formatting would lose a comment: file left unchanged".into(),
        });
    }
    Ok(out)
}

/// Where a node is, for key order and value canonicalization.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    Related,
    Tests,
    RelatedItem,
    TestItem,
    Indicators,
    Group,
    Values(Option<IndicatorType>),
    Value(Option<IndicatorType>),
    Other,
}

impl Ctx {
    fn child(self, key: Option<&str>) -> Ctx {
        match (self, key) {
            (Ctx::Root, Some("related")) => Ctx::Related,
            (Ctx::Root, Some("tests")) => Ctx::Tests,
            (Ctx::Root, Some("indicators")) => Ctx::Indicators,
            (Ctx::Related, None) => Ctx::RelatedItem,
            (Ctx::Tests, None) => Ctx::TestItem,
            (Ctx::Indicators, Some(_)) => Ctx::Group,
            (Ctx::Group, Some(t)) => Ctx::Values(IndicatorType::from_name(t)),
            (Ctx::Values(t), None) => Ctx::Value(t),
            _ => Ctx::Other,
        }
    }

    fn order(self) -> Option<&'static [&'static str]> {
        match self {
            Ctx::Root => Some(&KEY_ORDER),
            Ctx::RelatedItem => Some(&RELATED_ORDER),
            Ctx::TestItem => Some(&TEST_ORDER),
            _ => None,
        }
    }
}

/// A string value as formatting writes it (indicator values canonical): borrowed when it
/// stays as it is.
fn transform(ctx: Ctx, value: &str) -> Cow<'_, str> {
    if let Ctx::Value(Some(ty)) = ctx {
        if stays_as_written(ty, value) {
            return Cow::Borrowed(value);
        }
        if let Checked::Valid { canonical } = indicator::check(ty, value) {
            if canonical != value {
                return Cow::Owned(canonical);
            }
        }
    }
    Cow::Borrowed(value)
}

/// Whether [`indicator::check`] certainly gives no canonical form other than `value` itself
/// (it may find the value invalid: `fmt` then writes it as it is too), decided without
/// checking it: a `regex:` value (never rewritten), a lower-case hex digest of the right
/// length, a glob without surrounding white space, a lower-case LDH domain (IDNA leaves
/// it as it is; no `xn--` label), a dotted-quad IPv4 address without leading zeros. Other
/// values are checked. A unit test holds this to `indicator::check`.
fn stays_as_written(ty: IndicatorType, value: &str) -> bool {
    use indicator::Syntax;
    if value.starts_with(indicator::REGEX_PREFIX) {
        return true;
    }
    match ty.syntax() {
        Syntax::Hash(len) => {
            value.len() == len
                && value
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        Syntax::Glob { .. } => value.trim().len() == value.len(),
        Syntax::Domain => {
            let rest = value.strip_prefix("*.").unwrap_or(value);
            rest.len() <= 253
                && rest.split('.').all(|l| {
                    (1..=63).contains(&l.len())
                        && l.bytes()
                            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
                        && l.get(2..4) != Some("--")
                })
        }
        Syntax::Ip => {
            let mut octets = 0;
            value.split('.').all(|o| {
                octets += 1;
                (1..=3).contains(&o.len())
                    && o.bytes().all(|b| b.is_ascii_digit())
                    && (o.len() == 1 || !o.starts_with('0'))
                    && o.parse::<u16>().is_ok_and(|n| n <= 255)
            }) && octets == 4
        }
        Syntax::Url | Syntax::Email => false,
    }
}

fn is_str(n: &Node) -> Option<&str> {
    let s = n.as_scalar()?;
    match s.resolve() {
        Resolved::Str(v) => Some(v),
        _ => None,
    }
}

/// The JSON the formatted document must parse to.
fn project(n: &Node, ctx: Ctx) -> serde_json::Value {
    match &n.kind {
        NodeKind::Scalar(_) => match is_str(n) {
            Some(v) => serde_json::Value::String(transform(ctx, v).into_owned()),
            None => n.to_json(),
        },
        NodeKind::Seq(items) => items.iter().map(|i| project(i, ctx.child(None))).collect(),
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| {
                    let k = yaml::key_text(&e.key);
                    let v = project(&e.value, ctx.child(Some(&k)));
                    (k, v)
                })
                .collect(),
        ),
    }
}

fn key_of(e: &Entry) -> Option<&str> {
    e.key.as_scalar().map(|s| s.value.as_str())
}

/// Entries in canonical order for `ctx`: known keys first in their order, the others after,
/// as written.
fn ordered(entries: &[Entry], ctx: Ctx) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    if let Some(order) = ctx.order() {
        // Each key's place looked up once (a comparison sort would look it up again and
        // again).
        v.sort_by_cached_key(|e| {
            key_of(e)
                .and_then(|k| order.iter().position(|o| *o == k))
                .unwrap_or(order.len())
        });
    }
    v
}

// ---------------------------------------------------------------------------------------
// Comments

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UnitKind {
    Entry,
    Item,
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    start: usize,
    col: usize,
    kind: UnitKind,
}

#[derive(Debug, Default, PartialEq)]
struct Comments {
    modeline: Option<String>,
    header: Vec<String>,
    leading: FxHashMap<(usize, UnitKind), Vec<String>>,
    trailing: FxHashMap<(usize, UnitKind), Vec<String>>,
    /// End-of-line comments by the start of the scalar they follow.
    eol: FxHashMap<usize, String>,
    footer: Vec<String>,
}

impl Comments {
    fn count(&self) -> usize {
        usize::from(self.modeline.is_some())
            + self.header.len()
            + self.leading.values().map(Vec::len).sum::<usize>()
            + self.trailing.values().map(Vec::len).sum::<usize>()
            + self.eol.len()
            + self.footer.len()
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether a non-plain scalar is a block scalar (`|`, `>`): its content starts a line and the
/// line above it (blank lines aside) ends with a block header.
fn is_block_scalar(text: &str, n: &Node) -> bool {
    let start = n.span.start.min(text.len());
    let ls = line_start(text, start);
    if !text[ls..start].trim().is_empty() {
        return false;
    }
    if !text[start..].starts_with(['\'', '"']) {
        return true;
    }
    // Content that starts with a quote: look for the header on the previous non-blank line.
    let mut end = ls;
    while end > 0 {
        let prev_start = line_start(text, end - 1);
        let line = &text[prev_start..end - 1];
        if line.trim().is_empty() {
            end = prev_start;
            continue;
        }
        let line = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        let t = line
            .trim_end()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        return t.ends_with('|') || t.ends_with('>');
    }
    false
}

/// The offset of the `|`/`>` indicator of the block scalar whose content starts at `start`.
fn block_header(text: &str, start: usize) -> Option<usize> {
    let mut end = line_start(text, start);
    while end > 0 {
        let ps = line_start(text, end - 1);
        let line = &text[ps..end - 1];
        if line.trim().is_empty() {
            end = ps;
            continue;
        }
        let line = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        let t = line
            .trim_end()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        return (t.ends_with('|') || t.ends_with('>')).then(|| ps + t.len() - 1);
    }
    None
}

/// Collects scalar extents (bytes that are scalar content, where `#` is not a comment) and
/// attachment units, in document order.
fn walk(
    text: &str,
    n: &Node,
    mask: &mut Vec<(usize, usize)>,
    scalars: &mut Vec<(usize, usize)>,
    units: &mut Vec<Unit>,
) {
    let col = |at: usize| at - line_start(text, at);
    match &n.kind {
        NodeKind::Scalar(s) => {
            if n.span.start >= text.len() || n.span.end > text.len() {
                return;
            }
            let start = if !s.plain && is_block_scalar(text, n) {
                // A comment after the `|` header belongs to this scalar.
                if let Some(h) = block_header(text, n.span.start) {
                    scalars.push((n.span.start, h + 1));
                }
                line_start(text, n.span.start)
            } else {
                scalars.push((n.span.start, n.span.end));
                n.span.start
            };
            mask.push((start, n.span.end));
        }
        NodeKind::Seq(items) => {
            for i in items {
                if i.span.start < text.len() {
                    let at = i.span.start;
                    // The dash of a block scalar item is on its header line.
                    let block = i
                        .as_scalar()
                        .is_some_and(|s| !s.plain && is_block_scalar(text, i));
                    let dash_at = if block {
                        block_header(text, at).unwrap_or(at)
                    } else {
                        at
                    };
                    let ls = line_start(text, dash_at);
                    let before = &text[ls..dash_at];
                    let dash = before
                        .trim_end()
                        .strip_suffix('-')
                        .map(|b| b.len())
                        .filter(|_| before.trim_end().ends_with('-'));
                    units.push(Unit {
                        start: at,
                        col: dash.unwrap_or(col(at)),
                        kind: UnitKind::Item,
                    });
                }
                walk(text, i, mask, scalars, units);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries {
                if e.key.span.start < text.len() {
                    units.push(Unit {
                        start: e.key.span.start,
                        col: col(e.key.span.start),
                        kind: UnitKind::Entry,
                    });
                }
                walk(text, &e.key, mask, scalars, units);
                walk(text, &e.value, mask, scalars, units);
            }
        }
    }
}

/// Whether a `#` at or after `from` may start a comment: it starts a line or follows a space
/// or a tab (a `#` elsewhere never does, see [`collect_comments`]).
fn comment_mark_from(text: &str, from: usize) -> bool {
    let b = text.as_bytes();
    memchr::memchr_iter(b'#', &b[from.min(b.len())..])
        .map(|i| from + i)
        .any(|at| at == 0 || matches!(b[at - 1], b'\n' | b' ' | b'\t'))
}

/// `unedited`: `root` is the tree of `src` as parsed (spans in document order).
fn collect_comments(src: &SourceFile, root: &Node, unedited: bool) -> Comments {
    let text = src.text.as_str();
    let mut mask = Vec::new();
    let mut scalars = Vec::new();
    let mut units = Vec::new();
    // The usual rule file: a mapping whose comments, if any, are all above its first key
    // (the modeline, a header). Every node then lies after them, so nothing is attached to
    // a node and the tree need not be walked: the first key is the only unit that matters
    // (what `walk` would find first), and no scalar covers a `#` before it.
    let first_key = match &root.kind {
        NodeKind::Map(entries) if unedited => entries
            .first()
            .map(|e| e.key.span.start)
            .filter(|&f| f < text.len()),
        _ => None,
    };
    match first_key {
        Some(f) if !comment_mark_from(text, f) => units.push(Unit {
            start: f,
            col: f - line_start(text, f),
            kind: UnitKind::Entry,
        }),
        _ => walk(text, root, &mut mask, &mut scalars, &mut units),
    }
    let mut masked = vec![false; if mask.is_empty() { 0 } else { text.len() + 1 }];
    for (s, e) in mask {
        for m in &mut masked[s..e.min(text.len())] {
            *m = true;
        }
    }
    let is_masked = |at: usize| masked.get(at).copied().unwrap_or(false);
    // Units sorted by start; for equal starts the outer one (an item) comes first.
    units.sort_by_key(|u| (u.start, u.kind == UnitKind::Entry));
    let mut c = Comments::default();
    let first_unit = units.first().map(|u| u.start);
    let mut pre_first: Vec<(usize, String)> = Vec::new(); // (line start, text)
    let mut blank_after: Vec<usize> = Vec::new(); // line starts of blank lines before the first unit

    // Past the last `#` and the first unit, a line has neither a comment nor a blank line
    // above the first unit: the scan stops there.
    let last_hash = memchr::memrchr(b'#', text.as_bytes());
    let scan_end = last_hash
        .map_or(0, |h| h + 1)
        .max(first_unit.unwrap_or(text.len()));
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let ls = offset;
        if ls > scan_end {
            break;
        }
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        // `#` is ASCII: its byte offsets are character boundaries.
        let hash = memchr::memchr_iter(b'#', body.as_bytes()).find(|&i| {
            !is_masked(ls + i) && (i == 0 || matches!(body.as_bytes()[i - 1], b' ' | b'\t'))
        });
        if first_unit.is_none_or(|f| ls + body.len() < f) && body.trim().is_empty() {
            blank_after.push(ls);
        }
        let Some(i) = hash else { continue };
        let at = ls + i;
        let comment = body[i..].trim_end().to_string();
        let full_line = body[..i].trim().is_empty();
        if !full_line {
            // End of line: the scalar that ends last on this line before the comment.
            let owner = scalars
                .iter()
                .filter(|(_, e)| *e > ls && *e <= at)
                .max_by_key(|(_, e)| *e)
                .map(|(s, _)| *s);
            if let Some(s) = owner {
                match c.eol.get_mut(&s) {
                    Some(prev) => {
                        prev.push(' ');
                        prev.push_str(&comment);
                    }
                    None => {
                        c.eol.insert(s, comment);
                    }
                }
                continue;
            }
        }
        if first_unit.is_none_or(|f| at < f) {
            if comment.starts_with(MODELINE_PREFIX) && c.modeline.is_none() {
                c.modeline = Some(comment);
            } else {
                pre_first.push((ls, comment));
            }
            continue;
        }
        let col = i;
        let next = units.iter().find(|u| u.start > at);
        let prev = units
            .iter()
            .filter(|u| u.start < at && u.col <= col)
            .max_by_key(|u| (u.start, u.col));
        match (next, prev) {
            (Some(n), _) if col <= n.col => c
                .leading
                .entry((n.start, n.kind))
                .or_default()
                .push(comment),
            (None, _) if col == 0 => c.footer.push(comment),
            (_, Some(p)) => c
                .trailing
                .entry((p.start, p.kind))
                .or_default()
                .push(comment),
            (Some(n), None) => c
                .leading
                .entry((n.start, n.kind))
                .or_default()
                .push(comment),
            (None, None) => c.footer.push(comment),
        }
    }
    // Comments above the first node: the block right above it (no blank line between) belongs
    // to it; what is above a blank line is the file header and stays first.
    if let Some(first) = units.first() {
        let cut = blank_after
            .iter()
            .rev()
            .find(|&&b| pre_first.iter().any(|(ls, _)| *ls < b))
            .copied();
        let mut lead = Vec::new();
        for (ls, comment) in pre_first {
            if cut.is_some_and(|b| ls < b) {
                c.header.push(comment);
            } else {
                lead.push(comment);
            }
        }
        if !lead.is_empty() {
            let v = c.leading.entry((first.start, first.kind)).or_default();
            lead.append(v);
            *v = lead;
        }
    } else {
        c.header.extend(pre_first.into_iter().map(|(_, t)| t));
    }
    c
}

// ---------------------------------------------------------------------------------------
// Emitting

enum ScalarOut<'n> {
    Inline(Cow<'n, str>),
    /// `|` header (with chomping indicator) and the string it holds.
    Block(&'static str, Cow<'n, str>),
}

/// The header of the literal block that holds the multi-line string `value` exactly, if one
/// can.
fn literal_block(value: &str) -> Option<&'static str> {
    if value.chars().any(|c| c != '\n' && needs_escape(c)) {
        return None;
    }
    let body = value.trim_end_matches('\n');
    let trailing = value.len() - body.len();
    if body.is_empty() {
        return None;
    }
    // The first non-empty line sets the indentation: it must not start with white space, and
    // no line may start with a tab.
    let first = body.split('\n').find(|l| !l.is_empty())?;
    if first.starts_with([' ', '\t']) || body.split('\n').any(|l| l.starts_with('\t')) {
        return None;
    }
    // Leading lines holding only spaces would be read as indentation.
    if body
        .split('\n')
        .take_while(|l| l.trim().is_empty())
        .any(|l| !l.is_empty())
    {
        return None;
    }
    Some(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    })
}

struct Emitter {
    c: Comments,
    out: String,
    emitted_comments: usize,
    /// Whether an indicator value was written in a canonical form other than its own.
    values_changed: bool,
}

/// Spaces for indentation.
const SPACES: &str = "                                                                ";

impl Emitter {
    fn pad(&mut self, n: usize) {
        let mut n = n;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    /// Ends the line being written, without trailing spaces.
    fn end_line(&mut self) {
        let len = self.out.trim_end_matches(' ').len();
        self.out.truncate(len);
        self.out.push('\n');
    }

    /// ` # comment` after a value, when there is one.
    fn push_eol(&mut self, eol: Option<&str>) {
        if let Some(c) = eol {
            self.out.push(' ');
            self.out.push_str(c);
        }
    }

    fn comment_lines(&mut self, lines: Option<Vec<String>>, indent: usize) {
        for l in lines.unwrap_or_default() {
            self.emitted_comments += 1;
            self.pad(indent);
            self.out.push_str(&l);
            self.end_line();
        }
    }

    /// The end-of-line comment of the scalar starting at `at`, if any (counted as written).
    fn eol(&mut self, at: usize) -> Option<String> {
        if self.c.eol.is_empty() {
            return None;
        }
        let c = self.c.eol.remove(&at)?;
        self.emitted_comments += 1;
        Some(c)
    }

    fn leading(&mut self, at: usize, kind: UnitKind, indent: usize) {
        if self.c.leading.is_empty() {
            return;
        }
        let l = self.c.leading.remove(&(at, kind));
        self.comment_lines(l, indent);
    }

    fn trailing(&mut self, at: usize, kind: UnitKind, indent: usize) {
        if self.c.trailing.is_empty() {
            return;
        }
        let l = self.c.trailing.remove(&(at, kind));
        self.comment_lines(l, indent);
    }

    fn emit_document(&mut self, root: &Node) -> Result<(), FormatError> {
        if let Some(m) = self.c.modeline.take() {
            self.comment_lines(Some(vec![m]), 0);
        }
        let header = std::mem::take(&mut self.c.header);
        self.comment_lines(Some(header), 0);
        match &root.kind {
            NodeKind::Map(entries) if !entries.is_empty() => {
                let list = ordered(entries, Ctx::Root);
                for e in list {
                    self.emit_entry("", e, 0, Ctx::Root, true)?;
                }
            }
            NodeKind::Seq(items) if !items.is_empty() => {
                for i in items {
                    self.emit_item(i, 0, Ctx::Other)?;
                }
            }
            // A document that is only an empty list or mapping (`[]`, `{}`).
            NodeKind::Seq(_) | NodeKind::Map(_) => {
                let t = if matches!(root.kind, NodeKind::Seq(_)) {
                    "[]"
                } else {
                    "{}"
                };
                let eol = self.eol(root.span.start);
                self.out.push_str(t);
                self.push_eol(eol.as_deref());
                self.end_line();
            }
            NodeKind::Scalar(_) => {
                let t = match self.scalar(root, Ctx::Other, true)? {
                    ScalarOut::Inline(t) => t,
                    ScalarOut::Block(..) => unreachable!("inline requested"),
                };
                let eol = self.eol(root.span.start);
                self.out.push_str(&t);
                self.push_eol(eol.as_deref());
                self.end_line();
            }
        }
        // Anything not placed (nodes edited away) goes to the end rather than being lost.
        let mut rest: Vec<(usize, Vec<String>)> = self
            .c
            .leading
            .drain()
            .chain(self.c.trailing.drain())
            .map(|((at, _), v)| (at, v))
            .collect();
        rest.extend(self.c.eol.drain().map(|(at, v)| (at, vec![v])));
        rest.sort();
        for (_, v) in rest {
            self.comment_lines(Some(v), 0);
        }
        let footer = std::mem::take(&mut self.c.footer);
        self.comment_lines(Some(footer), 0);
        Ok(())
    }

    fn key_text<'n>(&mut self, key: &'n Node) -> Result<Cow<'n, str>, FormatError> {
        match &key.kind {
            NodeKind::Scalar(_) => match self.scalar(key, Ctx::Other, true)? {
                // `: value` reads back with its comments placed differently, so formatting
                // would not be idempotent; a rule has no use for an empty key anyway.
                ScalarOut::Inline(t) if t.is_empty() => Err(FormatError::Unsupported {
                    span: Some(key.span),
                    message: "an empty mapping key cannot be formatted: name the key".into(),
                }),
                ScalarOut::Inline(t) => Ok(t),
                ScalarOut::Block(..) => unreachable!("inline requested"),
            },
            _ => Err(FormatError::Unsupported {
                span: Some(key.span),
                message: "a mapping key that is a list or a mapping cannot be formatted".into(),
            }),
        }
    }

    fn scalar<'n>(
        &mut self,
        n: &'n Node,
        ctx: Ctx,
        inline: bool,
    ) -> Result<ScalarOut<'n>, FormatError> {
        let s = n.as_scalar().expect("scalar");
        if let Some(tag) = &s.tag {
            if tag != "tag:yaml.org,2002:str" {
                return Err(FormatError::Unsupported {
                    span: Some(n.span),
                    message: format!("the tag `{tag}` cannot be formatted: remove it"),
                });
            }
        }
        match s.resolve() {
            Resolved::Str(v) => {
                let v = transform(ctx, v);
                self.values_changed |= matches!(v, Cow::Owned(_));
                if v.contains('\n') && !inline {
                    if let Some(header) = literal_block(&v) {
                        return Ok(ScalarOut::Block(header, v));
                    }
                }
                Ok(ScalarOut::Inline(match v {
                    Cow::Borrowed(v) => quote_cow(v),
                    Cow::Owned(v) => Cow::Owned(quote_cow(&v).into_owned()),
                }))
            }
            // null, booleans and numbers keep their spelling.
            _ => Ok(ScalarOut::Inline(Cow::Borrowed(&s.value))),
        }
    }

    /// Starts a line: `lead` when given (`- ` of a list item), else the indentation.
    fn start(&mut self, lead: &str, indent: usize) {
        if lead.is_empty() {
            self.pad(indent);
        } else {
            self.out.push_str(lead);
        }
    }

    /// One mapping entry; `lead` replaces the indentation of its first line (`- ` for the
    /// first entry of a list item), and `own_leading` says whether it prints its own leading
    /// comments (the item printed them otherwise).
    fn emit_entry(
        &mut self,
        lead: &str,
        e: &Entry,
        indent: usize,
        ctx: Ctx,
        own_leading: bool,
    ) -> Result<(), FormatError> {
        let at = e.key.span.start;
        if own_leading {
            self.leading(at, UnitKind::Entry, indent);
        }
        let key = self.key_text(&e.key)?;
        let child = ctx.child(key_of(e));
        let key_eol = self.eol(at);
        match &e.value.kind {
            NodeKind::Scalar(_) => {
                let value_eol = self.eol(e.value.span.start);
                let (eol_line, extra) = match value_eol {
                    None => (key_eol, None),
                    Some(v) => (Some(v), key_eol),
                };
                if let Some(extra) = extra {
                    // Two comments for one line (key and value were on different lines).
                    self.pad(indent);
                    self.out.push_str(extra.trim_start());
                    self.end_line();
                }
                match self.scalar(&e.value, child, false)? {
                    ScalarOut::Inline(t) => {
                        self.start(lead, indent);
                        self.out.push_str(&key);
                        self.out.push(':');
                        if !t.is_empty() {
                            self.out.push(' ');
                            self.out.push_str(&t);
                        }
                        self.push_eol(eol_line.as_deref());
                        self.end_line();
                    }
                    ScalarOut::Block(header, text) => {
                        self.start(lead, indent);
                        self.out.push_str(&key);
                        self.out.push_str(": ");
                        self.out.push_str(header);
                        self.push_eol(eol_line.as_deref());
                        self.end_line();
                        self.block_lines(&text, indent + 2);
                    }
                }
            }
            NodeKind::Seq(items) if items.is_empty() => {
                self.start(lead, indent);
                self.out.push_str(&key);
                self.out.push_str(": []");
                self.push_eol(key_eol.as_deref());
                self.end_line();
            }
            NodeKind::Map(entries) if entries.is_empty() => {
                self.start(lead, indent);
                self.out.push_str(&key);
                self.out.push_str(": {}");
                self.push_eol(key_eol.as_deref());
                self.end_line();
            }
            NodeKind::Seq(items) => {
                self.start(lead, indent);
                self.out.push_str(&key);
                self.out.push(':');
                self.push_eol(key_eol.as_deref());
                self.end_line();
                for i in items {
                    self.emit_item(i, indent + 2, child)?;
                }
            }
            NodeKind::Map(entries) => {
                self.start(lead, indent);
                self.out.push_str(&key);
                self.out.push(':');
                self.push_eol(key_eol.as_deref());
                self.end_line();
                for sub in ordered(entries, child) {
                    self.emit_entry("", sub, indent + 2, child, true)?;
                }
            }
        }
        self.trailing(at, UnitKind::Entry, indent);
        Ok(())
    }

    /// The lines of a literal block's string (see [`literal_block`]) at `indent`: its
    /// content, then one empty line per trailing line break beyond the first.
    fn block_lines(&mut self, value: &str, indent: usize) {
        let body = value.trim_end_matches('\n');
        let trailing = value.len() - body.len();
        for l in body.split('\n') {
            if !l.is_empty() {
                self.pad(indent);
                self.out.push_str(l);
            }
            self.out.push('\n');
        }
        for _ in 1..trailing.max(1) {
            self.out.push('\n');
        }
    }

    /// One list item with its dash at `indent`.
    fn emit_item(&mut self, item: &Node, indent: usize, list_ctx: Ctx) -> Result<(), FormatError> {
        let at = item.span.start;
        let ctx = list_ctx.child(None);
        self.leading(at, UnitKind::Item, indent);
        match &item.kind {
            NodeKind::Scalar(_) => {
                let eol = self.eol(at);
                match self.scalar(item, ctx, false)? {
                    ScalarOut::Inline(t) => {
                        self.pad(indent);
                        self.out.push_str("- ");
                        self.out.push_str(&t);
                        self.push_eol(eol.as_deref());
                        self.end_line();
                    }
                    ScalarOut::Block(header, text) => {
                        self.pad(indent);
                        self.out.push_str("- ");
                        self.out.push_str(header);
                        self.push_eol(eol.as_deref());
                        self.end_line();
                        self.block_lines(&text, indent + 2);
                    }
                }
            }
            NodeKind::Seq(items) if items.is_empty() => {
                self.pad(indent);
                self.out.push_str("- []");
                self.end_line();
            }
            NodeKind::Map(entries) if entries.is_empty() => {
                self.pad(indent);
                self.out.push_str("- {}");
                self.end_line();
            }
            NodeKind::Seq(items) => {
                self.pad(indent);
                self.out.push('-');
                self.end_line();
                for i in items {
                    self.emit_item(i, indent + 2, ctx)?;
                }
            }
            NodeKind::Map(entries) => {
                let list = ordered(entries, ctx);
                let first = list[0];
                // The first entry shares the dash line: its comments go above the dash.
                self.leading(first.key.span.start, UnitKind::Entry, indent);
                let dash = format!("{}- ", " ".repeat(indent));
                self.emit_entry(&dash, first, indent + 2, ctx, false)?;
                for e in &list[1..] {
                    self.emit_entry("", e, indent + 2, ctx, true)?;
                }
            }
        }
        self.trailing(at, UnitKind::Item, indent);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
