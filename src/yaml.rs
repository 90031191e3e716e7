//! YAML 1.2 with spans: a small node tree built from `saphyr-parser` events.
//!
//! Differences from a plain YAML loader, all deliberate:
//! - every node (and every mapping key) carries a byte span into the source;
//! - a duplicate key is an error naming both places;
//! - alias expansion is bounded by a node budget, so an alias bomb fails fast;
//! - a file holds exactly one document;
//! - scalars resolve with the YAML 1.2 core schema (`yes`/`no`/`on` are strings,
//!   no sexagesimal numbers, `0o` for octal).

pub mod emit;

use crate::diagnostic::Span;
use crate::source::SourceFile;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use std::collections::HashMap;

/// Upper bound on the nodes one document may expand to through aliases.
pub const MAX_NODES: usize = 100_000;
/// Upper bound on nesting depth.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub value: String,
    /// True for plain (unquoted, non-block) scalars: only those resolve to null/bool/number.
    pub plain: bool,
    /// An explicit tag such as `!!str`, if any.
    pub tag: Option<String>,
}

/// A scalar's value under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        let v = self.value.as_str();
        match self.tag.as_deref() {
            Some("tag:yaml.org,2002:str") | Some("!!str") => return Resolved::Str(v),
            Some(_) => {}
            None if !self.plain => return Resolved::Str(v),
            None => {}
        }
        resolve_plain(v)
    }
}

/// What the plain scalar `v` (no tag) means under the YAML 1.2 core schema.
pub fn resolve_plain(v: &str) -> Resolved<'_> {
    // Null, booleans and numbers start with one of these bytes: anything else (most
    // scalars: words, names, addresses) is a string.
    if !matches!(
        v.as_bytes().first(),
        None | Some(
            b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'.' | b'+' | b'-' | b'0'..=b'9'
        )
    ) {
        return Resolved::Str(v);
    }
    resolve_core(v)
}

/// [`resolve_plain`] without its shortcut.
fn resolve_core(v: &str) -> Resolved<'_> {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let b = v.as_bytes();
    let digits =
        |s: &[u8], radix: u32| !s.is_empty() && s.iter().all(|c| (*c as char).is_digit(radix));
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits(unsigned.as_bytes(), 10) {
        if let Ok(i) = v.parse::<i64>() {
            return Resolved::Int(i);
        }
        return Resolved::Float(v.parse().unwrap_or(f64::NAN));
    }
    if let Some(h) = v.strip_prefix("0x") {
        if digits(h.as_bytes(), 16) {
            if let Ok(i) = i64::from_str_radix(h, 16) {
                return Resolved::Int(i);
            }
        }
    }
    if let Some(o) = v.strip_prefix("0o") {
        if digits(o.as_bytes(), 8) {
            if let Ok(i) = i64::from_str_radix(o, 8) {
                return Resolved::Int(i);
            }
        }
    }
    if is_core_float(b) {
        if let Ok(f) = v.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(v)
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(b: &[u8]) -> bool {
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

impl Node {
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }
    /// The text of a scalar that resolves to a string (or any scalar's text, for keys).
    pub fn as_str(&self) -> Option<&str> {
        match self.as_scalar()?.resolve() {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }
    /// Looks up a key in a mapping; returns the entry.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .find(|e| e.key.as_scalar().is_some_and(|k| k.value == key))
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
            NodeKind::Scalar(s) => match s.resolve() {
                Resolved::Null => "null",
                Resolved::Bool(_) => "a boolean",
                Resolved::Int(_) => "an integer",
                Resolved::Float(_) => "a number",
                Resolved::Str(_) => "a string",
            },
        }
    }

    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(s) => 1 + s.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(m) => {
                1 + m
                    .iter()
                    .map(|e| e.key.count() + e.value.count())
                    .sum::<usize>()
            }
        }
    }

    /// Converts to JSON with core-schema typing (what the JSON Schema sees).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar(s) => match s.resolve() {
                Resolved::Null => Value::Null,
                Resolved::Bool(b) => Value::Bool(b),
                Resolved::Int(i) => Value::from(i),
                Resolved::Float(f) => serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(s.value.clone())),
                Resolved::Str(v) => Value::String(v.to_string()),
            },
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (key_text(&e.key), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Finds the node a JSON pointer (`/indicators/g/sha256/0`) designates, with its key node
    /// when it is a mapping value.
    pub fn pointer(&self, pointer: &str) -> Option<(Option<&Node>, &Node)> {
        let mut cur = self;
        let mut key = None;
        if pointer.is_empty() {
            return Some((None, cur));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = raw.replace("~1", "/").replace("~0", "~");
            match &cur.kind {
                NodeKind::Map(entries) => {
                    let e = entries.iter().find(|e| key_text(&e.key) == token)?;
                    key = Some(&e.key);
                    cur = &e.value;
                }
                NodeKind::Seq(items) => {
                    cur = items.get(token.parse::<usize>().ok()?)?;
                    key = None;
                }
                NodeKind::Scalar(_) => return None,
            }
        }
        Some((key, cur))
    }
}

/// The text of a mapping key as JSON sees it.
pub fn key_text(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(s) => s.value.clone(),
        _ => key.to_json().to_string(),
    }
}

/// Why a file could not be read as YAML: the kind of problem (which `lint` maps to its
/// code), a message, and the place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    pub kind: LoadErrorKind,
    pub message: String,
    pub span: Span,
    /// A second place (the first occurrence of a duplicate key).
    pub other: Option<Span>,
}

/// The kinds of YAML problems, each reported by its own lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadErrorKind {
    /// Not valid YAML: a scan or parse error, an alias to an unknown anchor, nesting deeper
    /// than [`MAX_DEPTH`] (RF001).
    Syntax,
    /// A mapping key appears twice (RF002); `other` is the first occurrence.
    DuplicateKey,
    /// No YAML value at all: empty, only comments, or only empty documents (RF005).
    Empty,
    /// More than [`MAX_NODES`] nodes, directly or through aliases (RF006).
    TooManyNodes,
    /// A tab in indentation, the usual cause of a scan error (RF007).
    TabIndentation,
    /// A second document where one is expected (RF008).
    SecondDocument,
}

impl LoadError {
    pub fn new(kind: LoadErrorKind, message: impl Into<String>, span: Span) -> Self {
        LoadError {
            kind,
            message: message.into(),
            span,
            other: None,
        }
    }
}

/// Parses one YAML document into a spanned tree.
pub fn parse(src: &SourceFile) -> Result<Node, LoadError> {
    let mut docs = parse_stream(src, false)?;
    Ok(docs.nodes.remove(0))
}

/// The documents of a YAML stream (`---`-separated), with the span of each document's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Documents {
    pub nodes: Vec<Node>,
    /// Where each document starts (its `---` marker, or its first node).
    pub starts: Vec<Span>,
}

/// Parses every document of a stream. Documents that hold nothing (a trailing `---`) are
/// dropped; a stream with no document at all is RF005, like an empty file.
pub fn parse_documents(src: &SourceFile) -> Result<Documents, LoadError> {
    parse_stream(src, true)
}

fn parse_stream(src: &SourceFile, multi: bool) -> Result<Documents, LoadError> {
    if src.text.trim().is_empty()
        || src
            .text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(LoadError::new(
            LoadErrorKind::Empty,
            "the file is empty: a rule file holds one YAML mapping",
            Span::empty(0),
        ));
    }
    let mut b = Builder {
        src,
        ascii: src.text.is_ascii(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
        multi,
        docs: Documents {
            nodes: Vec::new(),
            starts: Vec::new(),
        },
    };
    for ev in Parser::new_from_str(&src.text) {
        match ev {
            Ok((ev, span)) => b.on_event(ev, span)?,
            Err(e) => return Err(b.scan_error(&e)),
        }
    }
    b.finish_document();
    if b.docs.nodes.is_empty() {
        return Err(LoadError::new(
            LoadErrorKind::Empty,
            "the file holds no YAML value: a rule file holds one YAML mapping",
            Span::empty(0),
        ));
    }
    Ok(b.docs)
}

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        start: usize,
        entries: Vec<Entry>,
        pending: Option<Node>,
        anchor: usize,
        keys: HashMap<String, Span>,
    },
}

struct Builder<'a> {
    src: &'a SourceFile,
    ascii: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
    /// Accept several documents (Sigma correlation files); otherwise a second one is RF008.
    multi: bool,
    docs: Documents,
}

impl Builder<'_> {
    /// Moves the finished document's root into `docs` (null documents are dropped).
    fn finish_document(&mut self) {
        if let Some(root) = self.root.take() {
            if !matches!(root.as_scalar().map(|s| s.resolve()), Some(Resolved::Null)) {
                self.docs.nodes.push(root);
            } else if self.docs.starts.len() > self.docs.nodes.len() {
                self.docs.starts.pop();
            }
        } else if self.docs.starts.len() > self.docs.nodes.len() {
            self.docs.starts.pop();
        }
        // Anchors are scoped to their document.
        self.anchors.clear();
    }

    fn offset(&self, m: &saphyr_parser::Marker) -> usize {
        if self.ascii {
            m.index().min(self.src.text.len())
        } else {
            self.src.offset_of(m.line(), m.col())
        }
    }

    fn scan_error(&self, e: &ScanError) -> LoadError {
        let at = self.offset(e.marker());
        let line = e.marker().line();
        // Tabs are a frequent cause of scan errors: say so plainly.
        let tab_line = (1..=line.min(self.src.line_count())).rev().find(|&l| {
            let t = self.src.line_text(l);
            let indent: &str = &t[..t.len() - t.trim_start().len()];
            indent.contains('\t')
        });
        if let Some(l) = tab_line {
            let start = self.src.offset_of(l, 0);
            let t = self.src.line_text(l);
            let col = t.find('\t').unwrap_or(0);
            return LoadError::new(
                LoadErrorKind::TabIndentation,
                "tab character in indentation: YAML indents with spaces only",
                Span::new(start + col, start + col + 1),
            );
        }
        LoadError::new(
            LoadErrorKind::Syntax,
            format!("invalid YAML: {}", e.info()),
            Span::new(at, (at + 1).min(self.src.text.len()).max(at)),
        )
    }

    fn on_event(&mut self, ev: Event<'_>, span: saphyr_parser::Span) -> Result<(), LoadError> {
        let start = self.offset(&span.start);
        let end = self.offset(&span.end).max(start);
        match ev {
            Event::DocumentStart(_) => {
                self.finish_document();
                self.documents += 1;
                let marker = Span::new(start, end.max(start + 3).min(self.src.text.len()));
                if self.documents > 1 && !self.multi {
                    return Err(LoadError::new(
                        LoadErrorKind::SecondDocument,
                        "a second YAML document starts here: a rule file holds exactly one document",
                        marker,
                    ));
                }
                self.docs.starts.push(marker);
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let tag = tag.map(|t| {
                    if t == "!!str" {
                        "tag:yaml.org,2002:str".to_string()
                    } else {
                        t
                    }
                });
                // The parser's end mark of a quoted scalar can run past the closing quote
                // (over a trailing comment): end the span at the closing quote.
                let end = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        quoted_end(&self.src.text, start).unwrap_or(end)
                    }
                    _ => end,
                };
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        value: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        tag,
                    }),
                    span: Span::new(start, end),
                };
                self.push(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(start)?;
                self.stack.push(Frame::Seq {
                    start,
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(start)?;
                self.stack.push(Frame::Map {
                    start,
                    entries: Vec::new(),
                    pending: None,
                    anchor,
                    keys: HashMap::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().expect("balanced events");
                let (node, anchor) = match frame {
                    Frame::Seq {
                        start,
                        items,
                        anchor,
                    } => {
                        let end = items.last().map_or(end, |n| n.span.end);
                        (
                            Node {
                                kind: NodeKind::Seq(items),
                                span: Span::new(start, end),
                            },
                            anchor,
                        )
                    }
                    Frame::Map {
                        start,
                        entries,
                        anchor,
                        ..
                    } => {
                        let end = entries.last().map_or(end, |e| e.value.span.end);
                        (
                            Node {
                                kind: NodeKind::Map(entries),
                                span: Span::new(start, end),
                            },
                            anchor,
                        )
                    }
                };
                self.push_built(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(LoadError::new(
                        LoadErrorKind::Syntax,
                        "alias to an unknown anchor",
                        Span::new(start, end),
                    ));
                };
                let size = target.count();
                if self.nodes + size > MAX_NODES {
                    return Err(LoadError::new(
                        LoadErrorKind::TooManyNodes,
                        format!(
                            "aliases expand this document past {MAX_NODES} nodes (alias bomb?): refusing to expand"
                        ),
                        Span::new(start, end),
                    ));
                }
                let mut node = target.clone();
                // Diagnostics on an alias point at the alias, not the anchor.
                relocate(&mut node, Span::new(start, end));
                self.nodes += size - 1;
                self.push(node, 0)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn check_depth(&self, at: usize) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(LoadError::new(
                LoadErrorKind::Syntax,
                format!("nesting deeper than {MAX_DEPTH} levels"),
                Span::empty(at),
            ));
        }
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        self.push_built(node, anchor)
    }

    fn push_built(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(LoadError::new(
                LoadErrorKind::TooManyNodes,
                format!("the document has more than {MAX_NODES} nodes"),
                node.span,
            ));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending,
                keys,
                ..
            }) => match pending.take() {
                None => {
                    // Small mappings (nearly all) are scanned; large ones get an index.
                    let first = if entries.len() < SMALL_MAP {
                        entries
                            .iter()
                            .find(|e| same_key(&e.key, &node))
                            .map(|e| e.key.span)
                    } else {
                        if keys.is_empty() {
                            for e in entries.iter() {
                                keys.insert(key_text(&e.key), e.key.span);
                            }
                        }
                        keys.get(&key_text(&node)).copied()
                    };
                    if let Some(first) = first {
                        let text = key_text(&node);
                        let mut err = LoadError::new(
                            LoadErrorKind::DuplicateKey,
                            format!("duplicate key `{text}`"),
                            node.span,
                        );
                        err.other = Some(first);
                        return Err(err);
                    }
                    if entries.len() >= SMALL_MAP {
                        keys.insert(key_text(&node), node.span);
                    }
                    *pending = Some(node);
                }
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
        Ok(())
    }
}

/// The offset just past the closing quote of the quoted scalar that starts at `start`.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Mappings with fewer entries are checked for duplicate keys by a linear scan.
const SMALL_MAP: usize = 16;

/// Whether two mapping keys are the same key (as JSON sees them).
fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Scalar(x), NodeKind::Scalar(y)) => x.value == y.value,
        _ => key_text(a) == key_text(b),
    }
}

fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| relocate(n, span)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|e| {
            relocate(&mut e.key, span);
            relocate(&mut e.value, span);
        }),
    }
}

#[cfg(test)]
mod tests {
    /// The shortcut for scalars that cannot be null, a boolean or a number resolves them as
    /// the core schema's rules do.
    #[test]
    fn plain_scalars_resolve_as_without_the_shortcut() {
        let tails = [
            "", "1", "12", ".5", "e3", "x1F", "o17", "ull", "rue", "alse", "inf", "nan", "ULL",
            "RUE", "ALSE", "Inf", "NaN", "a", "é", " x", "-1",
        ];
        let mut heads: Vec<String> = (0x20u8..0x7f).map(|b| (b as char).to_string()).collect();
        heads.extend(["é", "0x", "0o", "+.", "-.", "."].map(String::from));
        for h in &heads {
            for t in tails {
                let v = format!("{h}{t}");
                assert_eq!(
                    format!("{:?}", resolve_plain(&v)),
                    format!("{:?}", resolve_core(&v)),
                    "{v:?}"
                );
            }
        }
        assert_eq!(resolve_plain("example.com"), Resolved::Str("example.com"));
        assert_eq!(resolve_plain("null"), Resolved::Null);
    }

    use super::*;

    fn load(text: &str) -> Result<Node, LoadError> {
        parse(&SourceFile::new("t.yml", text))
    }

    #[test]
    fn yaml_1_2_scalars() {
        let n =
            load("a: yes\nb: on\nc: 0777\nd: 1:20\ne: 0o17\nf: 'true'\ng: 2021-03-02\nh: 1.5\n")
                .unwrap();
        let j = n.to_json();
        assert_eq!(j["a"], "yes");
        assert_eq!(j["b"], "on");
        assert_eq!(j["c"], 777);
        assert_eq!(j["d"], "1:20");
        assert_eq!(j["e"], 15);
        assert_eq!(j["f"], "true");
        assert_eq!(j["g"], "2021-03-02");
        assert_eq!(j["h"], 1.5);
    }

    #[test]
    fn spans_are_bytes() {
        let src = SourceFile::new("t.yml", "é: x\nkey: value\n");
        let n = parse(&src).unwrap();
        let v = n.get("key").unwrap();
        assert_eq!(src.slice(v.span), "value");
        let (k, _) = n.pointer("/key").unwrap();
        assert_eq!(src.slice(k.unwrap().span), "key");
    }

    #[test]
    fn duplicate_key_names_both_places() {
        let e = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::DuplicateKey);
        assert_eq!(e.span, Span::new(10, 11));
        assert_eq!(e.other, Some(Span::new(0, 1)));
    }

    #[test]
    fn alias_bomb_is_rejected() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            s.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let t = std::time::Instant::now();
        let e = load(&s).unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::TooManyNodes);
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut s: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        s.push_str("k7: again\n");
        let e = load(&s).unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::DuplicateKey);
        assert_eq!(e.other.map(|o| o.start), Some(s.find("k7:").unwrap()));
        let ok: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(load(&ok).is_ok());
    }

    #[test]
    fn small_aliases_are_fine() {
        let n = load("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(n.to_json()["b"]["k"], "v");
    }

    #[test]
    fn empty_and_multi_document() {
        assert_eq!(load("").unwrap_err().kind, LoadErrorKind::Empty);
        assert_eq!(
            load("# only a comment\n").unwrap_err().kind,
            LoadErrorKind::Empty
        );
        assert_eq!(
            load("a: 1\n---\nb: 2\n").unwrap_err().kind,
            LoadErrorKind::SecondDocument
        );
    }

    #[test]
    fn quoted_spans_end_at_the_quote() {
        let src = SourceFile::new("t.yml", "a: 'x '' y' # c\nb: \"q \\\" r\"   # d\n");
        let n = parse(&src).unwrap();
        assert_eq!(src.slice(n.get("a").unwrap().span), "'x '' y'");
        assert_eq!(src.slice(n.get("b").unwrap().span), "\"q \\\" r\"");
    }

    #[test]
    fn several_documents_when_asked() {
        let src = SourceFile::new("t.yml", "a: &x 1\n---\nb: 2\n---\n");
        let docs = parse_documents(&src).unwrap();
        assert_eq!(docs.nodes.len(), 2);
        assert_eq!(docs.starts.len(), 2);
        assert_eq!(src.slice(docs.starts[1]), "---");
        assert_eq!(docs.nodes[1].to_json()["b"], 2);
        // Anchors do not cross documents.
        let src = SourceFile::new("t.yml", "a: &x 1\n---\nb: *x\n");
        assert_eq!(
            parse_documents(&src).unwrap_err().kind,
            LoadErrorKind::Syntax
        );
        assert_eq!(
            parse_documents(&SourceFile::new("t.yml", "---\n---\n"))
                .unwrap_err()
                .kind,
            LoadErrorKind::Empty
        );
    }

    #[test]
    fn tabs_are_named() {
        let e = load("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::TabIndentation);
    }
}
