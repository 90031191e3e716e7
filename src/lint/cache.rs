//! The lint cache: what the per-file part of a lint run found in each file, kept between runs
//! so that a file that has not changed is neither read nor parsed again, while the
//! repository-wide checks still run over every rule.
//!
//! One pack file holds the entries of one repository root under one set of settings (as in
//! ruff, whose cache is one file per package root and settings): the pack's key is the
//! ruleforge version, the lint-rule set, the root and [`Options::settings_key`], so a
//! change to any of them starts a new, empty pack. Each entry is keyed by the file's path and
//! the hash (XXH3-128) of its text, and holds what the file contributes to a lint run: its
//! findings after the selection, per-path ignores and inline suppressions; its inline
//! suppressions (they also silence repository-wide findings); its text when a renderer will
//! need it (the file has findings or suppressions); and the summaries the repository-wide
//! checks read ([`RuleSummary`]).
//!
//! A file whose size, modification and change times and inode are those recorded is taken
//! as unchanged without being read (as git's index does); any other file is read and its hash
//! compared, so a file touched but not changed is not parsed either. Times recorded within
//! [`RACY`] of the run that wrote them are not trusted (a later write in the same clock tick
//! would leave them unchanged): such files are read and hashed again next time.
//!
//! The pack is written to a temporary file beside it and renamed over it, so a reader sees
//! a whole pack or none, and concurrent runs never wait for each other (the last to finish
//! wins). A pack that is corrupt (bad magic, checksum, or entry), written for another key or
//! holding an unknown lint code is ignored, never trusted, with a debug note on stderr when
//! `RULEFORGE_DEBUG` is set.

use super::context::RuleSummary;
use super::repo_index::KeyTables;
use super::{process_source, Checked, Options, Outcome};
use crate::diagnostic::{Diagnostic, Fix, Related, Severity, Span};
use crate::kind::RuleKind;
use crate::load::{self, Input, IoError, Origin};
use crate::source::SourceFile;
use crate::suppress::Suppressions;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

/// The cache folder at the repository root when neither `--cache-dir` nor
/// `RULEFORGE_CACHE_DIR` names another.
pub const DIR_NAME: &str = ".ruleforge_cache";

/// The cache directory tag (<https://bford.info/cachedir/>): backup tools skip the folder.
pub const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by ruleforge.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// The first bytes of a pack; the digit is the layout's version.
const MAGIC: &[u8; 8] = b"RFLINTC5";

/// Entries per independently decodable chunk of a pack (decoded in parallel).
const CHUNK: usize = 2048;

/// Inputs per stretch matched to the pack's entries on one core.
const MATCH_CHUNK: usize = 4096;

/// How far before the start of the run that records it a file's modification and change
/// times must lie for the next run to trust them.
pub const RACY: Duration = Duration::from_secs(2);

/// The version the cache is keyed on: this build's, or `RULEFORGE_CACHE_VERSION` when set
/// (tests use it to stand for an upgrade).
fn version() -> String {
    std::env::var("RULEFORGE_CACHE_VERSION")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string())
}

/// Prints `ruleforge: debug: cache: MSG` on stderr when `RULEFORGE_DEBUG` is set.
fn note(msg: impl std::fmt::Display) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("RULEFORGE_DEBUG").is_some_and(|v| !v.is_empty())) {
        eprintln!("ruleforge: debug: cache: {msg}");
    }
}

/// What identifies a file's state without reading it. Times are nanoseconds since the
/// epoch, saturated past the years 1677 and 2262 (a change time is the time of the change,
/// so a file changed today is never taken for unchanged). Stored as postcard varints, the
/// bytes of an `i64` are those of the same value as an `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
}

/// Nanoseconds since the epoch of a time in seconds and nanoseconds (saturated).
#[cfg(unix)]
fn ns(secs: i64, nsec: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nsec)
}

impl Stat {
    fn of(meta: &std::fs::Metadata) -> Stat {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stat {
                size: meta.size(),
                mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
                ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            };
            Stat {
                size: meta.len(),
                mtime_ns: ns(meta.modified()),
                ctime_ns: ns(meta.created()),
                ino: 0,
            }
        }
    }

    /// Whether both times lie before `limit` (nanoseconds since the epoch).
    fn settled(&self, limit: i64) -> bool {
        self.mtime_ns < limit && self.ctime_ns < limit
    }
}

/// A finding as stored (its code as text, checked against the registry when read).
#[derive(Serialize, Deserialize)]
struct StoredDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    span: Option<Span>,
    fix: Option<Fix>,
    related: Vec<Related>,
}

impl StoredDiagnostic<'_> {
    fn to_diagnostic(&self) -> Option<Diagnostic> {
        static CODES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
        let codes = CODES.get_or_init(|| {
            super::registry::all_rules()
                .map(|r| (r.code, r.code))
                .collect()
        });
        Some(Diagnostic {
            code: codes.get(self.code).copied()?,
            severity: self.severity,
            message: self.message.to_string(),
            path: self.path.to_string(),
            span: self.span,
            fix: self.fix.clone(),
            related: self.related.clone(),
        })
    }
}

/// A [`StoredDiagnostic`] written from a [`Diagnostic`] without copying it (the same
/// encoding).
#[derive(Serialize)]
struct DiagnosticRef<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    span: Option<Span>,
    fix: &'a Option<Fix>,
    related: &'a [Related],
}

impl<'a> DiagnosticRef<'a> {
    fn of(d: &'a Diagnostic) -> Self {
        DiagnosticRef {
            code: d.code,
            severity: d.severity,
            message: &d.message,
            path: &d.path,
            span: d.span,
            fix: &d.fix,
            related: &d.related,
        }
    }
}

/// One file's entry, read in place from the pack.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    path: &'a str,
    /// XXH3-128 of the file's text.
    hash: u128,
    /// The file's state when it was read; `None` when too recent to trust.
    stat: Option<Stat>,
    /// Whether the per-file checks ran (not for a file outside `--changed-since`).
    checked: bool,
    /// Whether `--fix` would change the file.
    fixable: bool,
    #[serde(borrow)]
    diagnostics: Vec<StoredDiagnostic<'a>>,
    suppressions: Suppressions,
    /// The text, when the file has findings or suppressions.
    #[serde(borrow)]
    text: Option<&'a str>,
    /// The length and XXH3-64 of the file's [`RuleSummary`]s, encoded, in the pack's
    /// summaries region (entry after entry, in the entries' order): read and decoded only
    /// when the repository-wide checks need them (a warm run whose files did not change
    /// reads none of that region).
    summaries_len: u64,
    summaries_sum: u64,
    /// How many marks ([`KeyTables::mark`], 4 bytes each, each once) of the keys the file's
    /// rules hold it has in the pack's marks region (in the entries' order): which files an
    /// update of the repository-wide findings must read.
    marks: u64,
}

impl Entry<'_> {
    /// The file's per-file part of a run, as `process` would have found it (without its
    /// summaries: see [`Stored::summaries`]), `Some(None)` when it has neither findings nor
    /// suppressions (nothing to report); `None` when the entry does not hold what is needed
    /// (a foreign or damaged entry).
    fn checked(&self, per_file: bool) -> Option<Option<Checked<()>>> {
        if (self.diagnostics.is_empty() || !per_file) && self.suppressions.is_empty() {
            return Some(None);
        }
        let diagnostics = if per_file {
            self.diagnostics
                .iter()
                .map(StoredDiagnostic::to_diagnostic)
                .collect::<Option<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let keep = !diagnostics.is_empty() || !self.suppressions.is_empty();
        let source = if keep {
            Some(Arc::new(SourceFile::new(self.path, self.text?)))
        } else {
            None
        };
        Some(Some(Checked {
            path: self.path.to_string(),
            extra: Some(()),
            diagnostics,
            source,
            summaries: Vec::new(),
            suppressions: self.suppressions.clone(),
            fixed: 0,
            fixable: self.fixable,
        }))
    }
}

/// An [`Entry`] written from a file's part of a run without copying it (the same encoding).
#[derive(Serialize)]
struct EntryRef<'a> {
    path: &'a str,
    hash: u128,
    stat: Option<Stat>,
    checked: bool,
    fixable: bool,
    diagnostics: Vec<DiagnosticRef<'a>>,
    suppressions: &'a Suppressions,
    text: Option<&'a str>,
    summaries_len: u64,
    summaries_sum: u64,
    marks: u64,
}

thread_local! {
    /// Each worker thread's buffers for encoding a file's summaries, entry and marks, and
    /// for its marks as numbers (their capacity kept from file to file).
    static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// What a new entry is encoded with: the run's key tables (for its marks) and, in a cold
/// run, the stream its summaries go to.
#[derive(Clone, Copy)]
struct Encoder<'t> {
    tables: &'t KeyTables,
    stream: Option<&'t Stream>,
}

/// The new entry of a file checked by the run: its summaries, entry and marks encoded one
/// after the other into the thread's buffer, then copied once into a buffer of exactly
/// their size (the pieces' ranges say which is which). With a `stream`, the summaries go to
/// the new summaries file instead ([`Stream::put`]) and the buffer holds the other two.
fn encode_new(
    c: &Checked<()>,
    per_file: bool,
    hash: u128,
    stat: Option<Stat>,
    enc: Encoder<'_>,
) -> Option<Pieces> {
    let Encoder { tables, stream } = enc;
    let keep = !c.diagnostics.is_empty() || !c.suppressions.is_empty();
    SCRATCH.with_borrow_mut(|(scratch, marks)| {
        tables.marks_into(&c.summaries, marks);
        scratch.clear();
        RuleSummary::encode_all(&c.summaries, &c.path, scratch)?;
        let summaries_sum = xxhash_rust::xxh3::xxh3_64(scratch);
        let summaries_len = scratch.len();
        let summaries = stream.map(|stream| {
            let src = stream.put(scratch);
            scratch.clear();
            src
        });
        let s = scratch.len();
        let entry = EntryRef {
            path: &c.path,
            hash,
            stat,
            checked: per_file,
            fixable: c.fixable,
            diagnostics: c.diagnostics.iter().map(DiagnosticRef::of).collect(),
            suppressions: &c.suppressions,
            text: if keep {
                c.source.as_ref().map(|s| s.text.as_str())
            } else {
                None
            },
            summaries_len: summaries_len as u64,
            summaries_sum,
            marks: marks.len() as u64,
        };
        postcard::to_io(&entry, &mut *scratch).ok()?;
        let e = scratch.len();
        scratch.extend(marks.iter().flat_map(|m| m.to_le_bytes()));
        Some(Pieces {
            new: scratch.as_slice().to_vec(),
            summaries: summaries.unwrap_or(Src::New(0..s)),
            entry: Src::New(s..e),
            marks: Src::New(e..scratch.len()),
        })
    })
}

/// The repository-wide findings of the rule set a pack holds (every entry's summaries,
/// nothing else), after the selection and per-path ignores: what a run whose files did not
/// change prints again, and what a run that changed a few updates.
#[derive(Deserialize)]
struct RepoSection<'a> {
    /// [`KeyTables::codes`] of the run that wrote it.
    codes: &'a str,
    #[serde(borrow)]
    findings: Vec<StoredDiagnostic<'a>>,
}

#[derive(Serialize)]
struct RepoSectionRef<'a> {
    codes: &'a str,
    findings: Vec<DiagnosticRef<'a>>,
}

/// The first bytes of a summaries file; then its id (a little-endian `u64`), then the
/// summaries of the entries that point into it.
const SUMS_MAGIC: &[u8; 8] = b"RFLINTS1";
const SUMS_HEAD: usize = 16;

/// How long a summaries file no pack names is kept (a concurrent run may have written it
/// and not yet put its pack in place).
const SUMS_GRACE: Duration = Duration::from_secs(60);

/// The summaries file a pack's entries point into: its id (0: none; the file is
/// `lint-<id>.sums` beside the pack) and how many of its bytes the pack relies on. An
/// entry's summaries lie at an offset in the file (below `len`) or, from `len` on, in the
/// pack's own summaries region (at the offset minus `len`). The file is written once, by a
/// run that compacts, and never changed: a run that changed a few files keeps pointing into
/// it and puts the new summaries in its pack's own region.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct SumsRef {
    id: u64,
    len: usize,
}

impl SumsRef {
    /// Whether `r` lies within the file (after its head).
    fn in_file(&self, r: &Range<usize>) -> bool {
        self.id != 0 && r.start >= SUMS_HEAD && r.end <= self.len
    }

    /// Whether `r` lies within the file or within an own region of `own` bytes.
    fn holds(&self, r: &Range<usize>, own: usize) -> bool {
        self.in_file(r) || (r.start >= self.len && r.end - self.len <= own)
    }

    fn path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("lint-{:016x}.sums", self.id))
    }

    /// The file's first bytes.
    fn head(&self) -> [u8; SUMS_HEAD] {
        let mut h = [0u8; SUMS_HEAD];
        h[..8].copy_from_slice(SUMS_MAGIC);
        h[8..].copy_from_slice(&self.id.to_le_bytes());
        h
    }

    /// The summaries file beside `pack`, checked to be the one named (its head) and at
    /// least as long as the pack relies on; `Ok(None)` when the pack names none.
    fn open(&self, pack: &Path) -> Result<Option<PackBytes>, String> {
        if self.id == 0 {
            return Ok(None);
        }
        let path = self.path(pack.parent().unwrap_or(Path::new(".")));
        let bytes = PackBytes::open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .ok_or_else(|| format!("{}: missing", path.display()))?;
        if bytes.get(..SUMS_HEAD) != Some(&self.head()[..]) || bytes.len() < self.len {
            return Err(format!("{}: foreign or truncated", path.display()));
        }
        Ok(Some(bytes))
    }
}

/// How many bytes of summaries a worker gathers before writing them to the [`Stream`]'s file.
const STREAM_BLOCK: usize = 512 << 10;

/// The new summaries file of a run that will write every summary to a new file (it has no
/// usable pack: a cold run), written while the files are checked: each worker encodes the
/// summaries of the files it checks into a buffer of its own (kept from block to block),
/// and when a block's bytes are gathered, takes the next range of the file and
/// writes them there. The summaries are never held by the run, and the writer only puts
/// the file's head and name. The file is a temporary one (removed unless a pack names it)
/// until [`Stream::finish`] gives it its name.
struct Stream {
    tmp: tempfile::NamedTempFile,
    id: u64,
    /// Where the next block goes (the file's length once every block is written).
    end: std::sync::atomic::AtomicU64,
    /// The next block's number.
    blocks: std::sync::atomic::AtomicU32,
    /// Each block's place in the file, by its number (`u64::MAX`: not written).
    placed: std::sync::Mutex<Vec<u64>>,
    /// One buffer per worker thread, and a last one for any other thread.
    slots: Vec<std::sync::Mutex<Block>>,
    /// The first write that failed (the run then writes no pack).
    failed: std::sync::Mutex<Option<std::io::Error>>,
    /// How many bytes a block gathers ([`STREAM_BLOCK`]; tests make it small).
    block: usize,
}

/// A worker's block of summaries being gathered: its number and bytes.
struct Block {
    n: u32,
    bytes: Vec<u8>,
}

impl Stream {
    /// A new summaries file beside `pack`, as a temporary file; `None` (a debug note) when
    /// it cannot be created, or where files cannot be written at an offset (the writer then
    /// writes the summaries as it does for any other run).
    fn new(pack: &Path, block: usize) -> Option<Stream> {
        if !cfg!(unix) {
            return None;
        }
        let dir = pack.parent().unwrap_or(Path::new("."));
        let made = create_dir(dir).and_then(|()| {
            crate::fsutil::sweep_once(dir);
            tempfile::Builder::new()
                .prefix(&crate::fsutil::temporary_prefix())
                .suffix(".tmp")
                .tempfile_in(dir)
        });
        let tmp = match made {
            Ok(tmp) => tmp,
            Err(e) => {
                note(format_args!(
                    "{}: rule summaries not streamed: {e}",
                    dir.display()
                ));
                return None;
            }
        };
        let n = rayon::current_num_threads() + 1;
        Some(Stream {
            tmp,
            id: new_id(pack),
            end: (SUMS_HEAD as u64).into(),
            blocks: (n as u32).into(),
            placed: std::sync::Mutex::new(Vec::new()),
            slots: (0..n)
                .map(|i| {
                    std::sync::Mutex::new(Block {
                        n: i as u32,
                        bytes: Vec::new(),
                    })
                })
                .collect(),
            failed: std::sync::Mutex::new(None),
            block,
        })
    }

    /// Adds a file's encoded summaries to the calling thread's block: where they lie.
    /// (They are encoded apart, into the thread's scratch buffer, then copied: a few hundred
    /// bytes a file.)
    fn put(&self, summaries: &[u8]) -> Src {
        let last = self.slots.len() - 1;
        let i = rayon::current_thread_index().map_or(last, |i| i.min(last));
        let mut block = self.slots[i].lock().unwrap_or_else(|p| p.into_inner());
        if block.bytes.capacity() == 0 {
            block.bytes.reserve(self.block + (64 << 10));
        }
        let at = block.bytes.len();
        block.bytes.extend_from_slice(summaries);
        let put = Src::Streamed(block.n, at..at + summaries.len());
        if block.bytes.len() >= self.block {
            self.flush(&mut block);
        }
        put
    }

    /// Writes `block` to the next range of the file and starts the worker's next one.
    fn flush(&self, block: &mut Block) {
        use std::sync::atomic::Ordering::Relaxed;
        if block.bytes.is_empty() {
            return;
        }
        let at = self.end.fetch_add(block.bytes.len() as u64, Relaxed);
        let written = write_at(self.tmp.as_file(), &block.bytes, at);
        {
            let mut placed = self.placed.lock().unwrap_or_else(|p| p.into_inner());
            let n = block.n as usize;
            if placed.len() <= n {
                placed.resize(n + 1, u64::MAX);
            }
            placed[n] = at;
        }
        if let Err(e) = written {
            let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            failed.get_or_insert(e);
        }
        block.bytes.clear();
        block.n = self.blocks.fetch_add(1, Relaxed);
    }

    /// Writes the blocks still gathered, any summaries of `merged` not streamed (none in
    /// practice) after them, the head, and puts the file under its name: its offsets go to
    /// `offsets`, in the order of `merged`.
    fn finish(
        self,
        dir: &Path,
        old: &OldPack,
        merged: &[Pieces],
        offsets: &mut Vec<u8>,
    ) -> std::io::Result<SumsRef> {
        for slot in &self.slots {
            let mut block = slot.lock().unwrap_or_else(|p| p.into_inner());
            self.flush(&mut block);
            block.bytes = Vec::new();
        }
        if let Some(e) = self.failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(e);
        }
        let placed = std::mem::take(&mut *self.placed.lock().unwrap_or_else(|p| p.into_inner()));
        let mut end = self.end.into_inner();
        let old_sums = old.sums();
        let mut rest = Vec::new();
        for p in merged {
            let o = match &p.summaries {
                Src::Streamed(n, r) => {
                    let base = placed.get(*n as usize).copied().unwrap_or(u64::MAX);
                    if base == u64::MAX {
                        return Err(std::io::Error::other("a block of summaries not written"));
                    }
                    base + r.start as u64
                }
                other => {
                    let b = match other {
                        Src::New(r) => &p.new[r.clone()],
                        Src::Old(r) => old_sums.get(r),
                        Src::Streamed(..) => &[],
                    };
                    let o = end + rest.len() as u64;
                    rest.extend_from_slice(b);
                    o
                }
            };
            offsets.extend_from_slice(&o.to_le_bytes());
        }
        write_at(self.tmp.as_file(), &rest, end)?;
        end += rest.len() as u64;
        let sref = SumsRef {
            id: self.id,
            len: usize::try_from(end).map_err(std::io::Error::other)?,
        };
        write_at(self.tmp.as_file(), &sref.head(), 0)?;
        self.tmp
            .persist_noclobber(sref.path(dir))
            .map_err(|e| e.error)?;
        Ok(sref)
    }
}

/// Writes `bytes` at offset `at` of `file` (from any thread at once).
#[cfg(unix)]
fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(not(unix))]
fn write_at(_: &std::fs::File, _: &[u8], _: u64) -> std::io::Result<()> {
    // Never reached: [`Stream::new`] makes no stream here.
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Where the summaries of a pack's entries are read: its summaries file (the bytes below
/// `len`) and its own region (in the pack, whose bytes `pack` are, for the marks).
#[derive(Clone, Copy)]
struct Sums<'a> {
    pack: &'a [u8],
    file: &'a [u8],
    own: &'a [u8],
    len: usize,
}

impl<'a> Sums<'a> {
    /// The bytes at `r` (a range [`decode`] checked).
    fn get(&self, r: &Range<usize>) -> &'a [u8] {
        if r.start >= self.len {
            &self.own[r.start - self.len..r.end - self.len]
        } else {
            &self.file[r.clone()]
        }
    }
}

/// An entry read from the pack and where its bytes lie: the entry's own and its marks' in
/// the pack, its summaries' in the pack's [`Sums`].
struct Stored<'a> {
    entry: Head<'a>,
    range: Range<usize>,
    summaries: Range<usize>,
    marks: Range<usize>,
}

// A decoded list is dropped without visiting its items (and one left half-written when a
// chunk is refused owns nothing).
const _: () = assert!(!std::mem::needs_drop::<Stored<'static>>());

/// What every run needs of an [`Entry`], kept for each file of the pack. The rest of the
/// entry (its findings, suppressions and text) is read again from the pack for the few
/// files that have something to report ([`Stored::full`]), so a warm run holds only this.
#[derive(Clone, Copy)]
struct Head<'a> {
    path: &'a str,
    hash: u128,
    stat: Option<Stat>,
    summaries_sum: u64,
    checked: bool,
    fixable: bool,
    /// Whether the entry holds findings or suppressions.
    reports: bool,
}

impl Head<'_> {
    /// Whether the entry answers for a run with `per_file` checks and `fix`.
    fn serves(&self, per_file: bool, fix: bool) -> bool {
        (self.checked || !per_file) && !(fix && per_file && self.fixable)
    }
}

impl<'a> Stored<'a> {
    /// The whole entry, read again from the pack `bytes` (it was read once when the pack
    /// was decoded: `None` only for bytes other than the decoded pack's).
    fn full(&self, bytes: &'a [u8]) -> Option<Entry<'a>> {
        postcard::from_bytes(bytes.get(self.range.clone())?).ok()
    }

    /// The file's per-file part of a run, as [`Entry::checked`] gives it, reading the
    /// whole entry only when it has something to report.
    fn checked(&self, bytes: &'a [u8], per_file: bool) -> Option<Option<Checked<()>>> {
        if !self.entry.reports {
            return Some(None);
        }
        self.full(bytes)?.checked(per_file)
    }

    /// The file's [`RuleSummary`]s, read from the pack's summaries `sums` (checked against
    /// their checksum).
    fn summaries(&self, sums: &Sums<'_>) -> Result<Vec<RuleSummary>, String> {
        let b = sums.get(&self.summaries);
        if xxhash_rust::xxh3::xxh3_64(b) != self.entry.summaries_sum {
            return Err(format!(
                "{}: rule summaries: checksum mismatch",
                self.entry.path
            ));
        }
        RuleSummary::decode_all(b, self.entry.path)
            .map_err(|e| format!("{}: bad rule summaries: {e}", self.entry.path))
    }

    /// The file's key marks, read from the pack `bytes` (the caller checked the marks
    /// region's checksum).
    fn marks<'b>(&self, bytes: &'b [u8]) -> impl Iterator<Item = u32> + 'b {
        bytes[self.marks.clone()]
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    /// The entry's parts as they are in the old pack.
    fn reuse(&self) -> Pieces {
        Pieces {
            new: Vec::new(),
            entry: Src::Old(self.range.clone()),
            summaries: Src::Old(self.summaries.clone()),
            marks: Src::Old(self.marks.clone()),
        }
    }
}

/// Where some bytes of the next pack come from: the old pack, the [`Pieces`]' own, or (a
/// file's summaries only) the new summaries file the run streams them into.
#[derive(Clone)]
enum Src {
    Old(Range<usize>),
    New(Range<usize>),
    /// At this range of a block of the run's [`Stream`] (the block's place in the file is
    /// known once it is written).
    Streamed(u32, Range<usize>),
}

impl Src {
    /// How many bytes the part has.
    fn len(&self) -> usize {
        match self {
            Src::Old(r) | Src::New(r) | Src::Streamed(_, r) => r.len(),
        }
    }
}

/// An entry's three parts in the next pack (its entry, summaries and marks), and the new
/// bytes among them.
struct Pieces {
    new: Vec<u8>,
    entry: Src,
    summaries: Src,
    marks: Src,
}

/// What a run leaves for a file in the next pack.
enum Out {
    /// The entry read from the old pack (its index there), unchanged.
    Reuse(usize),
    /// A new entry (some of its parts may be the old pack's).
    New(Box<Pieces>),
    /// Nothing (a file that could not be cached: unreadable, fixed in place, not on disk).
    Nothing,
}

/// A pack's bytes: mapped (a warm run then reads only the pages it needs, not the rule
/// summaries), or read when it cannot be mapped.
enum PackBytes {
    /// The mapping and the open file (the next pack copies unchanged stretches of it file to
    /// file).
    Mapped(memmap2::Mmap, std::fs::File),
    Read(Vec<u8>),
}

impl std::ops::Deref for PackBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            PackBytes::Mapped(m, _) => m,
            PackBytes::Read(v) => v,
        }
    }
}

impl PackBytes {
    /// The pack at `path`, mapped, else read; `Ok(None)` when there is none.
    fn open(path: &Path) -> std::io::Result<Option<PackBytes>> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if file.metadata()?.len() > 0 {
            // SAFETY: a pack or summaries file is never written in place: each is written
            // to a temporary file and renamed into place (a pack over or exchanged with the
            // old one), so the mapped file (the old inode, kept alive by the mapping) does
            // not change while it is mapped. Only another
            // program writing into the file in place could change or truncate it under us.
            if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(Some(PackBytes::Mapped(m, file)));
            }
        }
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut v)?;
        Ok(Some(PackBytes::Read(v)))
    }

    /// The file the bytes are mapped from, if they are.
    fn file(&self) -> Option<&std::fs::File> {
        match self {
            PackBytes::Mapped(_, f) => Some(f),
            PackBytes::Read(_) => None,
        }
    }
}

/// The lint cache of one repository root and one set of settings, opened for a run.
pub struct LintCache {
    pack: PathBuf,
    key: String,
    /// The pack's bytes; `None` when there is none.
    bytes: Option<PackBytes>,
    /// Drop the entries of files the run does not see (it covers the whole rule set).
    prune: bool,
    started: SystemTime,
}

/// Hits, re-hashed hits and misses of one run (for the debug note and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Files taken from the cache without reading them.
    pub unread: usize,
    /// Files read and found unchanged by their hash.
    pub rehashed: usize,
    /// Files checked.
    pub checked: usize,
}

/// The next pack, being written on a thread of its own while the caller prints the outcome;
/// waited for when dropped (or by [`PendingWrite::finish`]).
#[must_use = "dropping it waits for the pack to be written"]
pub struct PendingWrite(Option<std::thread::JoinHandle<()>>);

impl PendingWrite {
    /// Waits until the pack is written (or its writing failed: a debug note).
    pub fn finish(mut self) {
        self.join();
    }

    fn join(&mut self) {
        if let Some(h) = self.0.take() {
            let _ = h.join();
        }
    }
}

impl Drop for PendingWrite {
    fn drop(&mut self) {
        self.join();
    }
}

/// How a run found its repository-wide findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepoMode {
    /// No rule changed: the pack's findings.
    Reuse,
    /// A few files changed: the pack's findings, updated for the keys they held and hold.
    Incremental,
    /// Every rule's summary read and the checks run over all of them.
    Full,
}

/// What a file's part of a cached run gives.
struct FileRun {
    /// `None`: taken from the cache, with nothing to report (no findings, no suppressions).
    /// Boxed, as are a new entry's [`Pieces`]: a warm run's list of these is mostly
    /// `None` and [`Out::Reuse`], so each item is small.
    checked: Option<Box<Checked<()>>>,
    out: Out,
    /// 0 unchanged and not read, 1 unchanged by its hash, 2 checked (its summaries are in
    /// `checked.summaries`).
    how: u8,
}

impl FileRun {
    /// The summaries of a file checked by the run (none for a file taken from the cache).
    fn summaries(&self) -> &[RuleSummary] {
        self.checked
            .as_ref()
            .map_or(&[], |c| c.summaries.as_slice())
    }
}

/// A file whose summaries differ (or may differ) from the pack's: checked by the run, or
/// in the pack and not in the run.
struct Change<'s> {
    path: &'s str,
    /// Its entry in the pack.
    old: Option<usize>,
    /// Its summaries in the run (`None`: not in the run).
    new: Option<&'s [RuleSummary]>,
}

impl LintCache {
    /// Opens the cache in `dir` for linting the repository at `root` with `opts`. A missing,
    /// corrupt or foreign pack gives an empty cache. With `prune`, entries of files the run
    /// does not see are dropped when the pack is written (the run covers every rule file).
    pub fn open(dir: &Path, root: &Path, opts: &Options, prune: bool) -> LintCache {
        let started = SystemTime::now();
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let rules = super::registry::all_rules()
            .map(|r| format!("{r:?}"))
            .collect::<Vec<_>>()
            .join("\n");
        let key = format!(
            "ruleforge {}\nrules {:032x}\nroot {}\n{}",
            version(),
            xxhash_rust::xxh3::xxh3_128(rules.as_bytes()),
            root.display(),
            opts.settings_key()
        );
        let pack = dir.join(format!(
            "lint-{:016x}.pack",
            xxhash_rust::xxh3::xxh3_64(key.as_bytes())
        ));
        let bytes = match PackBytes::open(&pack) {
            Ok(bytes) => bytes,
            Err(e) => {
                note(format_args!("{}: not read: {e}", pack.display()));
                None
            }
        };
        LintCache {
            pack,
            key,
            bytes,
            prune,
            started,
        }
    }

    /// The pack file this cache reads and writes.
    pub fn pack_path(&self) -> &Path {
        &self.pack
    }

    /// Lints `inputs` as [`super::run`] does, taking each unchanged file's part from the
    /// cache, and the repository-wide findings too when no rule changed (updating them key
    /// by key when a few files did); then writes the cache back on a thread of its own (a
    /// failure to write is a debug note, not an error: the outcome is the same).
    pub fn run(
        self,
        inputs: &[Input],
        opts: &Options,
    ) -> Result<(Outcome, Stats, PendingWrite), IoError> {
        crate::timings::mark("lint: start (cache)");
        let LintCache {
            pack,
            key,
            bytes,
            prune,
            started,
        } = self;
        let bytes = Arc::new(bytes.unwrap_or(PackBytes::Read(Vec::new())));
        let had_pack = !bytes.is_empty() || pack.exists();
        let tables = KeyTables::new(opts);
        let codes = tables.codes();
        // The rule summaries a full run of the repository-wide checks is done with.
        let mut spare = super::Spare::default();
        let (checked, repo, stats, pending) = {
            // The pack's entries are decoded while each file's state is looked up (when
            // there is a pack: a file without an entry is read whatever its state).
            let (decoded, states) = rayon::join(
                || decode(&bytes, &key),
                || {
                    if bytes.is_empty() {
                        Vec::new()
                    } else {
                        states_of(inputs)
                    }
                },
            );
            crate::timings::mark("lint: cache read, files looked up");
            // The summaries file the pack names is opened (not read) with it: a pack without
            // it is ignored as a whole.
            let mut unusable = 0;
            let opened = decoded.and_then(|d| match d.sums.open(&pack) {
                Ok(f) => Ok((f, d)),
                Err(why) => {
                    unusable = d.sums.id;
                    Err(why)
                }
            });
            let (sums_file, decoded) = match opened {
                Ok(d) => d,
                Err(why) => {
                    if had_pack {
                        note(format_args!("{}: ignored: {why}", pack.display()));
                    }
                    (None, Decoded::default())
                }
            };
            let Decoded {
                stored,
                section,
                marks,
                sums: sums_ref,
                own,
            } = decoded;
            let sums_file = Arc::new(sums_file.unwrap_or(PackBytes::Read(Vec::new())));
            let sums = Sums {
                pack: &bytes,
                file: &sums_file,
                own: &bytes[own.clone()],
                len: sums_ref.len,
            };
            let limit = started
                .checked_sub(RACY)
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            let sorted = inputs.par_windows(2).all(|w| w[0].path < w[1].path);
            // With no pack to start from, every summary goes to a new summaries file: it is
            // written while the files are checked.
            let stream = (stored.is_empty() && sums_ref.id == 0)
                .then(|| Stream::new(&pack, STREAM_BLOCK))
                .flatten();
            // Each input's entry: both lists are sorted by path (as discovery gives them),
            // so each stretch of inputs is matched by one walk along the entries from where
            // its first path would be (the stretches on every core).
            let index: Vec<Option<usize>> = if sorted {
                let mut index = vec![None; inputs.len()];
                index
                    .par_chunks_mut(MATCH_CHUNK)
                    .zip(inputs.par_chunks(MATCH_CHUNK))
                    .for_each(|(out, chunk)| {
                        let first = chunk[0].path.as_str();
                        let mut j = stored.partition_point(|s| s.entry.path < first);
                        for (o, i) in out.iter_mut().zip(chunk) {
                            while stored
                                .get(j)
                                .is_some_and(|s| s.entry.path < i.path.as_str())
                            {
                                j += 1;
                            }
                            *o = stored
                                .get(j)
                                .is_some_and(|s| s.entry.path == i.path)
                                .then_some(j);
                        }
                    });
                index
            } else {
                inputs
                    .par_iter()
                    .map(|i| {
                        stored
                            .binary_search_by(|s| s.entry.path.cmp(i.path.as_str()))
                            .ok()
                    })
                    .collect()
            };
            // An indexed collect writes each file's result into its place (collecting
            // straight into `Result<Vec<_>>` would gather them in per-thread lists, then copy
            // every one into fresh memory); the first error in input order is kept aside and
            // returned.
            let first_error: std::sync::Mutex<Option<(usize, IoError)>> =
                std::sync::Mutex::new(None);
            let mut results: Vec<FileRun> = inputs
                .par_iter()
                .zip(index.par_iter())
                .enumerate()
                .map(|(k, (input, &old))| {
                    let state = states.get(k).copied().flatten();
                    let r = one(
                        input,
                        old.map(|o| (o, &stored[o])),
                        &bytes,
                        state,
                        opts,
                        limit,
                        Encoder {
                            tables: &tables,
                            stream: stream.as_ref(),
                        },
                    );
                    crate::progress::add(1);
                    r.unwrap_or_else(|e| {
                        let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
                        if first.as_ref().is_none_or(|(at, _)| k < *at) {
                            *first = Some((k, e));
                        }
                        FileRun {
                            checked: None,
                            out: Out::Nothing,
                            how: 0,
                        }
                    })
                })
                .collect();
            if let Some((_, e)) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
                return Err(e);
            }
            drop(states);
            let mut stats = Stats::default();
            for r in &results {
                match r.how {
                    0 => stats.unread += 1,
                    1 => stats.rehashed += 1,
                    _ => stats.checked += 1,
                }
            }
            crate::timings::mark("lint: per-file checks (cache)");
            note(format_args!(
                "{} files: {} unchanged (not read), {} unchanged (read and hashed), {} checked",
                inputs.len(),
                stats.unread,
                stats.rehashed,
                stats.checked
            ));

            // The repository-wide findings: of the files of the old pack the run sees,
            let mut matched = vec![false; stored.len()];
            for i in index.iter().flatten() {
                matched[*i] = true;
            }
            let section = section
                .and_then(|b| postcard::from_bytes::<RepoSection<'_>>(b).ok())
                .filter(|s| s.codes == codes);
            // whether they are those of exactly the files the next pack holds.
            let kept = if prune {
                0
            } else {
                matched.iter().filter(|m| !**m).count()
            };
            let complete = kept == 0
                && results
                    .iter()
                    .all(|r| !matches!(r.out, Out::Nothing) || r.summaries().is_empty());

            // The next pack, when it differs from this one: the run's entries and the kept
            // ones, merged by path, written on a thread of its own while the repository-wide
            // findings are found; they follow through `section` when they describe the pack's
            // files.
            let reused = results
                .iter()
                .filter(|r| matches!(r.out, Out::Reuse(_)))
                .count();
            let fresh = results.iter().any(|r| matches!(r.out, Out::New(_)));
            let unchanged =
                !fresh && kept + reused == stored.len() && section.is_some() == complete;
            let (section_tx, section_rx) = std::sync::mpsc::channel::<Option<Vec<Diagnostic>>>();
            let pending = if unchanged {
                drop(section_rx);
                PendingWrite(None)
            } else {
                let take = |r: &mut FileRun| match std::mem::replace(&mut r.out, Out::Nothing) {
                    Out::Reuse(j) => Some(stored[j].reuse()),
                    Out::New(p) => Some(*p),
                    Out::Nothing => None,
                };
                let outs: Vec<Option<Pieces>> = if sorted && kept == 0 {
                    // The run's files are the next pack's, in path order: each one's parts
                    // are put in its place, on every core (the writer leaves out the files
                    // with none).
                    results.par_iter_mut().map(take).collect()
                } else {
                    let run_outs: Vec<(&str, Pieces)> = results
                        .iter_mut()
                        .zip(inputs)
                        .filter_map(|(r, input)| Some((input.path.as_str(), take(r)?)))
                        .collect();
                    let kept: Vec<(&str, Pieces)> = stored
                        .iter()
                        .zip(&matched)
                        .filter(|(_, m)| !prune && !**m)
                        .map(|(s, _)| (s.entry.path, s.reuse()))
                        .collect();
                    merge(run_outs, kept).into_iter().map(Some).collect()
                };
                let (pack, key, codes) = (pack.clone(), key.clone(), codes.clone());
                let old = OldPack {
                    pack: Arc::clone(&bytes),
                    sums: Arc::clone(&sums_file),
                    sref: sums_ref,
                    own: own.clone(),
                };
                let handle = std::thread::Builder::new()
                    .name("lint-cache-writer".into())
                    .spawn(move || {
                        let outs: Vec<Pieces> = outs.into_iter().flatten().collect();
                        let section = |findings: Vec<Diagnostic>| {
                            postcard::to_allocvec(&RepoSectionRef {
                                codes: &codes,
                                findings: findings.iter().map(DiagnosticRef::of).collect(),
                            })
                            .unwrap_or_default()
                        };
                        let written = write(&pack, &key, &old, &outs, stream, || {
                            // No findings sent: the run gave up on this pack.
                            section_rx.recv().ok().map(|f| f.map(section))
                        });
                        // Freed on a thread of its own: the process waits for this one
                        // before it exits, not for that one.
                        crate::drop_in_background((outs, old));
                        match written {
                            Ok(true) => prune_packs(&pack, unusable),
                            Ok(false) => {}
                            Err(e) => note(format_args!("{}: not written: {e}", pack.display())),
                        }
                    });
                PendingWrite(handle.ok())
            };
            crate::timings::mark("lint: cache writer started");

            // Without stored findings (a cold run) every rule is checked: no list of changes.
            let changes: Vec<Change<'_>> =
                if section.is_none() {
                    Vec::new()
                } else {
                    results
                        .iter()
                        .zip(inputs)
                        .zip(&index)
                        // A file checked without an entry and without rules (one that cannot be
                        // read as text) changes nothing.
                        .filter(|((r, _), old)| {
                            r.how == 2 && (old.is_some() || !r.summaries().is_empty())
                        })
                        .map(|((r, input), &old)| Change {
                            path: input.path.as_str(),
                            old,
                            new: Some(r.summaries()),
                        })
                        .chain(stored.iter().enumerate().filter(|(j, _)| !matched[*j]).map(
                            |(j, s)| Change {
                                path: s.entry.path,
                                old: Some(j),
                                new: None,
                            },
                        ))
                        .collect()
                };
            let few = changes.len() <= 64.max(inputs.len() / 20);
            let mut mode = match &section {
                Some(_) if sorted && changes.is_empty() => RepoMode::Reuse,
                Some(_) if sorted && few => RepoMode::Incremental,
                _ => RepoMode::Full,
            };
            let stored_findings = || -> Result<Vec<Diagnostic>, String> {
                section
                    .as_ref()
                    .map_or(&[][..], |s| s.findings.as_slice())
                    .iter()
                    .map(|d| d.to_diagnostic().ok_or("a finding of an unknown code"))
                    .collect::<Result<_, _>>()
                    .map_err(str::to_string)
            };
            let mut repo = match mode {
                RepoMode::Reuse => stored_findings(),
                RepoMode::Incremental => stored_findings().and_then(|f| {
                    let marks_ok =
                        || marks.is_some_and(|(b, sum)| xxhash_rust::xxh3::xxh3_64(b) == sum);
                    incremental(f, &changes, &stored, &sums, marks_ok, &tables, opts)
                }),
                RepoMode::Full => Err(String::new()),
            };
            if let Err(why) = &repo {
                if mode != RepoMode::Full {
                    note(format_args!(
                        "{}: stored repository findings ignored: {why}",
                        pack.display()
                    ));
                    mode = RepoMode::Full;
                }
            }
            crate::timings::mark("lint: stored findings read or updated (cache)");
            drop(changes);
            if mode == RepoMode::Full {
                repo = full(&mut results, &index, &stored, &sums, opts, &mut spare);
            }
            note(format_args!(
                "repository checks: {}",
                match mode {
                    RepoMode::Reuse => "stored findings reused",
                    RepoMode::Incremental => "stored findings updated",
                    RepoMode::Full => "run over every rule",
                }
            ));
            let repo = match repo {
                Ok(repo) => repo,
                Err(why) => {
                    // A pack whose summaries cannot be read: the run starts again without it
                    // (and writes no pack).
                    note(format_args!("{}: ignored: {why}", pack.display()));
                    drop(section_tx);
                    pending.finish();
                    drop(results);
                    drop(stored);
                    crate::drop_in_background(bytes);
                    let outcome = super::run(inputs, opts)?;
                    return Ok((outcome, stats, PendingWrite(None)));
                }
            };
            crate::timings::mark("lint: repository checks (cache)");
            let _ = section_tx.send(complete.then(|| repo.clone()));
            (results, repo, stats, pending)
        };
        crate::drop_in_background(bytes);
        // The per-file results are taken from where they were written (collecting them
        // into a `Vec<Checked>` would copy every one into fresh memory).
        let n = checked.iter().filter(|r| r.checked.is_some()).count();
        let checked = Counted {
            left: n,
            inner: checked.into_iter().filter_map(|r| r.checked.map(|c| *c)),
        };
        let outcome = super::assemble_with(checked, inputs, opts, |_| (repo, spare)).0;
        crate::timings::mark("lint: done (cache)");
        Ok((outcome, stats, pending))
    }
}

/// An iterator whose number of items is known ahead (`left`), so a consumer can size its
/// lists once.
struct Counted<I> {
    left: usize,
    inner: I,
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let next = self.inner.next();
        if next.is_some() {
            self.left = self.left.saturating_sub(1);
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: Iterator> ExactSizeIterator for Counted<I> {}

/// The repository-wide findings of the run's rules, from every file's summaries: the new
/// ones of the files checked (taken out of `results`), the stored ones of the others.
fn full(
    results: &mut [FileRun],
    index: &[Option<usize>],
    stored: &[Stored<'_>],
    sums: &Sums<'_>,
    opts: &Options,
    spare: &mut super::Spare,
) -> Result<Vec<Diagnostic>, String> {
    let all: Vec<Vec<RuleSummary>> = results
        .par_iter_mut()
        .zip(index.par_iter())
        .map(|(r, old)| match (r.how, old) {
            (2, _) | (_, None) => Ok(r
                .checked
                .as_mut()
                .map(|c| std::mem::take(&mut c.summaries))
                .unwrap_or_default()),
            (_, Some(o)) => stored[*o].summaries(sums),
        })
        .collect::<Result<_, _>>()?;
    // Gathered into a list sized once, then split as a run without the cache splits them.
    let mut flat = Vec::with_capacity(all.iter().map(Vec::len).sum());
    for s in all {
        flat.extend(s);
    }
    let (native, sigma) = super::split_by(flat, |s| s.kind == RuleKind::Sigma);
    let repo = super::check_repository(&native, &sigma, opts);
    *spare = super::Spare::of((native, sigma));
    Ok(repo)
}

/// The stored findings `findings` of the pack's rule set updated for `changes`: for every
/// (check, key hash) a changed file held before or holds now, the findings of its holders
/// before are taken out and those of its holders now put in. Every other key has the same
/// holders, so the same findings. An error when the stored findings do not hold what the
/// pack's summaries give (never trusted: the caller runs the checks over every rule).
fn incremental(
    mut findings: Vec<Diagnostic>,
    changes: &[Change<'_>],
    stored: &[Stored<'_>],
    sums: &Sums<'_>,
    marks_ok: impl FnOnce() -> bool,
    tables: &KeyTables,
    opts: &Options,
) -> Result<Vec<Diagnostic>, String> {
    if !marks_ok() {
        return Err("key marks: checksum mismatch".into());
    }
    let olds: Vec<Vec<RuleSummary>> = changes
        .iter()
        .map(|c| c.old.map_or(Ok(Vec::new()), |o| stored[o].summaries(sums)))
        .collect::<Result<_, _>>()?;
    let mut touched: Vec<(usize, u64)> = Vec::new();
    for (c, old) in changes.iter().zip(&olds) {
        tables.keys(old, &mut touched);
        if let Some(new) = c.new {
            tables.keys(new, &mut touched);
        }
    }
    let marks: rustc_hash::FxHashSet<u32> = touched
        .iter()
        .map(|&(c, h)| KeyTables::mark(c, h))
        .collect();
    // A bit per low 16 bits of a touched mark: most marks of the files scanned are told
    // apart by one bit test, without a lookup in the set.
    let mut bits = vec![0u64; 1 << 10];
    for m in &marks {
        bits[(*m as usize & 0xffff) >> 6] |= 1 << (m & 63);
    }
    let touched_mark =
        |m: u32| bits[(m as usize & 0xffff) >> 6] & (1 << (m & 63)) != 0 && marks.contains(&m);
    let changed: rustc_hash::FxHashSet<usize> = changes.iter().filter_map(|c| c.old).collect();
    // The files that did not change and may hold a touched key.
    let others: Vec<(&str, Vec<RuleSummary>)> = (0..stored.len())
        .into_par_iter()
        .filter(|j| !changed.contains(j))
        .filter(|&j| stored[j].marks(sums.pack).any(touched_mark))
        .map(|j| Ok((stored[j].entry.path, stored[j].summaries(sums)?)))
        .collect::<Result<_, String>>()?;
    note(format_args!(
        "update: {} keys of {} changed files, held by {} other files",
        touched.len(),
        changes.len(),
        others.len()
    ));
    let before = in_path_order(
        others
            .iter()
            .map(|(p, s)| (*p, s.as_slice()))
            .chain(
                changes
                    .iter()
                    .zip(&olds)
                    .map(|(c, o)| (c.path, o.as_slice())),
            )
            .collect(),
    );
    let after = in_path_order(
        others
            .iter()
            .map(|(p, s)| (*p, s.as_slice()))
            .chain(changes.iter().filter_map(|c| c.new.map(|n| (c.path, n))))
            .collect(),
    );
    let mut gone = Vec::new();
    let mut came = Vec::new();
    for &(check, hash) in &touched {
        tables.findings(check, hash, &before, opts, &mut gone);
        tables.findings(check, hash, &after, opts, &mut came);
    }
    for d in &gone {
        let at = findings
            .iter()
            .position(|f| f == d)
            .ok_or("a finding the stored summaries give is not stored")?;
        findings.swap_remove(at);
    }
    findings.extend(came);
    Ok(findings)
}

/// The rules of `files`, files in path order, each file's rules in document order (the
/// order a whole run gives the checks).
fn in_path_order<'r>(mut files: Vec<(&str, &'r [RuleSummary])>) -> Vec<&'r RuleSummary> {
    files.sort_by(|a, b| a.0.cmp(b.0));
    files.into_iter().flat_map(|(_, s)| s.iter()).collect()
}

/// A folder opened once, so that the state of each of its files is looked up by name (one
/// path component for the kernel to resolve instead of the whole path: most of the cost of
/// a warm run's one lookup per file).
#[cfg(unix)]
type Dir = rustix::fd::OwnedFd;
#[cfg(not(unix))]
type Dir = ();

/// At most this many folders are open at once; the files of any others are looked up by
/// their whole path.
const MAX_DIRS: usize = 512;

/// The folders of the inputs on disk (inputs sorted by path come folder by folder), and
/// for each input the one it is in.
fn open_dirs(inputs: &[Input]) -> (Vec<Option<usize>>, Vec<Dir>) {
    let mut dir_of = vec![None; inputs.len()];
    let mut dirs: Vec<Dir> = Vec::new();
    #[cfg(unix)]
    {
        use rustix::fs::{open, Mode, OFlags};
        use std::os::unix::ffi::OsStrExt;
        // The folder part of the last input's path, as bytes (cheaper than `Path::parent`,
        // which parses components, for each of many files of one folder).
        let mut last: Option<&[u8]> = None;
        for (k, input) in inputs.iter().enumerate() {
            let Origin::Disk(p) = &input.origin else {
                continue;
            };
            let bytes = p.as_os_str().as_bytes();
            let folder = match bytes.iter().rposition(|&b| b == b'/') {
                Some(i) if i + 1 < bytes.len() => &bytes[..i],
                _ => continue,
            };
            if last != Some(folder) {
                if dirs.len() >= MAX_DIRS {
                    break;
                }
                let Some(parent) = p.parent() else {
                    last = None;
                    continue;
                };
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                match open(parent, flags, Mode::empty()) {
                    Ok(d) => dirs.push(d),
                    Err(_) => {
                        last = None;
                        continue;
                    }
                }
                last = Some(folder);
            }
            dir_of[k] = Some(dirs.len() - 1);
        }
    }
    #[cfg(not(unix))]
    let _ = (inputs, MAX_DIRS);
    (dir_of, dirs)
}

/// The state of every input on disk (`None`: not on disk, or its state cannot be had), on
/// every core: each looked up by its name in its folder, opened once.
fn states_of(inputs: &[Input]) -> Vec<Option<Stat>> {
    let (dir_of, dirs) = open_dirs(inputs);
    inputs
        .par_iter()
        .zip(dir_of.par_iter())
        .map(|(input, dir)| match &input.origin {
            Origin::Disk(path) => stat_in(dir.map(|d| &dirs[d]), path).ok(),
            Origin::Blob(_) => None,
        })
        .collect()
}

/// The state of the file at `path`, looked up by its name in `dir` (its folder) when open.
fn stat_in(dir: Option<&Dir>, path: &Path) -> std::io::Result<Stat> {
    #[cfg(unix)]
    if let (Some(dir), Some(name)) = (dir, path.file_name()) {
        let st = rustix::fs::statat(dir, name, rustix::fs::AtFlags::empty())?;
        return Ok(Stat {
            size: st.st_size as u64,
            mtime_ns: ns(st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime_ns: ns(st.st_ctime as i64, st.st_ctime_nsec as i64),
            ino: st.st_ino as u64,
        });
    }
    #[cfg(not(unix))]
    let _ = dir;
    std::fs::metadata(path).map(|m| Stat::of(&m))
}

/// One file's part of a cached run.
fn one<'a>(
    input: &Input,
    old: Option<(usize, &Stored<'a>)>,
    bytes: &'a [u8],
    state: Option<Stat>,
    opts: &Options,
    limit: i64,
    enc: Encoder<'_>,
) -> Result<FileRun, IoError> {
    let per_file = opts.only.as_ref().is_none_or(|o| o.contains(&input.path));
    let (at, old) = old.map_or((0, None), |(j, o)| (j, Some(o)));
    let uncached = |input: &Input| -> Result<FileRun, IoError> {
        Ok(FileRun {
            checked: Some(Box::new(super::process(input, opts, &|_| ())?)),
            out: Out::Nothing,
            how: 2,
        })
    };
    let Origin::Disk(path) = &input.origin else {
        return uncached(input);
    };
    let old = old.filter(|o| o.entry.serves(per_file, opts.fix));
    // A file with an entry is looked at before it is read (its state was looked up with
    // the others' when the pack was read); the others are read at once and their state
    // taken from the open file.
    let stat = match &old {
        Some(_) => match state {
            Some(stat) => Some(stat),
            None => return uncached(input),
        },
        None => None,
    };
    let mut old = match old {
        Some(o) if stat.is_some() && o.entry.stat == stat => match o.checked(bytes, per_file) {
            Some(c) => {
                return Ok(FileRun {
                    checked: c.map(Box::new),
                    out: Out::Reuse(at),
                    how: 0,
                })
            }
            None => {
                note(format_args!(
                    "{}: entry ignored (unknown code or no text)",
                    input.path
                ));
                None
            }
        },
        other => other,
    };
    let (source, meta) = load::read_disk(input, path, opts.max_file_size)?;
    let source = match source {
        Ok(s) => s,
        Err((e, src)) => {
            return Ok(FileRun {
                checked: Some(Box::new(super::unreadable(input, &e, src, opts))),
                out: Out::Nothing,
                how: 2,
            })
        }
    };
    let hash = xxhash_rust::xxh3::xxh3_128(source.text.as_bytes());
    let stat = Stat::of(&meta);
    let trusted = stat.settled(limit).then_some(stat);
    if let Some(o) = old.take().filter(|o| o.entry.hash == hash) {
        // A file touched but not changed (rare): its whole entry is read again.
        let full = o.full(bytes);
        let checked = full.as_ref().and_then(|e| e.checked(per_file));
        if let (Some(full), Some(c)) = (full, checked) {
            let out = if o.entry.stat == trusted {
                Out::Reuse(at)
            } else {
                let entry = Entry {
                    stat: trusted,
                    ..full
                };
                match postcard::to_allocvec(&entry) {
                    Ok(new) => Out::New(Box::new(Pieces {
                        entry: Src::New(0..new.len()),
                        new,
                        ..o.reuse()
                    })),
                    Err(_) => Out::Nothing,
                }
            };
            return Ok(FileRun {
                checked: c.map(Box::new),
                out,
                how: 1,
            });
        }
        note(format_args!(
            "{}: entry ignored (unknown code or no text)",
            input.path
        ));
    }
    let c = process_source(input, source, opts, &|_| ())?;
    let out = if c.fixed > 0 {
        // Written back in place: the next run reads the new text.
        Out::Nothing
    } else {
        encode_new(&c, per_file, hash, trusted, enc).map_or(Out::Nothing, |p| Out::New(Box::new(p)))
    };
    Ok(FileRun {
        checked: Some(Box::new(c)),
        out,
        how: 2,
    })
}

/// The first fields of an [`Entry`] (the same encoding), read by [`skim`].
#[derive(Deserialize)]
struct EntryStart<'a> {
    path: &'a str,
    hash: u128,
    stat: Option<Stat>,
    checked: bool,
    fixable: bool,
}

/// The encoding of an [`Entry`]'s fields between `fixable` and `summaries_len` when it has
/// nothing to report (no findings, no suppressions, no text).
fn nothing_to_report() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        postcard::to_allocvec(&(
            Vec::<DiagnosticRef<'_>>::new(),
            Suppressions::default(),
            None::<&str>,
        ))
        .unwrap_or_default()
    })
}

/// The [`Head`] of the entry at the start of `bytes`, its summaries' length and number of
/// marks, and the bytes after it. Most entries have nothing to report: for them only the
/// first and last fields are decoded (the fields between are the bytes of
/// [`nothing_to_report`]); for the others the fields between are decoded too, to learn
/// whether they hold findings or suppressions.
fn skim(bytes: &[u8]) -> Result<(Head<'_>, u64, u64, &[u8]), String> {
    let bad = |e: postcard::Error| format!("bad entry: {e}");
    let (start, rest) = postcard::take_from_bytes::<EntryStart<'_>>(bytes).map_err(bad)?;
    let empty = nothing_to_report();
    let (reports, rest) = if !empty.is_empty() && rest.starts_with(empty) {
        (false, &rest[empty.len()..])
    } else {
        let ((diagnostics, suppressions, _text), rest) =
            postcard::take_from_bytes::<(Vec<StoredDiagnostic<'_>>, Suppressions, Option<&str>)>(
                rest,
            )
            .map_err(bad)?;
        (!diagnostics.is_empty() || !suppressions.is_empty(), rest)
    };
    let ((summaries_len, summaries_sum, marks), tail) =
        postcard::take_from_bytes::<(u64, u64, u64)>(rest).map_err(bad)?;
    let head = Head {
        path: start.path,
        hash: start.hash,
        stat: start.stat,
        summaries_sum,
        checked: start.checked,
        fixable: start.fixable,
        reports,
    };
    Ok((head, summaries_len, marks, tail))
}

/// A pack as read: its entries, sorted by path, each with where its parts lie; its
/// repository section when it has one; its marks region and that region's checksum
/// (checked only by a run that reads the marks).
#[derive(Default)]
struct Decoded<'a> {
    stored: Vec<Stored<'a>>,
    section: Option<&'a [u8]>,
    marks: Option<(&'a [u8], u64)>,
    /// The summaries file the pack's entries point into (see [`SumsRef`]), and the pack's
    /// own summaries region.
    sums: SumsRef,
    own: Range<usize>,
}

/// Reads a pack. Its layout: the magic, the summaries file it names (its id, 0 for none, and
/// the length the pack relies on: [`SumsRef`]), the key, the chunk table (the byte length of
/// every chunk of [`CHUNK`] entries), the byte lengths of the marks region, the offsets
/// region, the pack's own summaries region and the repository section, the checksum
/// (XXH3-64) of the entries, the offsets and the section, the checksum of the marks region;
/// then the entries (chunk after chunk), the offsets (where each entry's summaries start: in
/// the summaries file below its length, else in the own region), the marks (each entry's in
/// the entries' order; each entry holds its summaries' length and checksum and its number of
/// marks), the own summaries, and the section. A run that reads neither marks nor summaries
/// (no file changed) reads only the head, the entries, the offsets and the section.
fn decode<'a>(bytes: &'a [u8], key: &str) -> Result<Decoded<'a>, String> {
    let at = &mut 0usize;
    if take_bytes(bytes, at, MAGIC.len())? != MAGIC {
        return Err("not a ruleforge lint cache of this layout".into());
    }
    let sums = SumsRef {
        id: take_u64(bytes, at)?,
        len: take_len(bytes, at)?,
    };
    if sums.id == 0 && sums.len != 0 {
        return Err("summaries in no summaries file".into());
    }
    let key_len = take_len(bytes, at)?;
    if take_bytes(bytes, at, key_len)? != key.as_bytes() {
        return Err("written for another version, rule set, root or settings".into());
    }
    let n_chunks = take_len(bytes, at)?;
    let mut lens = Vec::with_capacity(n_chunks.min(1 << 20));
    for _ in 0..n_chunks {
        lens.push(take_len(bytes, at)?);
    }
    let marks_len = take_len(bytes, at)?;
    let offsets_len = take_len(bytes, at)?;
    let summaries_len = take_len(bytes, at)?;
    let section_len = take_len(bytes, at)?;
    let checksum = take_u64(bytes, at)?;
    let marks_sum = take_u64(bytes, at)?;
    let body_start = *at;
    let mut ranges = Vec::with_capacity(lens.len());
    let mut start = body_start;
    for len in lens {
        let end = start.checked_add(len).ok_or("truncated")?;
        ranges.push(start..end);
        start = end;
    }
    let entries_end = start;
    let offsets_end = entries_end.checked_add(offsets_len).ok_or("truncated")?;
    let marks_end = offsets_end.checked_add(marks_len).ok_or("truncated")?;
    let summaries_end = marks_end.checked_add(summaries_len).ok_or("truncated")?;
    if summaries_end.checked_add(section_len) != Some(bytes.len()) {
        return Err("chunk table does not match the file's size".into());
    }
    let mut sum = xxhash_rust::xxh3::Xxh3::new();
    sum.update(&bytes[body_start..offsets_end]);
    sum.update(&bytes[summaries_end..]);
    if sum.digest() != checksum {
        return Err("checksum mismatch".into());
    }
    let section = (section_len > 0).then(|| &bytes[summaries_end..]);
    // Every chunk but the last holds exactly CHUNK entries, so each chunk is decoded in
    // parallel straight into its place in one list of the right size (no list per chunk
    // copied into it). Until the regions are laid out below, an entry's `summaries` and
    // `marks` hold its summaries' length in bytes and its number of marks.
    let n_chunks = ranges.len();
    let mut stored: Vec<Stored<'a>> = Vec::new();
    stored
        .try_reserve_exact(n_chunks.saturating_mul(CHUNK))
        .map_err(|_| "a chunk table past the address space")?;
    let filled: Vec<usize> = stored.spare_capacity_mut()[..n_chunks * CHUNK]
        .par_chunks_mut(CHUNK)
        .zip(ranges)
        .enumerate()
        .map(|(k, (slots, r))| {
            let mut rest = &bytes[r.clone()];
            let mut n = 0;
            while !rest.is_empty() {
                let before = rest.len();
                let (head, summaries_len, marks, tail) = skim(rest)?;
                let slot = slots.get_mut(n).ok_or("a chunk of too many entries")?;
                let from = r.end - before;
                let len =
                    |v: u64| usize::try_from(v).map_err(|_| "a length past the address space");
                slot.write(Stored {
                    entry: head,
                    range: from..r.end - tail.len(),
                    summaries: 0..len(summaries_len)?,
                    marks: 0..len(marks)?,
                });
                n += 1;
                rest = tail;
            }
            if n == 0 || (n < CHUNK && k + 1 < n_chunks) {
                return Err("a chunk of too few entries".to_string());
            }
            Ok(n)
        })
        .collect::<Result<_, String>>()?;
    let n = filled
        .last()
        .map_or(0, |last| (n_chunks - 1) * CHUNK + last);
    // SAFETY: the first `n` slots were written: every chunk was decoded without an error,
    // every chunk but the last filled its CHUNK slots, and the last its `last` first ones
    // (checked above); `Stored` owns nothing, so nothing leaks on the error paths above.
    unsafe { stored.set_len(n) };
    if !stored
        .par_windows(2)
        .all(|w| w[0].entry.path < w[1].entry.path)
    {
        return Err("entries out of order".into());
    }
    // Each entry's marks (the region holds them in the entries' order) and summaries (where
    // the offsets region says, in the summaries file or the pack's own region).
    if offsets_len != 8 * stored.len() {
        return Err("the offsets region does not match the entries".into());
    }
    let mut m = offsets_end;
    let mut offsets = bytes[entries_end..offsets_end].chunks_exact(8);
    let region = |at: &mut usize, len: usize, unit: usize| -> Result<Range<usize>, String> {
        let len = len
            .checked_mul(unit)
            .ok_or("an entry's length past the address space")?;
        let end = at.checked_add(len).ok_or("truncated")?;
        let r = *at..end;
        *at = end;
        Ok(r)
    };
    for st in &mut stored {
        st.marks = region(&mut m, st.marks.end, 4)?;
        let mut s = usize::try_from(u64::from_le_bytes(
            offsets
                .next()
                .and_then(|o| o.try_into().ok())
                .ok_or("truncated")?,
        ))
        .map_err(|_| "an offset past the address space")?;
        st.summaries = region(&mut s, st.summaries.end, 1)?;
        if !sums.holds(&st.summaries, summaries_len) {
            return Err("an entry's summaries lie outside the summaries".into());
        }
    }
    if m != marks_end {
        return Err("the entries do not match the marks region".into());
    }
    Ok(Decoded {
        stored,
        section,
        marks: Some((&bytes[offsets_end..marks_end], marks_sum)),
        sums,
        own: marks_end..summaries_end,
    })
}

/// The little-endian `u64` at `*at` in `bytes`, advancing it.
fn take_u64(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let b = take_bytes(bytes, at, 8)?;
    Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// A length at `*at` in `bytes` (a little-endian `u64`), advancing it.
fn take_len(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    usize::try_from(take_u64(bytes, at)?).map_err(|_| "a length past the address space".into())
}

/// The next `n` bytes of `bytes` from `*at`, advancing it.
fn take_bytes<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], String> {
    let end = at.checked_add(n).ok_or("truncated")?;
    let s = bytes.get(*at..end).ok_or("truncated")?;
    *at = end;
    Ok(s)
}

/// An entry's own part, its marks, its summaries (for [`parts`]).
fn entry(p: &Pieces) -> &Src {
    &p.entry
}
fn marks(p: &Pieces) -> &Src {
    &p.marks
}
fn summaries(p: &Pieces) -> &Src {
    &p.summaries
}

/// A stretch of the next pack: bytes of the old pack, or new bytes.
enum Part<'a> {
    Old(Range<usize>),
    New(&'a [u8]),
}

impl<'a> Part<'a> {
    fn bytes(&self, old: &'a [u8]) -> &'a [u8] {
        match self {
            Part::Old(r) => &old[r.clone()],
            Part::New(b) => b,
        }
    }
}

/// The entries' parts `part` of `merged`, in order, as stretches of `old` or their own bytes
/// (adjacent stretches of `old` joined into one, so an unchanged stretch is one write).
fn parts<'a>(
    merged: &'a [Pieces],
    part: fn(&Pieces) -> &Src,
) -> impl Iterator<Item = Part<'a>> + 'a {
    let mut pending: Option<Range<usize>> = None;
    let mut items = merged.iter();
    let mut queued: Option<&'a [u8]> = None;
    std::iter::from_fn(move || loop {
        if let Some(q) = queued.take() {
            return Some(Part::New(q));
        }
        match items.next() {
            Some(p) => match part(p) {
                Src::Old(r) => match &mut pending {
                    Some(run) if run.end == r.start => run.end = r.end,
                    _ => {
                        if let Some(run) = pending.replace(r.clone()) {
                            return Some(Part::Old(run));
                        }
                    }
                },
                // Refused by `write` before it writes anything.
                Src::Streamed(..) => {}
                Src::New(r) => {
                    let b = &p.new[r.clone()];
                    match pending.take() {
                        Some(run) => {
                            queued = Some(b);
                            return Some(Part::Old(run));
                        }
                        None => return Some(Part::New(b)),
                    }
                }
            },
            None => return pending.take().map(Part::Old),
        }
    })
}

/// Stretches of the old pack at least this long are copied file to file
/// (`copy_file_range`: the kernel copies them, nothing is read into the process).
const COPY_AT_LEAST: usize = 1 << 16;

/// Appends `range` of the pack file `from` to `to` at its position, in the kernel; `false`
/// when the system cannot (the caller writes the bytes instead), after copying nothing.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn copy_range(
    from: &std::fs::File,
    range: Range<usize>,
    to: &std::fs::File,
) -> std::io::Result<bool> {
    let (mut at, end) = (range.start as u64, range.end as u64);
    while at < end {
        let left = usize::try_from(end - at).unwrap_or(usize::MAX);
        match rustix::fs::copy_file_range(from, Some(&mut at), to, None, left) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) if at == range.start as u64 => {
                note(format_args!("copy_file_range: {e}; writing instead"));
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn copy_range(_: &std::fs::File, _: Range<usize>, _: &std::fs::File) -> std::io::Result<bool> {
    Ok(false)
}

/// The run's entries and the kept ones (both sorted by path) merged by path; a path seen
/// twice is written once.
fn merge(run: Vec<(&str, Pieces)>, kept: Vec<(&str, Pieces)>) -> Vec<Pieces> {
    if kept.is_empty() && run.windows(2).all(|w| w[0].0 < w[1].0) {
        return run.into_iter().map(|(_, o)| o).collect();
    }
    let mut merged: Vec<(&str, Pieces)> = Vec::with_capacity(run.len() + kept.len());
    let (mut a, mut b) = (run.into_iter().peekable(), kept.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        let Some(next) = next else { break };
        if merged.last().is_some_and(|l| l.0 >= next.0) {
            continue;
        }
        merged.push(next);
    }
    merged.into_iter().map(|(_, o)| o).collect()
}

/// The pack a run read, for writing the next one: its bytes, its summaries file's (empty
/// when it names none), which summaries file it names, and where its own summaries region
/// lies in it.
struct OldPack {
    pack: Arc<PackBytes>,
    sums: Arc<PackBytes>,
    sref: SumsRef,
    own: Range<usize>,
}

impl OldPack {
    fn sums(&self) -> Sums<'_> {
        Sums {
            pack: &self.pack,
            file: &self.sums,
            own: &self.pack[self.own.clone()],
            len: self.sref.len,
        }
    }

    /// Whether summaries at `src` lie in the old summaries file (where the next pack still
    /// finds them unless it compacts).
    fn in_file(&self, src: &Src) -> bool {
        matches!(src, Src::Old(r) if self.sref.in_file(r))
    }
}

/// A new summaries file's id: different for every file a run writes, and most likely from
/// those of any other run.
fn new_id(pack: &Path) -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.update(&t.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(
        &N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_le_bytes(),
    );
    h.update(pack.as_os_str().as_encoded_bytes());
    h.digest().max(1)
}

/// Writes the next pack (the layout [`decode`] reads), atomically, and, when it compacts, a
/// new summaries file first. A run whose new summaries are few (less than a sixteenth of
/// those still in the old summaries file, which is at most a quarter garbage) keeps that
/// file and puts the summaries of the files it checked (and those of the old pack's own
/// region still in use) in the new pack's own region: it writes the entries, marks and a few
/// summaries, not every file's. Otherwise every summary goes to a new summaries file (the
/// old file's unchanged stretches copied file to file), and the pack has no own region.
/// The repository section comes last, from `section` (called once the rest is written;
/// `None`: the run gave up, nothing is written, `Ok(false)`).
fn write(
    pack: &Path,
    key: &str,
    old: &OldPack,
    merged: &[Pieces],
    stream: Option<Stream>,
    section: impl FnOnce() -> Option<Option<Vec<u8>>>,
) -> std::io::Result<bool> {
    let streamed = |p: &Pieces| matches!(p.summaries, Src::Streamed(..));
    if stream.is_none() && merged.iter().any(streamed) {
        return Err(std::io::Error::other(
            "rule summaries streamed to a file no longer at hand",
        ));
    }
    let dir = pack.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    // A run killed while writing its pack leaves the temporary file: named like fsutil's
    // temporaries, the next pack write into the folder removes it.
    crate::fsutil::sweep_once(dir);
    let (mut live, mut other) = (0usize, 0usize);
    for p in merged {
        if old.in_file(&p.summaries) {
            live += p.summaries.len();
        } else {
            other += p.summaries.len();
        }
    }
    let garbage = old.sref.len.saturating_sub(SUMS_HEAD + live);
    let compact = stream.is_some() || old.sref.id == 0 || other > live / 16 || garbage > live / 4;
    let mut offsets: Vec<u8> = Vec::with_capacity(8 * merged.len());
    let sref = if compact {
        let sref = match stream {
            Some(stream) => stream.finish(dir, old, merged, &mut offsets)?,
            None => write_sums(dir, pack, old, merged, &mut offsets)?,
        };
        note(format_args!(
            "{}: rule summaries written ({} bytes)",
            sref.path(dir).display(),
            sref.len
        ));
        sref
    } else {
        let mut at = old.sref.len;
        for p in merged {
            let o = match &p.summaries {
                Src::Old(r) if old.in_file(&p.summaries) => r.start,
                _ => {
                    let o = at;
                    at += p.summaries.len();
                    o
                }
            };
            offsets.extend_from_slice(&(o as u64).to_le_bytes());
        }
        note(format_args!(
            "{}: {other} bytes of rule summaries in the pack, the summaries file kept",
            pack.display()
        ));
        old.sref
    };
    let written = write_pack(pack, key, old, merged, &offsets, sref, !compact, section);
    if compact && !matches!(written, Ok(true)) {
        // Named by no pack.
        let _ = std::fs::remove_file(sref.path(dir));
    }
    written
}

/// Writes every summary of `merged` to a new summaries file beside `pack` (unchanged
/// stretches of the old file copied file to file), their offsets to `offsets`.
fn write_sums(
    dir: &Path,
    pack: &Path,
    old: &OldPack,
    merged: &[Pieces],
    offsets: &mut Vec<u8>,
) -> std::io::Result<SumsRef> {
    use std::io::Write;
    let old_sums = old.sums();
    let mut sref = SumsRef {
        id: new_id(pack),
        len: SUMS_HEAD,
    };
    for p in merged {
        offsets.extend_from_slice(&(sref.len as u64).to_le_bytes());
        sref.len += p.summaries.len();
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&crate::fsutil::temporary_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let mut copied = 0;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(&sref.head())?;
        let mut copying = old.sums.file();
        for p in parts(merged, summaries) {
            let r = match p {
                Part::New(b) => {
                    w.write_all(b)?;
                    continue;
                }
                Part::Old(r) => r,
            };
            // A stretch may run from the old file into the old pack's own region.
            let cut = r.end.min(old.sref.len).max(r.start);
            let (in_file, in_own) = (r.start..cut, cut..r.end);
            if let (true, Some(from)) = (in_file.len() >= COPY_AT_LEAST, copying) {
                w.flush()?;
                if copy_range(from, in_file.clone(), w.get_ref())? {
                    copied += in_file.len();
                } else {
                    copying = None;
                    w.write_all(&old.sums[in_file])?;
                }
            } else if !in_file.is_empty() {
                w.write_all(&old.sums[in_file])?;
            }
            if !in_own.is_empty() {
                w.write_all(old_sums.get(&in_own))?;
            }
        }
        w.flush()?;
    }
    if copied > 0 {
        note(format_args!(
            "{}: {copied} bytes of rule summaries copied file to file",
            sref.path(dir).display()
        ));
    }
    tmp.persist_noclobber(sref.path(dir)).map_err(|e| e.error)?;
    Ok(sref)
}

/// Writes the pack itself: the head, entries, offsets, marks, own summaries region (with
/// `own`: the summaries of `merged` not in the old summaries file) and the section.
#[allow(clippy::too_many_arguments)]
fn write_pack(
    pack: &Path,
    key: &str,
    old: &OldPack,
    merged: &[Pieces],
    offsets: &[u8],
    sref: SumsRef,
    own: bool,
    section: impl FnOnce() -> Option<Option<Vec<u8>>>,
) -> std::io::Result<bool> {
    use std::io::{Seek, Write};
    let old_bytes: &[u8] = &old.pack;
    let old_sums = old.sums();
    let lens: Vec<u64> = merged
        .chunks(CHUNK)
        .map(|c| c.iter().map(|p| p.entry.len() as u64).sum())
        .collect();
    let head_len = MAGIC.len() + 16 + 8 + key.len() + 8 + 8 * lens.len() + 8 * 6;
    let dir = pack.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(&crate::fsutil::temporary_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let mut checksum = xxhash_rust::xxh3::Xxh3::new();
    let mut marks_sum = xxhash_rust::xxh3::Xxh3::new();
    let (mut marks_len, mut own_len) = (0u64, 0u64);
    {
        // Small parts are gathered in the buffer; a stretch of the old pack at least as
        // large as the buffer goes to the file in one write.
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(&vec![0u8; head_len])?;
        for p in parts(merged, entry) {
            let b = p.bytes(old_bytes);
            checksum.update(b);
            w.write_all(b)?;
        }
        checksum.update(offsets);
        w.write_all(offsets)?;
        for p in parts(merged, marks) {
            let b = p.bytes(old_bytes);
            marks_sum.update(b);
            marks_len += b.len() as u64;
            w.write_all(b)?;
        }
        // The own region is not checksummed as a region (each entry holds its summaries').
        if own {
            for p in merged.iter().filter(|p| !old.in_file(&p.summaries)) {
                let b = match &p.summaries {
                    Src::Old(r) => old_sums.get(r),
                    Src::New(r) => &p.new[r.clone()],
                    // A run that streams its summaries compacts (no own region).
                    Src::Streamed(..) => &[],
                };
                own_len += b.len() as u64;
                w.write_all(b)?;
            }
        }
        let Some(section) = section() else {
            return Ok(false);
        };
        let section = section.unwrap_or_default();
        checksum.update(&section);
        w.write_all(&section)?;
        let mut head = Vec::with_capacity(head_len);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&sref.id.to_le_bytes());
        head.extend_from_slice(&(sref.len as u64).to_le_bytes());
        head.extend_from_slice(&(key.len() as u64).to_le_bytes());
        head.extend_from_slice(key.as_bytes());
        head.extend_from_slice(&(lens.len() as u64).to_le_bytes());
        for l in &lens {
            head.extend_from_slice(&l.to_le_bytes());
        }
        head.extend_from_slice(&marks_len.to_le_bytes());
        head.extend_from_slice(&(offsets.len() as u64).to_le_bytes());
        head.extend_from_slice(&own_len.to_le_bytes());
        head.extend_from_slice(&(section.len() as u64).to_le_bytes());
        head.extend_from_slice(&checksum.digest().to_le_bytes());
        head.extend_from_slice(&marks_sum.digest().to_le_bytes());
        debug_assert_eq!(head.len(), head_len);
        w.seek(std::io::SeekFrom::Start(0))?;
        w.write_all(&head)?;
        w.flush()?;
    }
    replace(tmp, pack)?;
    Ok(true)
}

/// Puts the written temporary file `tmp` in place of the pack at `pack`, atomically (a
/// reader opens the old pack or the new one). On Linux the two are exchanged
/// (`renameat2(RENAME_EXCHANGE)`) and the old one, now at the temporary name, is removed:
/// ext4 starts writing back the whole new file before a rename over an existing file
/// (`auto_da_alloc`), which an exchange does not; that wait was most of the time a run that
/// changed a few files spent after printing. Where there is no pack yet or the file system
/// cannot exchange, a plain rename.
fn replace(tmp: tempfile::NamedTempFile, pack: &Path) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        let is_file = std::fs::symlink_metadata(pack).is_ok_and(|m| m.is_file());
        if is_file && renameat_with(CWD, tmp.path(), CWD, pack, RenameFlags::EXCHANGE).is_ok() {
            // Removes the old pack's name (a run still mapping it keeps reading it).
            let old = tmp.path().to_path_buf();
            if let Err(e) = tmp.close() {
                note(format_args!("{}: old pack not removed: {e}", old.display()));
            }
            return Ok(());
        }
    }
    tmp.persist(pack).map_err(|e| e.error)?;
    Ok(())
}

/// How many packs a cache folder keeps: the newest by the time they were written. When a run
/// writes its pack, packs of other settings, roots or versions beyond these are removed (a
/// few sets of settings used in turn stay warm; `ruleforge clean` removes all).
pub const KEEP_PACKS: usize = 4;

/// Removes the packs beside `own` beyond the newest [`KEEP_PACKS`] (`own` counts as one),
/// then the summaries files no pack names: those of the packs removed and the unusable one
/// of id `unusable` (foreign or truncated) at once, others once older than [`SUMS_GRACE`]
/// (a concurrent run may have written one and not yet put its pack in place, or may have
/// opened the pack that named it and not yet the file).
fn prune_packs(own: &Path, unusable: u64) {
    let Some(dir) = own.parent() else {
        return;
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut packs: Vec<(SystemTime, PathBuf)> = rd
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("lint-") && name.ends_with(".pack")
        })
        .map(|e| e.path())
        .filter(|p| p != own)
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    packs.sort_by(|a, b| b.cmp(a));
    let mut unnamed = vec![unusable];
    for (_, p) in packs.into_iter().skip(KEEP_PACKS.saturating_sub(1)) {
        unnamed.push(named_sums(&p));
        match std::fs::remove_file(&p) {
            Ok(()) => note(format_args!(
                "{}: removed (older than the newest {KEEP_PACKS} packs)",
                p.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => note(format_args!("{}: not removed: {e}", p.display())),
        }
    }
    prune_sums(dir, &unnamed);
}

/// The id of the summaries file the pack at `path` names (0: none or not a pack).
fn named_sums(path: &Path) -> u64 {
    let mut head = [0u8; 16];
    let read =
        std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head));
    if read.is_err() || &head[..8] != MAGIC {
        return 0;
    }
    u64::from_le_bytes(head[8..].try_into().expect("8 bytes"))
}

/// Removes the summaries files in `dir` no pack names (see [`prune_packs`]).
fn prune_sums(dir: &Path, unnamed: &[u64]) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let (mut packs, mut sums) = (Vec::new(), Vec::new());
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(stem) = name.strip_prefix("lint-") else {
            continue;
        };
        if stem.ends_with(".pack") {
            packs.push(e.path());
        } else if let Some(id) = stem.strip_suffix(".sums") {
            if let Ok(id) = u64::from_str_radix(id, 16) {
                sums.push((id, e.path()));
            }
        }
    }
    let named: Vec<u64> = packs.iter().map(|p| named_sums(p)).collect();
    let now = SystemTime::now();
    for (id, p) in sums {
        if named.contains(&id) {
            continue;
        }
        let old = std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d >= SUMS_GRACE));
        if unnamed.contains(&id) || old {
            match std::fs::remove_file(&p) {
                Ok(()) => note(format_args!("{}: removed (named by no pack)", p.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => note(format_args!("{}: not removed: {e}", p.display())),
            }
        }
    }
}

/// Creates the cache folder with its `CACHEDIR.TAG` and a `.gitignore` that ignores it all
/// (so a repository that did not run `ruleforge init` does not commit it either).
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in [("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")] {
        let p = dir.join(name);
        if !p.exists() {
            crate::fsutil::write_atomic(&p, text.as_bytes())?;
        }
    }
    Ok(())
}

/// Why `ruleforge clean` refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// The folder exists but is not a ruleforge cache (no `CACHEDIR.TAG` of ours).
    #[error("{path}: not a ruleforge cache (no CACHEDIR.TAG written by ruleforge); not removed")]
    NotACache { path: String },
    #[error("{path}: cannot remove: {error}")]
    Remove {
        path: String,
        #[source]
        error: std::io::Error,
    },
}

impl CleanError {
    /// The process exit code: 2.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Removes the cache folder `dir`; `false` when there was none. A folder without our
/// `CACHEDIR.TAG` is left alone (an error): `--cache-dir` may name any folder.
pub fn clean(dir: &Path) -> Result<bool, CleanError> {
    if !dir.exists() {
        return Ok(false);
    }
    let tag = std::fs::read_to_string(dir.join("CACHEDIR.TAG")).unwrap_or_default();
    if tag != CACHEDIR_TAG {
        return Err(CleanError::NotACache {
            path: dir.display().to_string(),
        });
    }
    std::fs::remove_dir_all(dir).map_err(|error| CleanError::Remove {
        path: dir.display().to_string(),
        error,
    })?;
    Ok(true)
}

/// The total size in bytes of the files in the cache folder `dir` (0 when there is none).
pub fn size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summaries of `n` rule files (some with none: a file that is not a rule).
    fn some_summaries(n: usize) -> Vec<(String, Vec<RuleSummary>)> {
        let opts = Options::new(
            super::super::Selection::new(vec!["ALL".into()], Vec::new()),
            time::macros::date!(2026 - 01 - 01),
        );
        (0..n)
            .map(|i| {
                let path = format!("rules/{i:05}.yml");
                let text = if i % 11 == 5 {
                    "not: [a rule\n".to_string()
                } else {
                    format!(
                        "id: {i:08x}-2d2e-4d8b-9a51-0f6f4d5f1a20\ntitle: Web shell {i}\n\
                         indicators:\n  webshell:\n    sha256:\n      - {:064x}\n\
                         \x20     - {:064x}\n    domain:\n      - host{i}.example.org\n",
                        i,
                        i * 7 + 1
                    )
                };
                let summaries =
                    super::super::summarize(SourceFile::new(path.as_str(), text), &opts);
                (path, summaries)
            })
            .collect()
    }

    /// A summaries file written by workers in blocks (tiny ones here: many per thread) is
    /// whole: its head names it, every file's summaries lie at their offset, read back
    /// with their checksum and equal to what a compaction (`write_sums`) writes for them,
    /// and the blocks leave no gap (the file is exactly its head and the summaries).
    #[test]
    fn streamed_summaries_file_is_whole_and_equals_a_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let pack = dir.path().join("cache/lint-0000000000000001.pack");
        let files = some_summaries(600);
        let rules = files.iter().filter(|(_, s)| !s.is_empty()).count();
        assert!(rules > 500, "{rules} files with summaries");
        let stream = Stream::new(&pack, 300).unwrap();
        let put: Vec<(Src, u64)> = files
            .par_iter()
            .map(|(path, s)| {
                let mut b = Vec::new();
                RuleSummary::encode_all(s, path, &mut b).unwrap();
                (stream.put(&b), xxhash_rust::xxh3::xxh3_64(&b))
            })
            .collect();
        let id = stream.id;
        let streamed: Vec<Pieces> = put
            .iter()
            .map(|(src, _)| Pieces {
                new: Vec::new(),
                entry: Src::New(0..0),
                summaries: src.clone(),
                marks: Src::New(0..0),
            })
            .collect();
        let empty = Arc::new(PackBytes::Read(Vec::new()));
        let old = OldPack {
            pack: Arc::clone(&empty),
            sums: Arc::clone(&empty),
            sref: SumsRef::default(),
            own: 0..0,
        };
        let cache = pack.parent().unwrap();
        let mut offsets = Vec::new();
        let sref = stream.finish(cache, &old, &streamed, &mut offsets).unwrap();
        assert_eq!(sref.id, id);
        let bytes = std::fs::read(sref.path(cache)).unwrap();
        assert_eq!(bytes.len(), sref.len);
        assert_eq!(bytes[..SUMS_HEAD], sref.head());
        // What a compaction of the same summaries writes.
        let compacted: Vec<Pieces> = files
            .iter()
            .map(|(path, s)| {
                let mut new = Vec::new();
                RuleSummary::encode_all(s, path, &mut new).unwrap();
                Pieces {
                    summaries: Src::New(0..new.len()),
                    new,
                    entry: Src::New(0..0),
                    marks: Src::New(0..0),
                }
            })
            .collect();
        let mut c_offsets = Vec::new();
        let c_ref = write_sums(cache, &pack, &old, &compacted, &mut c_offsets).unwrap();
        let c_bytes = std::fs::read(c_ref.path(cache)).unwrap();
        assert_eq!(
            c_bytes.len(),
            bytes.len(),
            "the same bytes, in another order"
        );
        let word = |b: &[u8], i: usize| {
            u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap()) as usize
        };
        let mut ranges = Vec::new();
        for (i, ((path, s), (src, sum))) in files.iter().zip(&put).enumerate() {
            let (at, c_at) = (word(&offsets, i), word(&c_offsets, i));
            let r = at..at + src.len();
            assert!(sref.in_file(&r) || src.len() == 0, "{path}: {r:?}");
            let got = &bytes[r.clone()];
            assert_eq!(got, &c_bytes[c_at..c_at + src.len()], "{path}");
            assert_eq!(xxhash_rust::xxh3::xxh3_64(got), *sum, "{path}");
            let back = RuleSummary::decode_all(got, path).unwrap();
            assert_eq!(format!("{back:?}"), format!("{s:?}"), "{path}");
            ranges.push(r);
        }
        ranges.sort_by_key(|r| r.start);
        let mut end = SUMS_HEAD;
        for r in ranges.iter().filter(|r| !r.is_empty()) {
            assert_eq!(r.start, end, "no gap, no overlap");
            end = r.end;
        }
        assert_eq!(end, bytes.len());
    }

    /// A stream that is not finished (the run failed, or gave up on its pack) leaves nothing
    /// in the cache folder: neither its temporary file nor a summaries file.
    #[test]
    fn an_unfinished_stream_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let pack = dir.path().join("lint-0000000000000001.pack");
        let files = some_summaries(50);
        let stream = Stream::new(&pack, 200).unwrap();
        files.par_iter().for_each(|(path, s)| {
            let mut b = Vec::new();
            RuleSummary::encode_all(s, path, &mut b).unwrap();
            stream.put(&b);
        });
        drop(stream);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".gitignore", "CACHEDIR.TAG"]);
    }

    /// A pack of `n` entries (as [`write`] lays them out: no summaries file, no marks, no
    /// summaries, no section), the entries cut into chunks of the given sizes (`None`: of [`CHUNK`]).
    fn pack(key: &str, n: usize, chunks: Option<&[usize]>) -> Vec<u8> {
        let code = super::super::registry::all_rules().next().unwrap().code;
        let paths: Vec<String> = (0..n).map(|i| format!("rules/{i:06}.yml")).collect();
        let suppressions = Suppressions::default();
        let entries: Vec<Vec<u8>> = paths
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let reports = i % 7 == 3;
                let diagnostics = if reports {
                    vec![DiagnosticRef {
                        code,
                        severity: Severity::Warning,
                        message: "a finding",
                        path,
                        span: Some(Span { start: 0, end: 4 }),
                        fix: &None,
                        related: &[],
                    }]
                } else {
                    Vec::new()
                };
                postcard::to_allocvec(&EntryRef {
                    path,
                    hash: i as u128 * 0x9e37_79b9_7f4a_7c15,
                    stat: (i % 3 == 0).then_some(Stat {
                        size: i as u64,
                        mtime_ns: -(i as i64),
                        ctime_ns: i as i64 * 1_000_000_007,
                        ino: 7,
                    }),
                    checked: true,
                    fixable: false,
                    diagnostics,
                    suppressions: &suppressions,
                    text: reports.then_some("id: x\n"),
                    summaries_len: 0,
                    summaries_sum: xxhash_rust::xxh3::xxh3_64(b""),
                    marks: 0,
                })
                .unwrap()
            })
            .collect();
        let sizes: Vec<usize> = match chunks {
            Some(c) => c.to_vec(),
            None => entries.chunks(CHUNK).map(<[_]>::len).collect(),
        };
        assert_eq!(sizes.iter().sum::<usize>(), n);
        let mut lens = Vec::new();
        let mut at = 0;
        for s in sizes {
            lens.push(entries[at..at + s].iter().map(Vec::len).sum::<usize>() as u64);
            at += s;
        }
        // The entries, then each entry's summaries offset (all empty, at 0).
        let mut body: Vec<u8> = entries.concat();
        body.resize(body.len() + 8 * n, 0);
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        // No summaries file (id 0, length 0).
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(key.len() as u64).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&(lens.len() as u64).to_le_bytes());
        for l in &lens {
            out.extend_from_slice(&l.to_le_bytes());
        }
        // The marks, offsets, own summaries and section regions' lengths.
        for region in [0u64, 8 * n as u64, 0, 0] {
            out.extend_from_slice(&region.to_le_bytes());
        }
        out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
        out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(b"").to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn chunks_decode_into_one_list_in_order() {
        let n = 2 * CHUNK + 5;
        let bytes = pack("k", n, None);
        let d = decode(&bytes, "k").unwrap();
        assert_eq!(d.stored.len(), n);
        for (i, s) in d.stored.iter().enumerate() {
            assert_eq!(s.entry.path, format!("rules/{i:06}.yml"));
            assert_eq!(s.entry.hash, i as u128 * 0x9e37_79b9_7f4a_7c15);
            assert_eq!(s.entry.reports, i % 7 == 3, "{i}");
            // The whole entry reads back from its range, and gives the same head.
            let full = s.full(&bytes).unwrap();
            assert_eq!(full.path, s.entry.path);
            assert_eq!(full.hash, s.entry.hash);
            assert_eq!(full.stat, s.entry.stat);
            assert_eq!(
                (full.checked, full.fixable, full.summaries_sum),
                (s.entry.checked, s.entry.fixable, s.entry.summaries_sum)
            );
            assert_eq!(full.diagnostics.len(), usize::from(s.entry.reports));
        }
        // Entries with findings give them (read again); the others give nothing to report.
        let c = d.stored[3].checked(&bytes, true).unwrap().unwrap();
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(c.diagnostics[0].message, "a finding");
        assert_eq!(c.source.as_ref().unwrap().text, "id: x\n");
        assert!(d.stored[4].checked(&bytes, true).unwrap().is_none());
        // Without the per-file checks, a finding is not reported (and there is nothing else).
        assert!(d.stored[3].checked(&bytes, false).unwrap().is_none());
        // Exactly CHUNK entries, and none.
        assert_eq!(
            decode(&pack("k", CHUNK, None), "k").unwrap().stored.len(),
            CHUNK
        );
        assert_eq!(decode(&pack("k", 0, None), "k").unwrap().stored.len(), 0);
    }

    #[test]
    fn a_chunk_of_another_size_is_refused() {
        let n = 2 * CHUNK + 5;
        for sizes in [
            vec![CHUNK - 1, CHUNK + 1, 5],
            vec![CHUNK + 1, CHUNK - 1, 5],
            vec![CHUNK, CHUNK - 1, 6],
            vec![CHUNK, CHUNK, 0, 5],
            vec![CHUNK, CHUNK, 5, 0],
            vec![CHUNK, CHUNK + 5],
        ] {
            let bytes = pack("k", n, Some(&sizes));
            let err = decode(&bytes, "k").err().expect("refused");
            assert!(err.contains("chunk of too"), "{sizes:?}: {err}");
        }
    }

    #[test]
    fn every_truncation_and_damaged_byte_is_refused_without_a_panic() {
        let bytes = pack("key", CHUNK + 3, None);
        assert!(decode(&bytes, "key").is_ok());
        for k in 0..bytes.len() {
            assert!(decode(&bytes[..k], "key").is_err(), "truncated at {k}");
        }
        // A changed byte anywhere is refused (in a length, a checksum or the entries, found
        // by the checks); it never panics. Two exceptions: the marks region's checksum is
        // checked only by a run that reads the marks, and a changed summaries file id names
        // another file, which the run must then open and find with that id in its head.
        let sums_id = MAGIC.len()..MAGIC.len() + 8;
        let marks_sum = MAGIC.len() + 16 + 8 + 3 + 8 + 8 * 2 + 8 * 5;
        for k in 0..bytes.len() {
            let mut b = bytes.clone();
            b[k] ^= 0x41;
            match decode(&b, "key") {
                Ok(d) if (marks_sum..marks_sum + 8).contains(&k) => {
                    let (region, sum) = d.marks.unwrap();
                    assert_ne!(xxhash_rust::xxh3::xxh3_64(region), sum, "byte {k}");
                }
                Ok(d) if sums_id.contains(&k) => assert_ne!(d.sums.id, 0, "byte {k}"),
                other => assert!(other.is_err(), "byte {k} changed"),
            }
        }
    }
}
