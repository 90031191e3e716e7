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
use super::{assemble, process_source, Checked, Options, Outcome};
use crate::diagnostic::{Diagnostic, Fix, Related, Severity, Span};
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
const MAGIC: &[u8; 8] = b"RFLINTC1";

/// Entries per independently decodable chunk of a pack (decoded in parallel).
const CHUNK: usize = 2048;

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

/// What identifies a file's state without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

impl Stat {
    fn of(meta: &std::fs::Metadata) -> Stat {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stat {
                size: meta.size(),
                mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128)
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
    fn settled(&self, limit: i128) -> bool {
        self.mtime_ns < limit && self.ctime_ns < limit
    }
}

/// A finding as stored (its code as text, checked against the registry when read).
#[derive(Serialize, Deserialize)]
struct StoredDiagnostic {
    code: String,
    severity: Severity,
    message: String,
    path: String,
    span: Option<Span>,
    fix: Option<Fix>,
    related: Vec<Related>,
}

impl StoredDiagnostic {
    fn into_diagnostic(self) -> Option<Diagnostic> {
        static CODES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
        let codes = CODES.get_or_init(|| {
            super::registry::all_rules()
                .map(|r| (r.code, r.code))
                .collect()
        });
        Some(Diagnostic {
            code: codes.get(self.code.as_str()).copied()?,
            severity: self.severity,
            message: self.message,
            path: self.path,
            span: self.span,
            fix: self.fix,
            related: self.related,
        })
    }
}

/// One file's entry.
#[derive(Serialize, Deserialize)]
struct Entry {
    path: String,
    /// XXH3-128 of the file's text.
    hash: u128,
    /// The file's state when it was read; `None` when too recent to trust.
    stat: Option<Stat>,
    /// Whether the per-file checks ran (not for a file outside `--changed-since`).
    checked: bool,
    /// Whether `--fix` would change the file.
    fixable: bool,
    diagnostics: Vec<StoredDiagnostic>,
    summaries: Vec<RuleSummary>,
    suppressions: Suppressions,
    /// The text, when the file has findings or suppressions.
    text: Option<String>,
}

impl Entry {
    /// Whether the entry answers for a run with `per_file` checks and `fix`.
    fn serves(&self, per_file: bool, fix: bool) -> bool {
        (self.checked || !per_file) && !(fix && per_file && self.fixable)
    }

    /// The file's part of a run, as `process` would have found it; `None` when the entry
    /// does not hold what is needed (a foreign or damaged entry).
    fn checked(self, per_file: bool) -> Option<Checked<()>> {
        let diagnostics = if per_file {
            self.diagnostics
                .into_iter()
                .map(StoredDiagnostic::into_diagnostic)
                .collect::<Option<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let keep = !diagnostics.is_empty() || !self.suppressions.is_empty();
        let source = if keep {
            Some(Arc::new(SourceFile::new(self.path.as_str(), self.text?)))
        } else {
            None
        };
        Some(Checked {
            path: self.path,
            extra: Some(()),
            diagnostics,
            source,
            summaries: self.summaries,
            suppressions: self.suppressions,
            fixed: 0,
            fixable: self.fixable,
        })
    }
}

/// An [`Entry`] written from a file's part of a run without copying it (the same encoding:
/// a slice as a `Vec`, `&str` as a `String`).
#[derive(Serialize)]
struct EntryRef<'a> {
    path: &'a str,
    hash: u128,
    stat: Option<Stat>,
    checked: bool,
    fixable: bool,
    diagnostics: Vec<DiagnosticRef<'a>>,
    summaries: &'a [RuleSummary],
    suppressions: &'a Suppressions,
    text: Option<&'a str>,
}

/// A [`StoredDiagnostic`] borrowed from a [`Diagnostic`].
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

impl<'a> EntryRef<'a> {
    /// The entry for a file's part of a run.
    fn of(c: &'a Checked<()>, per_file: bool, hash: u128, stat: Option<Stat>) -> Self {
        let keep = !c.diagnostics.is_empty() || !c.suppressions.is_empty();
        EntryRef {
            path: &c.path,
            hash,
            stat,
            checked: per_file,
            fixable: c.fixable,
            diagnostics: c
                .diagnostics
                .iter()
                .map(|d| DiagnosticRef {
                    code: d.code,
                    severity: d.severity,
                    message: &d.message,
                    path: &d.path,
                    span: d.span,
                    fix: &d.fix,
                    related: &d.related,
                })
                .collect(),
            summaries: &c.summaries,
            suppressions: &c.suppressions,
            text: if keep {
                c.source.as_ref().map(|s| s.text.as_str())
            } else {
                None
            },
        }
    }
}

/// An entry read from the pack and the bytes it was read from.
struct Stored {
    entry: Entry,
    range: Range<usize>,
}

/// What a run leaves for a file in the next pack.
enum Out {
    /// The entry read from the old pack, unchanged.
    Reuse(Range<usize>),
    /// A new entry, encoded.
    New(Vec<u8>),
    /// Nothing (a file that could not be cached: unreadable, fixed in place, not on disk).
    Nothing,
}

/// The lint cache of one repository root and one set of settings, opened for a run.
pub struct LintCache {
    pack: PathBuf,
    key: String,
    bytes: Vec<u8>,
    stored: Vec<Stored>,
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
        let mut cache = LintCache {
            pack,
            key,
            bytes: Vec::new(),
            stored: Vec::new(),
            prune,
            started,
        };
        match std::fs::read(&cache.pack) {
            Ok(bytes) => match decode(&bytes, &cache.key) {
                Ok(stored) => {
                    cache.bytes = bytes;
                    cache.stored = stored;
                }
                Err(why) => note(format_args!("{}: ignored: {why}", cache.pack.display())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => note(format_args!("{}: not read: {e}", cache.pack.display())),
        }
        cache
    }

    /// The pack file this cache reads and writes.
    pub fn pack_path(&self) -> &Path {
        &self.pack
    }

    /// Lints `inputs` as [`super::run`] does, taking each unchanged file's part from the
    /// cache, then writes the cache back (a failure to write is a debug note, not an error:
    /// the outcome is the same).
    pub fn run(self, inputs: &[Input], opts: &Options) -> Result<(Outcome, Stats), IoError> {
        crate::timings::mark("lint: start (cache)");
        let LintCache {
            pack,
            key,
            bytes,
            stored,
            prune,
            started,
        } = self;
        let old_count = stored.len();
        let index: Vec<Option<usize>> = inputs
            .par_iter()
            .map(|i| {
                stored
                    .binary_search_by(|s| s.entry.path.as_str().cmp(i.path.as_str()))
                    .ok()
            })
            .collect();
        let mut slots: Vec<Option<Stored>> = stored.into_iter().map(Some).collect();
        let olds: Vec<Option<Stored>> = index
            .iter()
            .map(|i| i.and_then(|i| slots[i].take()))
            .collect();
        let limit = started
            .checked_sub(RACY)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        crate::timings::mark("lint: cache read");
        let results: Vec<(Checked<()>, Out, u8)> = inputs
            .par_iter()
            .zip(olds.into_par_iter())
            .map(|(input, old)| {
                let r = one(input, old, opts, limit);
                crate::progress::add(1);
                r
            })
            .collect::<Result<_, _>>()?;
        let mut stats = Stats::default();
        let mut checked = Vec::with_capacity(results.len());
        let mut outs: Vec<(&str, Out)> = Vec::with_capacity(results.len());
        for ((c, out, how), input) in results.into_iter().zip(inputs) {
            match how {
                0 => stats.unread += 1,
                1 => stats.rehashed += 1,
                _ => stats.checked += 1,
            }
            checked.push(c);
            outs.push((input.path.as_str(), out));
        }
        crate::timings::mark("lint: per-file checks (cache)");
        note(format_args!(
            "{} files: {} unchanged (not read), {} unchanged (read and hashed), {} checked",
            inputs.len(),
            stats.unread,
            stats.rehashed,
            stats.checked
        ));
        let kept: Vec<(&str, Out)> = if prune {
            Vec::new()
        } else {
            slots
                .iter()
                .flatten()
                .map(|s| (s.entry.path.as_str(), Out::Reuse(s.range.clone())))
                .collect()
        };
        let unchanged = kept.len()
            + outs
                .iter()
                .filter(|(_, o)| matches!(o, Out::Reuse(_)))
                .count()
            == old_count
            && outs.iter().all(|(_, o)| !matches!(o, Out::New(_)));
        let outcome = std::thread::scope(|s| {
            if !unchanged {
                s.spawn(|| {
                    if let Err(e) = write(&pack, &key, &bytes, outs, kept) {
                        note(format_args!("{}: not written: {e}", pack.display()));
                    }
                });
            }
            assemble(checked, inputs, opts).0
        });
        crate::timings::mark("lint: done (cache)");
        crate::drop_in_background((bytes, slots));
        Ok((outcome, stats))
    }
}

/// One file's part of a cached run: the checked file, what it leaves in the next pack, and
/// how it was found (0 unchanged and not read, 1 unchanged by its hash, 2 checked).
fn one(
    input: &Input,
    old: Option<Stored>,
    opts: &Options,
    limit: i128,
) -> Result<(Checked<()>, Out, u8), IoError> {
    let per_file = opts.only.as_ref().is_none_or(|o| o.contains(&input.path));
    let uncached = |input: &Input| -> Result<(Checked<()>, Out, u8), IoError> {
        Ok((super::process(input, opts, &|_| ())?, Out::Nothing, 2))
    };
    let Origin::Disk(path) = &input.origin else {
        return uncached(input);
    };
    let old = old.filter(|o| o.entry.serves(per_file, opts.fix));
    // Only a file with an entry is looked at before it is read; the others are read at once
    // and their state taken from the open file.
    let stat = match &old {
        Some(_) => match std::fs::metadata(path) {
            Ok(meta) => Some(Stat::of(&meta)),
            Err(_) => return uncached(input),
        },
        None => None,
    };
    let mut old = match old {
        Some(o) if stat.is_some() && o.entry.stat == stat => {
            let range = o.range.clone();
            match o.entry.checked(per_file) {
                Some(c) => return Ok((c, Out::Reuse(range), 0)),
                None => {
                    note(format_args!(
                        "{}: entry ignored (unknown code or no text)",
                        input.path
                    ));
                    None
                }
            }
        }
        other => other,
    };
    let (source, meta) = load::read_disk(input, path, opts.max_file_size)?;
    let source = match source {
        Ok(s) => s,
        Err((e, src)) => return Ok((super::unreadable(input, &e, src, opts), Out::Nothing, 2)),
    };
    let hash = xxhash_rust::xxh3::xxh3_128(source.text.as_bytes());
    let stat = Stat::of(&meta);
    let trusted = stat.settled(limit).then_some(stat);
    if let Some(o) = old.take().filter(|o| o.entry.hash == hash) {
        let mut entry = o.entry;
        entry.stat = trusted;
        let bytes = postcard::to_allocvec(&entry);
        if let Some(c) = entry.checked(per_file) {
            let out = bytes.map_or(Out::Nothing, Out::New);
            return Ok((c, out, 1));
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
        postcard::to_allocvec(&EntryRef::of(&c, per_file, hash, trusted))
            .map_or(Out::Nothing, Out::New)
    };
    Ok((c, out, 2))
}

/// Reads a pack: its entries, sorted by path, each with the bytes it was read from.
fn decode(bytes: &[u8], key: &str) -> Result<Vec<Stored>, String> {
    let mut at = 0usize;
    let at = &mut at;
    let mut take = |n: usize| take_bytes(bytes, at, n);
    if take(MAGIC.len())? != MAGIC {
        return Err("not a ruleforge lint cache of this layout".into());
    }
    let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let key_len = u64_of(take(8)?) as usize;
    if take(key_len)? != key.as_bytes() {
        return Err("written for another version, rule set, root or settings".into());
    }
    let n_chunks = u64_of(take(8)?) as usize;
    let mut lens = Vec::with_capacity(n_chunks.min(1 << 20));
    for _ in 0..n_chunks {
        lens.push(u64_of(take(8)?) as usize);
    }
    let checksum = u64_of(take(8)?);
    let body_start = *at;
    let body = &bytes[body_start..];
    if xxhash_rust::xxh3::xxh3_64(body) != checksum {
        return Err("checksum mismatch".into());
    }
    let mut ranges = Vec::with_capacity(lens.len());
    let mut start = body_start;
    for len in lens {
        let end = start.checked_add(len).ok_or("truncated")?;
        ranges.push(start..end);
        start = end;
    }
    if start != bytes.len() {
        return Err("chunk table does not match the file's size".into());
    }
    let chunks: Vec<Vec<Stored>> = ranges
        .into_par_iter()
        .map(|r| {
            let mut out = Vec::new();
            let mut rest = &bytes[r.clone()];
            while !rest.is_empty() {
                let before = rest.len();
                let (entry, tail) = postcard::take_from_bytes::<Entry>(rest)
                    .map_err(|e| format!("bad entry: {e}"))?;
                let from = r.end - before;
                out.push(Stored {
                    entry,
                    range: from..r.end - tail.len(),
                });
                rest = tail;
            }
            Ok(out)
        })
        .collect::<Result<_, String>>()?;
    let stored: Vec<Stored> = chunks.into_iter().flatten().collect();
    if !stored.windows(2).all(|w| w[0].entry.path < w[1].entry.path) {
        return Err("entries out of order".into());
    }
    Ok(stored)
}

/// The next `n` bytes of `bytes` from `*at`, advancing it.
fn take_bytes<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], String> {
    let end = at.checked_add(n).ok_or("truncated")?;
    let s = bytes.get(*at..end).ok_or("truncated")?;
    *at = end;
    Ok(s)
}

/// The bytes of one entry in the next pack.
fn piece<'a>(old: &'a [u8], o: &'a Out) -> &'a [u8] {
    match o {
        Out::Reuse(r) => &old[r.clone()],
        Out::New(b) => b,
        Out::Nothing => &[],
    }
}

/// Writes the next pack: the run's entries and the kept ones, merged by path, atomically.
fn write(
    pack: &Path,
    key: &str,
    old: &[u8],
    run: Vec<(&str, Out)>,
    kept: Vec<(&str, Out)>,
) -> std::io::Result<()> {
    // Both lists are sorted by path; a path the run saw twice is written once.
    let mut merged: Vec<(&str, Out)> = Vec::with_capacity(run.len() + kept.len());
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
        if matches!(next.1, Out::Nothing) || merged.last().is_some_and(|l| l.0 >= next.0) {
            continue;
        }
        merged.push(next);
    }
    let lens: Vec<usize> = merged
        .chunks(CHUNK)
        .map(|c| c.iter().map(|(_, o)| piece(old, o).len()).sum())
        .collect();
    let mut checksum = xxhash_rust::xxh3::Xxh3::new();
    for (_, o) in &merged {
        checksum.update(piece(old, o));
    }
    let mut head = Vec::with_capacity(key.len() + 32 + 8 * lens.len());
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&(key.len() as u64).to_le_bytes());
    head.extend_from_slice(key.as_bytes());
    head.extend_from_slice(&(lens.len() as u64).to_le_bytes());
    for l in &lens {
        head.extend_from_slice(&(*l as u64).to_le_bytes());
    }
    head.extend_from_slice(&checksum.digest().to_le_bytes());
    let dir = pack.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".lint-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(&head)?;
        for (_, o) in &merged {
            w.write_all(piece(old, o))?;
        }
        w.flush()?;
    }
    tmp.persist(pack).map_err(|e| e.error)?;
    Ok(())
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
