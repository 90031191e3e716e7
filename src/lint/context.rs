//! What checks see: one rule file, or the whole rule set.

use crate::diagnostic::Span;
use crate::indicator::IndicatorType;
use crate::kind::RuleKind;
use crate::rule::{Rule, Spanned};
use crate::sigma::{DocType, SigmaRule};
use crate::source::SourceFile;
use crate::yaml::Node;
use serde::{Deserialize, Serialize};
use time::Date;

/// One parsed rule file.
pub struct FileContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a Rule,
    pub today: Date,
}

/// One Sigma document (a file may hold several: see `src/sigma/mod.rs`).
pub struct SigmaContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceFile,
    pub node: &'a Node,
    pub rule: &'a SigmaRule,
    /// The document's index in its file (file-level checks run on document 0 only).
    pub doc_index: usize,
    pub today: Date,
}

impl SigmaContext<'_> {
    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// The facts repository-wide checks need about each rule, kept small so a large rule set
/// fits in memory after the per-file pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleSummary {
    pub kind: RuleKind,
    pub path: String,
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub deprecated: bool,
    pub related: Vec<Spanned<String>>,
    /// Distinct (type, canonical value) pairs with the span of their first occurrence; the
    /// text of every value is in `value_text` (one allocation per rule, not one per value:
    /// a large rule set holds millions of values). Read them with [`RuleSummary::values`].
    values: Vec<SummaryValue>,
    value_text: String,
    /// Sigma only: the document type, its `name`, and the rules it refers to by id or name
    /// (a correlation's `rules`, a filter's `rules`).
    pub sigma: Option<SigmaFacts>,
}

/// One distinct value of a rule summary: its type, where its canonical text lies in the
/// summary's `value_text`, and the span of its first occurrence.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SummaryValue {
    #[serde(with = "type_index")]
    ty: IndicatorType,
    start: u32,
    end: u32,
    span: Span,
}

/// What repository-wide Sigma checks need beyond the common facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigmaFacts {
    pub doc_type: DocType,
    pub name: Option<Spanned<String>>,
    pub refs: Vec<Spanned<String>>,
    /// The span to point at for the document as a whole (its title, else its start).
    pub anchor: Span,
}

impl RuleSummary {
    pub fn from_rule(path: &str, rule: &Rule) -> Self {
        // The distinct (type, canonical value) pairs: each value of a known type that is the
        // first of its kind in the rule.
        let firsts = rule.first_occurrences();
        let distinct = || {
            rule.values()
                .enumerate()
                .filter(|(i, _)| firsts[*i] as usize == *i)
                .filter_map(|(_, (_, t, v))| Some((t.ty?, v)))
        };
        let (n, len) = distinct().fold((0, 0), |(n, len), (_, v)| {
            (n + 1, len + v.canonical().len())
        });
        let mut values = Vec::with_capacity(n);
        let mut value_text = String::with_capacity(len);
        for (ty, v) in distinct() {
            // Offsets are u32: a rule's values would need 4 GiB of text to overflow them, far
            // past any file size limit; stop indexing rather than wrap.
            let start = value_text.len();
            let Ok(end) = u32::try_from(start + v.canonical().len()) else {
                break;
            };
            value_text.push_str(v.canonical());
            values.push(SummaryValue {
                ty,
                start: start as u32,
                end,
                span: v.span,
            });
        }
        RuleSummary {
            kind: RuleKind::Native,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values,
            value_text,
            sigma: None,
        }
    }

    pub fn from_sigma(path: &str, rule: &SigmaRule) -> Self {
        let mut refs = rule.filter_rules.clone();
        if let Some(c) = &rule.correlation {
            refs.extend(c.rules.iter().cloned());
        }
        RuleSummary {
            kind: RuleKind::Sigma,
            path: path.to_string(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            deprecated: rule.is_deprecated(),
            related: rule.related.iter().filter_map(|r| r.id.clone()).collect(),
            values: Vec::new(),
            value_text: String::new(),
            sigma: Some(SigmaFacts {
                doc_type: rule.doc_type,
                name: rule.name.clone(),
                refs,
                anchor: rule.anchor(),
            }),
        }
    }

    /// The distinct (type, canonical value, span of the first occurrence) of a native rule,
    /// in the order they first appear.
    pub fn values(&self) -> impl ExactSizeIterator<Item = (IndicatorType, &str, Span)> + '_ {
        self.values.iter().map(|v| self.value(v))
    }

    /// Appends the summaries of the file at `path` to `out` in the lint cache's layout (see
    /// [`codec`]); `None` (with `out` as it was) for a summary it cannot hold (a span that
    /// ends before it starts).
    pub(crate) fn encode_all(
        summaries: &[RuleSummary],
        path: &str,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        codec::encode_all(summaries, path, out)
    }

    /// Summaries of the file at `path` written by [`RuleSummary::encode_all`], checked while
    /// read: a damaged or foreign entry that passed its checksum (a length past the end, an
    /// unknown flag, type or text form, text that is not UTF-8, a span out of range, bytes
    /// left over) is refused instead of trusted, and never makes a later read panic.
    pub(crate) fn decode_all(bytes: &[u8], path: &str) -> Result<Vec<RuleSummary>, String> {
        codec::decode_all(bytes, path)
    }

    /// The `i`-th of [`RuleSummary::values`].
    pub fn value_at(&self, i: usize) -> (IndicatorType, &str, Span) {
        self.value(&self.values[i])
    }

    fn value(&self, v: &SummaryValue) -> (IndicatorType, &str, Span) {
        (
            v.ty,
            &self.value_text[v.start as usize..v.end as usize],
            v.span,
        )
    }

    /// Whether `other` states the same facts as `self`, wherever they sit in the file: the
    /// repository-wide checks then find the same things in both, at the places
    /// [`RuleSummary::spans`] pairs up. (An edit elsewhere in a file, such as its
    /// description, changes spans only.)
    pub fn same_facts(&self, other: &RuleSummary) -> bool {
        fn same<T: PartialEq>(a: &Option<Spanned<T>>, b: &Option<Spanned<T>>) -> bool {
            a.as_ref().map(|x| &x.value) == b.as_ref().map(|x| &x.value)
        }
        fn same_list<T: PartialEq>(a: &[Spanned<T>], b: &[Spanned<T>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value == y.value)
        }
        self.kind == other.kind
            && self.path == other.path
            && same(&self.id, &other.id)
            && same(&self.title, &other.title)
            && self.deprecated == other.deprecated
            && same_list(&self.related, &other.related)
            && self.value_text == other.value_text
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| a.ty == b.ty && a.start == b.start && a.end == b.end)
            && match (&self.sigma, &other.sigma) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a.doc_type == b.doc_type
                        && same(&a.name, &b.name)
                        && same_list(&a.refs, &b.refs)
                }
                _ => false,
            }
    }

    /// Every span the summary holds, in a fixed order (two summaries with the same facts
    /// pair up span by span).
    pub fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        out.extend(self.id.as_ref().map(|s| s.span));
        out.extend(self.title.as_ref().map(|s| s.span));
        out.extend(self.related.iter().map(|s| s.span));
        out.extend(self.values.iter().map(|v| v.span));
        if let Some(f) = &self.sigma {
            out.extend(f.name.as_ref().map(|s| s.span));
            out.extend(f.refs.iter().map(|s| s.span));
            out.push(f.anchor);
        }
        out
    }

    /// `path (title)` for messages.
    pub fn label(&self) -> String {
        match &self.title {
            Some(t) => format!("{} ({})", self.path, t.value),
            None => self.path.clone(),
        }
    }
}

/// The whole rule set.
pub struct RepoContext<'a> {
    /// Native indicator rules.
    pub rules: &'a [RuleSummary],
    /// Sigma documents (one summary per document).
    pub sigma: &'a [RuleSummary],
}

/// An indicator type as its index in [`IndicatorType::ALL`] (what the lint cache stores).
mod type_index {
    use crate::indicator::IndicatorType;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(ty: &IndicatorType, s: S) -> Result<S::Ok, S::Error> {
        let i = IndicatorType::ALL.iter().position(|t| t == ty);
        (i.unwrap_or(usize::MAX) as u8).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndicatorType, D::Error> {
        let i = u8::deserialize(d)?;
        IndicatorType::ALL
            .get(usize::from(i))
            .copied()
            .ok_or_else(|| serde::de::Error::custom(format!("no indicator type {i}")))
    }
}

/// How the lint cache stores a file's [`RuleSummary`]s: fewer bytes than a generic encoding
/// (a cold run writes every rule's summary, so its cost is the cache's overhead on a run
/// without one), read back exactly.
///
/// - A varint count of summaries, then each summary: a flag byte (Sigma, deprecated, has an
///   id, a title, Sigma facts, a path of its own: the path is the file's, stored once in its
///   entry), then its id, title, related ids, values and Sigma facts.
/// - A text is a varint header `len << 2 | form` and its bytes: form 0 the UTF-8 text as is;
///   form 1 lowercase hexadecimal digits (an even number of them) packed two to a byte, `len`
///   bytes; form 2 a lowercase hyphenated UUID in 16 bytes. Only text that reads back the
///   same byte for byte takes forms 1 and 2 (an uppercase digest stays as it is).
/// - A span is the zigzag varint of its start minus the previous span's start (in the file),
///   then its length.
/// - A value is its type's index in [`IndicatorType::ALL`], its canonical text (appended to
///   the summary's `value_text`: its place there is implied) and its span.
mod codec {
    use super::{RuleSummary, SigmaFacts, SummaryValue};
    use crate::diagnostic::Span;
    use crate::indicator::IndicatorType;
    use crate::kind::RuleKind;
    use crate::rule::Spanned;
    use crate::sigma::DocType;

    const SIGMA: u8 = 1;
    const DEPRECATED: u8 = 2;
    const ID: u8 = 4;
    const TITLE: u8 = 8;
    const FACTS: u8 = 16;
    const OWN_PATH: u8 = 32;
    const DOC_TYPES: [DocType; 3] = [DocType::Rule, DocType::Correlation, DocType::Filter];

    /// Writes into `out` past its length: `room` makes the vector long enough for the next
    /// write (zero-filled, doubling what this writer has added, so appending to a long
    /// buffer costs what is written, not the buffer's length), the writes are plain stores
    /// at `pos`, and [`encode_all`] cuts the vector back to `pos` at the end. (A push per
    /// byte or a `reserve` per text cost more than the encoding itself.)
    struct Writer<'o> {
        out: &'o mut Vec<u8>,
        /// Where this writer started (the buffer's length before it).
        start: usize,
        /// Where the next byte goes.
        pos: usize,
        /// The previous span's start.
        at: usize,
    }

    impl Writer<'_> {
        /// The next `n` bytes (at least) of the buffer, from `pos`.
        #[inline]
        fn room(&mut self, n: usize) -> &mut [u8] {
            let need = self.pos + n;
            if self.out.len() < need {
                let added = self.out.len() - self.start;
                let len = need.max(self.start + (2 * added).max(256));
                self.out.resize(len, 0);
            }
            &mut self.out[self.pos..]
        }

        #[inline]
        fn byte(&mut self, b: u8) {
            self.room(1)[0] = b;
            self.pos += 1;
        }

        #[inline]
        fn varint(&mut self, v: u64) {
            let n = put_varint(self.room(10), v);
            self.pos += n;
        }

        fn span(&mut self, s: Span) -> Option<()> {
            let len = s.end.checked_sub(s.start)?;
            let d = (s.start as i64).wrapping_sub(self.at as i64);
            let buf = self.room(20);
            let n = put_varint(buf, ((d << 1) ^ (d >> 63)) as u64);
            let n = n + put_varint(&mut buf[n..], len as u64);
            self.pos += n;
            self.at = s.start;
            Some(())
        }

        /// A text in the first form that holds it (see [`codec`]): the digits of a UUID or
        /// of an even number of lowercase hexadecimal digits are packed while they are
        /// checked, in one pass; the text is written as it is when a byte is not a digit.
        fn text(&mut self, b: &[u8]) {
            let n = b.len();
            if n == 36 && b[8] == b'-' && b[13] == b'-' && b[18] == b'-' && b[23] == b'-' {
                let dst = self.room(17);
                dst[0] = 2;
                let ok = pack_hex(&b[..8], &mut dst[1..5])
                    & pack_hex(&b[9..13], &mut dst[5..7])
                    & pack_hex(&b[14..18], &mut dst[7..9])
                    & pack_hex(&b[19..23], &mut dst[9..11])
                    & pack_hex(&b[24..], &mut dst[11..17]);
                if ok {
                    self.pos += 17;
                    return;
                }
            } else if n % 2 == 0 && n > 0 && HEX[usize::from(b[0])] < 16 {
                let header = (((n / 2) as u64) << 2) | 1;
                let dst = self.room(10 + n / 2);
                let h = put_varint(dst, header);
                if pack_hex(b, &mut dst[h..h + n / 2]) {
                    self.pos += h + n / 2;
                    return;
                }
            }
            let dst = self.room(10 + n);
            let h = put_varint(dst, (n as u64) << 2);
            copy_short(&mut dst[h..h + n], b);
            self.pos += h + n;
        }

        fn spanned(&mut self, s: &Spanned<String>) -> Option<()> {
            self.text(s.value.as_bytes());
            self.span(s.span)
        }

        fn list(&mut self, l: &[Spanned<String>]) -> Option<()> {
            self.varint(l.len() as u64);
            l.iter().try_for_each(|s| self.spanned(s))
        }
    }

    /// Writes `v` as a varint at the start of `buf` (at least 10 bytes long); its length.
    #[inline]
    fn put_varint(buf: &mut [u8], mut v: u64) -> usize {
        let buf = &mut buf[..10];
        let mut n = 0;
        while v >= 0x80 && n < 9 {
            buf[n] = v as u8 | 0x80;
            v >>= 7;
            n += 1;
        }
        buf[n] = v as u8;
        n + 1
    }

    /// Copies `src` into `dst` (of the same length): short texts (most values) with a few
    /// fixed-size moves instead of a call to `memcpy`.
    #[inline]
    fn copy_short(dst: &mut [u8], src: &[u8]) {
        let n = src.len();
        match n {
            0 => {}
            1 => dst[0] = src[0],
            2..=3 => {
                dst[..2].copy_from_slice(&src[..2]);
                dst[n - 2..n].copy_from_slice(&src[n - 2..n]);
            }
            4..=7 => {
                dst[..4].copy_from_slice(&src[..4]);
                dst[n - 4..n].copy_from_slice(&src[n - 4..n]);
            }
            8..=32 => {
                let mut i = 0;
                while i + 8 < n {
                    dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
                    i += 8;
                }
                dst[n - 8..n].copy_from_slice(&src[n - 8..n]);
            }
            _ => dst.copy_from_slice(src),
        }
    }

    /// The value of each lowercase hexadecimal digit; 255 for any other byte.
    const HEX: [u8; 256] = {
        let mut t = [255u8; 256];
        let mut i = 0;
        while i < 16 {
            t[b"0123456789abcdef"[i] as usize] = i as u8;
            i += 1;
        }
        t
    };

    /// Lowercase hex `digits` (twice as many as `out` holds) packed two to a byte into `out`;
    /// `false` (with `out` written over) when one is not such a digit.
    #[inline]
    fn pack_hex(digits: &[u8], out: &mut [u8]) -> bool {
        let mut bad = 0u8;
        for (o, p) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let (hi, lo) = (HEX[usize::from(p[0])], HEX[usize::from(p[1])]);
            bad |= hi | lo;
            *o = (hi << 4) | (lo & 15);
        }
        bad < 16
    }

    /// The index of `ty` in [`IndicatorType::ALL`] (the enum's order: checked).
    #[inline]
    pub(super) fn type_index(ty: IndicatorType) -> Option<u8> {
        let i = ty as usize;
        if IndicatorType::ALL.get(i) == Some(&ty) {
            return u8::try_from(i).ok();
        }
        let i = IndicatorType::ALL.iter().position(|t| *t == ty)?;
        u8::try_from(i).ok()
    }

    fn unpack_hex(bytes: &[u8], out: &mut String) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for &b in bytes {
            out.push(DIGITS[usize::from(b >> 4)] as char);
            out.push(DIGITS[usize::from(b & 15)] as char);
        }
    }

    pub(super) fn encode_all(
        summaries: &[RuleSummary],
        path: &str,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let pos = out.len();
        let mut w = Writer {
            out,
            start: pos,
            pos,
            at: 0,
        };
        let r = encode_into(&mut w, summaries, path);
        let end = w.pos;
        out.truncate(if r.is_some() { end } else { pos });
        r
    }

    fn encode_into(w: &mut Writer<'_>, summaries: &[RuleSummary], path: &str) -> Option<()> {
        w.varint(summaries.len() as u64);
        for r in summaries {
            let own_path = r.path != path;
            let flags = [
                (r.kind == RuleKind::Sigma, SIGMA),
                (r.deprecated, DEPRECATED),
                (r.id.is_some(), ID),
                (r.title.is_some(), TITLE),
                (r.sigma.is_some(), FACTS),
                (own_path, OWN_PATH),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |f, (_, bit)| f | bit);
            w.byte(flags);
            if own_path {
                w.text(r.path.as_bytes());
            }
            if let Some(id) = &r.id {
                w.spanned(id)?;
            }
            if let Some(title) = &r.title {
                w.spanned(title)?;
            }
            w.list(&r.related)?;
            w.varint(r.values.len() as u64);
            let text = r.value_text.as_bytes();
            for v in &r.values {
                w.byte(type_index(v.ty)?);
                w.text(text.get(v.start as usize..v.end as usize)?);
                w.span(v.span)?;
            }
            if let Some(f) = &r.sigma {
                let i = DOC_TYPES.iter().position(|t| *t == f.doc_type)?;
                w.byte(i as u8);
                match &f.name {
                    Some(name) => {
                        w.byte(1);
                        w.spanned(name)?;
                    }
                    None => w.byte(0),
                }
                w.list(&f.refs)?;
                w.span(f.anchor)?;
            }
        }
        Some(())
    }

    struct Reader<'b> {
        bytes: &'b [u8],
        pos: usize,
        /// The previous span's start.
        at: usize,
    }

    type Result<T> = std::result::Result<T, String>;

    impl<'b> Reader<'b> {
        fn take(&mut self, n: usize) -> Result<&'b [u8]> {
            let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
            let end = end.ok_or_else(|| format!("{n} bytes past the end at byte {}", self.pos))?;
            let b = &self.bytes[self.pos..end];
            self.pos = end;
            Ok(b)
        }

        fn byte(&mut self) -> Result<u8> {
            Ok(self.take(1)?[0])
        }

        fn varint(&mut self) -> Result<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = self.byte()?;
                if shift == 63 && b > 1 {
                    break;
                }
                v |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    return Ok(v);
                }
            }
            Err(format!("a number too large at byte {}", self.pos))
        }

        /// A length or count that the remaining bytes could hold (at least `each` bytes per
        /// element).
        fn count(&mut self, each: usize) -> Result<usize> {
            let n = self.varint()?;
            let left = (self.bytes.len() - self.pos) as u64;
            if n.saturating_mul(each as u64) > left {
                return Err(format!("{n} items past the end at byte {}", self.pos));
            }
            Ok(n as usize)
        }

        fn span(&mut self) -> Result<Span> {
            let z = self.varint()?;
            let d = (z >> 1) as i64 ^ -((z & 1) as i64);
            let start = (self.at as i64)
                .checked_add(d)
                .and_then(|s| usize::try_from(s).ok());
            let len = usize::try_from(self.varint()?).ok();
            let (Some(start), Some(len)) = (start, len) else {
                return Err(format!("a span out of range at byte {}", self.pos));
            };
            let end = start
                .checked_add(len)
                .ok_or_else(|| format!("a span out of range at byte {}", self.pos))?;
            self.at = start;
            Ok(Span { start, end })
        }

        fn text_into(&mut self, out: &mut String) -> Result<()> {
            let header = self.varint()?;
            let len = usize::try_from(header >> 2).map_err(|e| e.to_string())?;
            match header & 3 {
                0 => {
                    let b = self.take(len)?;
                    let t = std::str::from_utf8(b)
                        .map_err(|e| format!("text at byte {}: {e}", self.pos - len))?;
                    out.push_str(t);
                }
                1 => unpack_hex(self.take(len)?, out),
                2 if len == 0 => {
                    let b = self.take(16)?;
                    for (i, part) in [&b[..4], &b[4..6], &b[6..8], &b[8..10], &b[10..]]
                        .into_iter()
                        .enumerate()
                    {
                        if i > 0 {
                            out.push('-');
                        }
                        unpack_hex(part, out);
                    }
                }
                _ => return Err(format!("an unknown text form at byte {}", self.pos)),
            }
            Ok(())
        }

        fn text(&mut self) -> Result<String> {
            let mut s = String::new();
            self.text_into(&mut s)?;
            Ok(s)
        }

        fn spanned(&mut self) -> Result<Spanned<String>> {
            let value = self.text()?;
            Ok(Spanned {
                value,
                span: self.span()?,
            })
        }

        fn list(&mut self) -> Result<Vec<Spanned<String>>> {
            let n = self.count(3)?;
            (0..n).map(|_| self.spanned()).collect()
        }
    }

    pub(super) fn decode_all(bytes: &[u8], path: &str) -> Result<Vec<RuleSummary>> {
        let mut r = Reader {
            bytes,
            pos: 0,
            at: 0,
        };
        let n = r.count(3)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let flags = r.byte()?;
            if flags & !(SIGMA | DEPRECATED | ID | TITLE | FACTS | OWN_PATH) != 0 {
                return Err(format!("unknown flags {flags:#x} at byte {}", r.pos));
            }
            let path = if flags & OWN_PATH != 0 {
                r.text()?
            } else {
                path.to_string()
            };
            let id = (flags & ID != 0).then(|| r.spanned()).transpose()?;
            let title = (flags & TITLE != 0).then(|| r.spanned()).transpose()?;
            let related = r.list()?;
            let n_values = r.count(4)?;
            let mut values = Vec::with_capacity(n_values);
            let mut value_text = String::new();
            for _ in 0..n_values {
                let i = r.byte()?;
                let ty = *IndicatorType::ALL
                    .get(usize::from(i))
                    .ok_or_else(|| format!("no indicator type {i} at byte {}", r.pos))?;
                let start = value_text.len();
                r.text_into(&mut value_text)?;
                let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(value_text.len()))
                else {
                    return Err("values past 4 GiB of text".into());
                };
                values.push(SummaryValue {
                    ty,
                    start,
                    end,
                    span: r.span()?,
                });
            }
            let sigma = if flags & FACTS != 0 {
                let i = r.byte()?;
                let doc_type = *DOC_TYPES
                    .get(usize::from(i))
                    .ok_or_else(|| format!("no document type {i} at byte {}", r.pos))?;
                let name = match r.byte()? {
                    0 => None,
                    1 => Some(r.spanned()?),
                    b => return Err(format!("a bad name flag {b} at byte {}", r.pos)),
                };
                Some(SigmaFacts {
                    doc_type,
                    name,
                    refs: r.list()?,
                    anchor: r.span()?,
                })
            } else {
                None
            };
            out.push(RuleSummary {
                kind: if flags & SIGMA != 0 {
                    RuleKind::Sigma
                } else {
                    RuleKind::Native
                },
                path,
                id,
                title,
                deprecated: flags & DEPRECATED != 0,
                related,
                values,
                value_text,
                sigma,
            });
        }
        if r.pos != bytes.len() {
            return Err(format!("{} bytes left over", bytes.len() - r.pos));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanned(value: &str, start: usize) -> Option<Spanned<String>> {
        Some(Spanned {
            value: value.into(),
            span: Span {
                start,
                end: start + value.len(),
            },
        })
    }

    /// A native rule with values of every text form, and a Sigma document.
    fn summaries() -> Vec<RuleSummary> {
        let values = [
            (
                IndicatorType::Sha1,
                "9f1294b049a3505668c187691977fcb88bf14eb3",
                300,
            ),
            (IndicatorType::Md5, "D41D8CD98F00B204E9800998ECF8427E", 360), // uppercase: as is
            (IndicatorType::Domain, "café.example", 200),                  // before the previous
            (IndicatorType::Domain, "", 400),
            (IndicatorType::Domain, "abc", 410), // odd number of digits
        ];
        let mut value_text = String::new();
        let values = values
            .iter()
            .map(|&(ty, text, start)| {
                let v = SummaryValue {
                    ty,
                    start: value_text.len() as u32,
                    end: (value_text.len() + text.len()) as u32,
                    span: Span {
                        start,
                        end: start + text.len(),
                    },
                };
                value_text.push_str(text);
                v
            })
            .collect();
        vec![
            RuleSummary {
                kind: RuleKind::Native,
                path: "rules/a.yml".into(),
                id: spanned("a0db0322-a140-4f73-a045-4fb04fd5cc43", 4),
                title: spanned("Généré", 50),
                deprecated: true,
                related: vec![
                    spanned("A0DB0322-A140-4F73-A045-4FB04FD5CC43", 90).unwrap(),
                    spanned("other", 10).unwrap(),
                ],
                values,
                value_text,
                sigma: None,
            },
            RuleSummary {
                kind: RuleKind::Sigma,
                path: "rules/elsewhere.yml".into(),
                id: None,
                title: spanned("t", 1_000_000),
                deprecated: false,
                related: Vec::new(),
                values: Vec::new(),
                value_text: String::new(),
                sigma: Some(SigmaFacts {
                    doc_type: crate::sigma::DocType::Correlation,
                    name: spanned("deadbeef", 20),
                    refs: vec![spanned("x", 30).unwrap()],
                    anchor: Span { start: 7, end: 7 },
                }),
            },
        ]
    }

    fn encode(summaries: &[RuleSummary]) -> Vec<u8> {
        let mut out = Vec::new();
        RuleSummary::encode_all(summaries, "rules/a.yml", &mut out).unwrap();
        out
    }

    #[test]
    fn summaries_read_back_exactly() {
        let before = summaries();
        let bytes = encode(&before);
        let after = RuleSummary::decode_all(&bytes, "rules/a.yml").unwrap();
        assert_eq!(format!("{before:?}"), format!("{after:?}"));
        for (a, b) in before.iter().zip(&after) {
            assert!(a.same_facts(b) && a.spans() == b.spans());
            assert!(a.values().eq(b.values()));
        }
        // A lowercase digest and UUID are stored as bytes; an uppercase digest as it is.
        let holds = |b: &[u8]| bytes.windows(b.len()).any(|w| w == b);
        assert!(holds(&[0x9f, 0x12, 0x94, 0xb0, 0x49]) && !holds(b"9f1294b0"));
        assert!(holds(&[0xa0, 0xdb, 0x03, 0x22, 0xa1, 0x40]) && !holds(b"a0db0322"));
        assert!(holds(b"D41D8CD98F00B204E9800998ECF8427E"));
        assert!(holds(b"A0DB0322-A140-4F73-A045-4FB04FD5CC43"));
        assert!(RuleSummary::decode_all(&encode(&[]), "x")
            .unwrap()
            .is_empty());
    }

    /// Appending to a long buffer grows it by what is written, not by the buffer's length:
    /// with room to spare, the buffer is never moved (the writer used to double the whole
    /// vector's length, zero-filling as many bytes as it already held, on every call).
    #[test]
    fn appending_to_a_long_buffer_costs_what_is_written() {
        let before = summaries();
        let alone = encode(&before);
        let held = 1 << 20;
        let mut out = Vec::with_capacity(held + 64 * 1024);
        out.resize(held, 7u8);
        let (at, capacity) = (out.as_ptr(), out.capacity());
        for _ in 0..8 {
            RuleSummary::encode_all(&before, "rules/a.yml", &mut out).unwrap();
        }
        assert_eq!(out.as_ptr(), at, "the buffer was moved");
        assert_eq!(out.capacity(), capacity);
        assert_eq!(out.len(), held + 8 * alone.len());
        assert!(out[..held].iter().all(|&b| b == 7));
        for piece in out[held..].chunks(alone.len()) {
            assert_eq!(piece, alone.as_slice());
        }
    }

    /// Texts of every length and form the encoder tells apart (digits that pack and that do
    /// not, UUIDs and near-UUIDs, multi-byte characters, long texts), spans near and far,
    /// written after other bytes in the buffer: each reads back exactly, the bytes before
    /// are kept, and a summary that cannot be written leaves the buffer as it was.
    #[test]
    fn random_summaries_read_back_exactly() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        const PIECES: [&str; 8] = ["0", "9", "a", "f", "F", "-", "é", "x"];
        for round in 0..300 {
            let text = |next: &mut dyn FnMut(usize) -> usize| -> String {
                match next(4) {
                    0 => {
                        let u = "a0db0322-a140-4f73-a045-4fb04fd5cc43";
                        let at = next(u.len());
                        let mut b = u.as_bytes().to_vec();
                        if next(2) == 0 {
                            b[at] = if b[at] == b'-' { b'0' } else { b'g' };
                        }
                        String::from_utf8(b).unwrap()
                    }
                    1 => (0..next(80))
                        .map(|_| "0123456789abcdef".chars().nth(next(16)).unwrap())
                        .collect(),
                    _ => (0..next(70)).map(|_| PIECES[next(PIECES.len())]).collect(),
                }
            };
            let mut at = next(1 << 20);
            let mut spanned = |next: &mut dyn FnMut(usize) -> usize, t: String| {
                at = if next(3) == 0 {
                    next(1 << 40)
                } else {
                    at + next(300)
                };
                Spanned {
                    span: Span {
                        start: at,
                        end: at + next(1 << 12),
                    },
                    value: t,
                }
            };
            let mut summaries = Vec::new();
            for _ in 0..next(4) {
                let mut value_text = String::new();
                let mut values = Vec::new();
                for _ in 0..next(12) {
                    let t = text(&mut next);
                    let sp = spanned(&mut next, String::new()).span;
                    values.push(SummaryValue {
                        ty: IndicatorType::ALL[next(IndicatorType::ALL.len())],
                        start: value_text.len() as u32,
                        end: (value_text.len() + t.len()) as u32,
                        span: sp,
                    });
                    value_text.push_str(&t);
                }
                let (id, title) = (text(&mut next), text(&mut next));
                let related = (0..next(3))
                    .map(|_| {
                        let t = text(&mut next);
                        spanned(&mut next, t)
                    })
                    .collect();
                summaries.push(RuleSummary {
                    kind: RuleKind::Native,
                    path: if next(5) == 0 {
                        text(&mut next)
                    } else {
                        "rules/a.yml".into()
                    },
                    id: (next(4) > 0).then(|| spanned(&mut next, id)),
                    title: (next(4) > 0).then(|| spanned(&mut next, title)),
                    deprecated: next(2) == 0,
                    related,
                    values,
                    value_text,
                    sigma: None,
                });
            }
            let mut out = vec![7u8; next(5)];
            let before = out.clone();
            RuleSummary::encode_all(&summaries, "rules/a.yml", &mut out).unwrap();
            assert_eq!(out[..before.len()], before[..], "round {round}");
            let back = RuleSummary::decode_all(&out[before.len()..], "rules/a.yml").unwrap();
            assert_eq!(
                format!("{summaries:?}"),
                format!("{back:?}"),
                "round {round}"
            );
            if let Some(r) = summaries.first_mut() {
                r.related.push(Spanned {
                    value: "x".into(),
                    span: Span { start: 5, end: 4 },
                });
                let mut again = before.clone();
                assert!(RuleSummary::encode_all(&summaries, "rules/a.yml", &mut again).is_none());
                assert_eq!(again, before, "round {round}: left as it was");
            }
        }
    }

    /// The encoder's index of each indicator type is its place in [`IndicatorType::ALL`].
    #[test]
    fn types_are_stored_by_their_place_in_the_list() {
        for (i, ty) in IndicatorType::ALL.iter().enumerate() {
            assert_eq!(codec::type_index(*ty), Some(i as u8), "{ty:?}");
        }
    }

    #[test]
    fn a_span_that_ends_before_it_starts_is_not_encoded() {
        let mut s = summaries();
        s[0].title.as_mut().unwrap().span = Span { start: 5, end: 4 };
        assert!(RuleSummary::encode_all(&s, "rules/a.yml", &mut Vec::new()).is_none());
    }

    #[test]
    fn damaged_summaries_are_refused() {
        let good = encode(&summaries());
        // Cut short anywhere.
        for n in 0..good.len() {
            assert!(
                RuleSummary::decode_all(&good[..n], "rules/a.yml").is_err(),
                "cut at {n}"
            );
        }
        // Any single byte changed: refused or read as other summaries, never a panic.
        for i in 0..good.len() {
            for b in [0, 1, 2, 3, 0x7f, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = RuleSummary::decode_all(&bad, "rules/a.yml");
            }
        }
        let refused = |bytes: &[u8], what: &str| {
            let err = RuleSummary::decode_all(bytes, "rules/a.yml").unwrap_err();
            assert!(err.contains(what), "{bytes:?}: {err}");
        };
        let mut extra = good.clone();
        extra.push(0);
        refused(&extra, "left over");
        // One summary: flags, then the related and values counts.
        refused(&[1, 0x80, 0, 0], "unknown flags");
        refused(&[1, 0, 0, 1, 200, 0, 0, 0], "no indicator type 200");
        refused(&[1, 0, 0, 1, 0, 3, 0, 0], "unknown text form");
        refused(&[1, 0, 0, 1, 0, 1 << 2, 0xff, 0, 0], "text at byte");
        refused(&[1, 0, 0, 1, 0, 0, 1, 0], "a span out of range"); // starts at -1
        refused(
            &[
                1, 0, 0, 1, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1,
            ],
            "a span out of range",
        );
        refused(
            &[1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f],
            "items past the end",
        );
        refused(
            &[
                1, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            "too large",
        );
        refused(&[1, FACTS_FLAG, 0, 0, 9], "no document type 9");
        refused(&[1, FACTS_FLAG, 0, 0, 0, 2], "a bad name flag");
    }

    const FACTS_FLAG: u8 = 16;
}
