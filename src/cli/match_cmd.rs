//! `ruleforge match`: evaluates events against a rule set, fast.

use super::authoring;
use super::CmdResult;
use crate::matcher::{
    CompiledSet, EventError, EventValues, FieldTable, Observable, ParsedLines, RuleSpec, SetMatch,
};
use anyhow::{anyhow, Context};
use rayon::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule files or folders of YAML rules; or, with `--public-key`, one signed bundle
    /// (`.tar.gz`) whose compiled rules are matched after it verifies.
    #[arg(required = true, value_name = "RULES_PATH|BUNDLE")]
    pub rules: Vec<PathBuf>,
    /// Events: a JSON object, a JSON array of objects, or NDJSON; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,
    /// Print timing and throughput (events per second) on standard error.
    #[arg(long)]
    pub stats: bool,
    /// Skip rule files that do not load (reported on standard error) instead of failing.
    #[arg(long, conflicts_with = "public_keys")]
    pub skip_invalid: bool,
    /// The rules are a bundle, verified with this trusted minisign public key (repeat during a
    /// key rotation) before its rules are loaded.
    #[arg(long = "public-key", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// The bundle's signature file (default: BUNDLE.minisig).
    #[arg(long, value_name = "FILE", requires = "public_keys")]
    pub signature: Option<PathBuf>,
    /// Check the bundle's expiry at this time instead of now (RFC 3339, or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", requires = "public_keys")]
    pub now: Option<String>,
    /// The bundle version already installed: an older bundle is rejected as a rollback.
    #[arg(long, value_name = "N", requires = "public_keys")]
    pub current_version: Option<u64>,
}

/// Whether `path` is named like a bundle archive.
fn is_bundle_name(path: &std::path::Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
    name.is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz"))
}

/// The rule set to match: a verified bundle's compiled rules, or YAML rules compiled here.
enum Loaded {
    /// The set, the time loading (verifying and reading a bundle) took and the time compiling
    /// took.
    Set(CompiledSet, std::time::Duration, std::time::Duration),
    /// The bundle was rejected: the exit status (reported already).
    Rejected(ExitCode),
}

/// Verifies the bundle (the checks of the `ruleforge-bundle` crate, as a scanner runs them)
/// and compiles its native rules straight from `rules.json`: no YAML is read.
fn load_bundle(args: &Args) -> anyhow::Result<Loaded> {
    let [bundle] = &args.rules[..] else {
        return Err(anyhow!(
            "--public-key: give one bundle to match, not {} paths",
            args.rules.len()
        ));
    };
    let t0 = Instant::now();
    let keys = super::verify::load_public_keys(&args.public_keys)?;
    let opts = super::verify::options(args.now.as_deref(), args.current_version)?;
    let sig_path = args.signature.clone().unwrap_or_else(|| {
        let mut s = bundle.clone().into_os_string();
        s.push(".minisig");
        PathBuf::from(s)
    });
    let signature = super::verify::read_small(&sig_path, "signature")?;
    let signature = String::from_utf8(signature).unwrap_or_default();
    // The rules are compiled in runs while `rules.json` is read (in place: no typed copy of
    // each rule); nothing of them is used unless every check of the bundle passes.
    let verified = super::verify::read_archive(bundle, &opts)?.and_then(|a| {
        let v = ruleforge_bundle::verify_in_place(&a, &signature, &keys, &opts, |first, run| {
            CompiledSet::compile_run(first, run)
        });
        crate::drop_in_background(a);
        v
    });
    let verified = match verified {
        Ok(v) => v,
        Err(e) => {
            let e = crate::dist::DistError::from(e);
            return Ok(Loaded::Rejected(super::verify::rejected(bundle, &e)));
        }
    };
    let t_verify = t0.elapsed();
    crate::timings::mark("match: bundle verified, rules compiled by runs");
    let ruleforge_bundle::VerifiedWith {
        rules,
        members,
        sigma,
        ..
    } = verified;
    // The verified member bytes (`rules.json` is tens of megabytes) and the Sigma documents
    // are not needed to match.
    crate::drop_in_background((members, sigma));
    let set = CompiledSet::from_runs(rules)
        .with_context(|| format!("{}: rules.json", bundle.display()))?;
    crate::timings::mark("match: rule set built");
    Ok(Loaded::Set(set, t_verify, t0.elapsed() - t_verify))
}

/// Loads YAML rules: each file is parsed and reduced to its matcher spec.
fn load_rule_set(args: &Args) -> anyhow::Result<Vec<RuleSpec>> {
    if let Some(b) = args.rules.iter().find(|p| is_bundle_name(p) && p.is_file()) {
        return Err(anyhow!(
            "{}: a bundle is matched after it verifies: pass --public-key FILE",
            b.display()
        ));
    }
    let (ws, paths) = authoring::targets(&args.rules)?;
    let (root, cfg) = (ws.root, ws.config);
    let inputs = crate::load::discover(&root, &paths)?;
    // Parse and reduce each file to its matcher spec in parallel, keeping only the specs: a
    // large rule set never holds every YAML tree in memory at once.
    let max = cfg.lint.max_file_size;
    let results: Vec<Result<RuleSpec, String>> = inputs
        .par_iter()
        .map(|input| {
            Ok(match crate::load::read(input, max)? {
                Err((e, src)) => Err(authoring::content_line(&e, &src)),
                Ok(src) => {
                    let file = crate::rule::RuleFile::parse(src);
                    match authoring::load_error(&file) {
                        Some(d) => Err(authoring::diag_line(&d, Some(&file.source))),
                        None => authoring::spec_of(&file),
                    }
                }
            })
        })
        .collect::<Result<_, crate::load::IoError>>()?;
    let mut specs = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => specs.push(s),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        let mut err = anstream::stderr().lock();
        for e in &errors {
            let _ = writeln!(err, "{e}");
        }
        if !args.skip_invalid {
            return Err(anyhow!(
                "{} rule {} not load (fix them, or pass --skip-invalid)",
                errors.len(),
                if errors.len() == 1 {
                    "file does"
                } else {
                    "files do"
                }
            ));
        }
    }
    Ok(specs)
}

/// Events (non-blank NDJSON lines) read and evaluated per parallel batch.
const BATCH: usize = 8192;
/// A batch also ends after this many bytes.
const BATCH_BYTES: usize = 16 << 20;

/// How a batch of lines ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// [`BATCH`] lines or [`BATCH_BYTES`] were read.
    Full,
    /// A live input (a pipe, a terminal, a socket) has no more lines waiting: the batch's
    /// matches are written now, not when more events arrive.
    Idle,
    /// The input ended.
    Eof,
}

/// Whether the events come from a live input (a pipe, a terminal, a FIFO, a socket: `tail -f
/// eve.json | ruleforge match …`) and, for [`read_batch`], whether a read of it that would
/// wait is to end the batch instead. A batch of a live input ends as soon as no more input is
/// waiting, so each event's matches are written once it is read, not when 8,192 more have
/// come. A regular file is never asked.
#[derive(Clone, Default)]
struct Live {
    /// Set by [`read_batch`] while its batch holds events.
    hold: Arc<AtomicBool>,
    /// A live input's descriptor (`None`: a regular file, or a platform without `poll`).
    #[cfg(unix)]
    fd: Option<Arc<std::os::fd::OwnedFd>>,
}

impl Live {
    /// What is known of `source`: live unless it is a regular file.
    #[cfg(unix)]
    fn of(source: std::os::fd::BorrowedFd<'_>) -> anyhow::Result<Self> {
        let st = rustix::fs::fstat(source).context("stat")?;
        let file = rustix::fs::FileType::from_raw_mode(st.st_mode).is_file();
        let fd = match file {
            true => None,
            false => Some(Arc::new(source.try_clone_to_owned()?)),
        };
        Ok(Live {
            hold: Arc::default(),
            fd,
        })
    }

    fn set(&self, on: bool) {
        self.hold.store(on, Ordering::Relaxed);
    }

    fn held(&self) -> bool {
        self.hold.load(Ordering::Relaxed)
    }

    /// Whether a read would return within `ms` milliseconds (input waiting, or its end).
    /// Always true for a regular file, and when the input cannot be asked.
    fn waiting(&self, ms: i64) -> bool {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use rustix::event::{poll, PollFd, PollFlags, Timespec};
            let mut fds = [PollFd::new(fd.as_ref(), PollFlags::IN)];
            let timeout = Timespec {
                tv_sec: ms / 1000,
                tv_nsec: (ms % 1000) * 1_000_000,
            };
            return poll(&mut fds, Some(&timeout)).map_or(true, |n| n > 0);
        }
        let _ = ms;
        true
    }
}

/// The events' input, read through [`Live`]: while a batch holds events, a read of a live
/// input with nothing waiting returns `WouldBlock` instead of waiting.
struct Input {
    inner: Box<dyn Read>,
    live: Live,
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.live.held() && !self.live.waiting(0) {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        self.inner.read(buf)
    }
}

/// Where matches go: NDJSON lines on standard output, counted.
struct Sink<'s, W: Write> {
    set: &'s CompiledSet,
    out: W,
    matches: usize,
}

impl<W: Write> Sink<'_, W> {
    /// Writes `bytes`; `Ok(false)` when the reader went away (a closed pipe ends the run).
    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<bool> {
        match self.out.write_all(bytes) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(anyhow!("writing output: {e}")),
        }
    }

    /// Writes out what is buffered (after a batch of a live input); `Ok(false)` when the
    /// reader went away.
    fn flush(&mut self) -> anyhow::Result<bool> {
        match self.out.flush() {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(anyhow!("writing output: {e}")),
        }
    }

    /// Counts and writes the output of a batch of events, in order (one `(lines, matches)`
    /// per event); `Ok(false)` when the reader went away.
    fn emit(&mut self, results: Vec<(Vec<u8>, usize)>) -> anyhow::Result<bool> {
        crate::progress::add(results.len() as u64);
        for (out, n) in results {
            self.matches += n;
            if !self.write(&out)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The output lines of `event`'s matches, and how many there are.
fn output(set: &CompiledSet, event: usize, ms: &[SetMatch]) -> (Vec<u8>, usize) {
    let mut buf = Vec::new();
    format_matches(set, event, ms, &mut buf);
    (buf, ms.len())
}

/// Appends the output lines of `event`'s matches to `buf`:
/// `{"event":N,"id":"…","title":"…","groups":["…"]}`.
fn format_matches(set: &CompiledSet, event: usize, ms: &[SetMatch], buf: &mut Vec<u8>) {
    for m in ms {
        let (id, title) = set.rule(m.rule);
        buf.extend_from_slice(b"{\"event\":");
        let _ = write!(buf, "{event}");
        buf.extend_from_slice(b",\"id\":");
        let _ = serde_json::to_writer(&mut *buf, id);
        buf.extend_from_slice(b",\"title\":");
        let _ = serde_json::to_writer(&mut *buf, title);
        buf.extend_from_slice(b",\"groups\":");
        let _ = serde_json::to_writer(&mut *buf, &m.groups);
        buf.extend_from_slice(b"}\n");
    }
}

/// The output of one NDJSON line, or `None` when the line is not one JSON object (the
/// sequential reader then reports it with its position).
fn eval_line(set: &CompiledSet, line: &[u8], event: usize) -> Option<(Vec<u8>, usize)> {
    let ms = match EventValues::parse(line, set.fields()) {
        Ok(values) => set.matches_values(&values),
        Err(EventError::DuplicateKey) => {
            let v: serde_json::Value = serde_json::from_slice(line).ok()?;
            set.matches(&Observable::from_json(&v).ok()?)
        }
        Err(EventError::Invalid) => return None,
    };
    Some(output(set, event, &ms))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Reads the next batch of lines (up to [`BATCH`] non-blank ones or [`BATCH_BYTES`]) into
/// `buf`, the ranges of the non-blank ones into `spans`; returns the number of lines read and
/// how the batch ended. With events in the batch, `live` is held: a live [`Input`] with nothing
/// waiting then ends the batch ([`End::Idle`]) instead of waiting for more.
fn read_batch<R: BufRead>(
    reader: &mut R,
    name: &str,
    buf: &mut Vec<u8>,
    spans: &mut Vec<std::ops::Range<usize>>,
    live: &Live,
) -> anyhow::Result<(usize, End)> {
    /// Lets go of `live` however the batch ends: no other read may see `WouldBlock`.
    struct Release<'l>(&'l Live);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            self.0.set(false);
        }
    }
    let _release = Release(live);
    buf.clear();
    spans.clear();
    let mut lines = 0;
    while spans.len() < BATCH && buf.len() < BATCH_BYTES {
        let start = buf.len();
        live.set(!spans.is_empty());
        loop {
            match reader.read_until(b'\n', buf) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if buf.len() == start {
                        return Ok((lines, End::Idle));
                    }
                    // Part of a line is in: wait for the rest of it.
                    live.set(false);
                }
                Err(e) => return Err(e).with_context(|| name.to_string()),
            }
        }
        if buf.len() == start {
            return Ok((lines, End::Eof));
        }
        lines += 1;
        if !is_blank(&buf[start..]) {
            spans.push(start..buf.len());
        }
    }
    Ok((lines, End::Full))
}

/// NDJSON: batches of lines are read, then parsed and matched in parallel; the output keeps
/// the input order. A batch with a line that is not one JSON object (an object over several
/// lines, two on one line, invalid JSON) is read again, with the rest of the input, by
/// [`sequential`], which accepts any whitespace-separated JSON objects and names the position
/// of an error. `events` and `lines` are those before `reader`'s first byte.
fn ndjson<R: BufRead, W: Write>(
    mut reader: R,
    name: &str,
    live: &Live,
    sink: &mut Sink<'_, W>,
    mut events: usize,
    mut lines: usize,
) -> anyhow::Result<usize> {
    let set = sink.set;
    let mut buf: Vec<u8> = Vec::new();
    let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(BATCH);
    loop {
        let (batch_lines, end) = read_batch(&mut reader, name, &mut buf, &mut spans, live)?;
        let results: Option<Vec<(Vec<u8>, usize)>> = spans
            .par_iter()
            .enumerate()
            .map(|(i, r)| eval_line(set, &buf[r.clone()], events + i))
            .collect();
        let Some(results) = results else {
            let rest = std::io::Cursor::new(std::mem::take(&mut buf)).chain(reader);
            return sequential(rest, name, lines, events, sink);
        };
        if !sink.emit(results)? || (end == End::Idle && !sink.flush()?) {
            return Ok(events + spans.len());
        }
        events += spans.len();
        lines += batch_lines;
        if end == End::Eof {
            return Ok(events);
        }
    }
}

/// At most this many bytes of events are read ahead while the rules load (so memory stays
/// bounded whatever the input's length): YAML rules, and a small bundle.
const AHEAD_BYTES: usize = 64 << 20;
/// A bundle's read-ahead is this many times its size (within [`AHEAD_BYTES`] and
/// [`AHEAD_MAX`]): loading it keeps one core busy for long stretches (inflating, hashing,
/// splitting `rules.json`) in which the other parses about this many bytes of NDJSON per byte
/// of the archive (a 28 MB, 100,000-rule bundle: about 100 MB of events).
const AHEAD_PER_BUNDLE_BYTE: u64 = 8;
/// The read-ahead of the largest bundles.
const AHEAD_MAX: usize = 256 << 20;

/// How many bytes of events are read ahead while the rules of `args` load.
fn ahead_bytes(args: &Args) -> usize {
    let bundle = match &args.rules[..] {
        [bundle] if !args.public_keys.is_empty() => bundle,
        _ => return AHEAD_BYTES,
    };
    let size = std::fs::metadata(bundle).map_or(0, |m| m.len());
    let scaled = usize::try_from(size.saturating_mul(AHEAD_PER_BUNDLE_BYTE)).unwrap_or(AHEAD_MAX);
    scaled.clamp(AHEAD_BYTES, AHEAD_MAX)
}

/// Events read and parsed while the rules load.
#[derive(Default)]
struct Ahead {
    /// The first byte that is not whitespace (`None`: no events).
    first: Option<u8>,
    /// NDJSON batches parsed, with the number of lines each spans.
    batches: Vec<(ParsedLines, usize)>,
    /// Lines read but not parsed (a batch with a line [`ParsedLines`] does not take): read
    /// again, before the rest of the input, by [`ndjson`].
    rest: Vec<u8>,
    /// The input ended (and `rest` holds all that is left).
    eof: bool,
}

/// Reads the input's first byte and, for NDJSON, parses batches of events until `loaded`
/// says the rules are ready, `cap` bytes are read, or the input ends.
fn read_ahead<R: BufRead>(
    reader: &mut R,
    name: &str,
    live: &Live,
    table: &FieldTable,
    cap: usize,
    loaded: impl Fn() -> bool,
) -> anyhow::Result<Ahead> {
    let first = loop {
        let buf = reader.fill_buf().with_context(|| name.to_string())?;
        if buf.is_empty() {
            break None;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                break Some(b);
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    let mut ahead = Ahead {
        first,
        ..Ahead::default()
    };
    if matches!(ahead.first, None | Some(b'[')) {
        return Ok(ahead);
    }
    let mut read = 0;
    let mut spans = Vec::with_capacity(BATCH);
    while !loaded() && read < cap {
        let mut buf = Vec::new();
        let (lines, end) = read_batch(reader, name, &mut buf, &mut spans, live)?;
        read += buf.len();
        match ParsedLines::parse(buf, table) {
            Ok(batch) => ahead.batches.push((batch, lines)),
            Err(bytes) => {
                ahead.rest = bytes;
                ahead.eof = end == End::Eof;
                break;
            }
        }
        match end {
            End::Full => {}
            // More input is waited for while the rules load; once they are ready, the events
            // in so far are matched at once.
            End::Idle => {
                while !loaded() && !live.waiting(10) {}
                if loaded() {
                    break;
                }
            }
            End::Eof => {
                ahead.eof = true;
                break;
            }
        }
    }
    Ok(ahead)
}

/// Matches the batches read ahead (events `0…`) in parallel and writes the matches in order;
/// returns the events and lines done, and whether the reader of the output is still there.
fn run_ahead<W: Write>(
    batches: Vec<(ParsedLines, usize)>,
    sink: &mut Sink<'_, W>,
) -> anyhow::Result<(usize, usize, bool)> {
    let set = sink.set;
    let (mut events, mut lines) = (0, 0);
    for (batch, batch_lines) in batches {
        let results = (0..batch.len())
            .into_par_iter()
            .map(|i| output(set, events + i, &set.matches_values(&batch.event(i))))
            .collect();
        if !sink.emit(results)? {
            return Ok((events + batch.len(), lines, false));
        }
        events += batch.len();
        lines += batch_lines;
    }
    Ok((events, lines, true))
}

/// Whitespace-separated JSON objects read one after the other (parsed in sequence, matched in
/// parallel batches). `lines` and `events` are those before `reader`'s first byte.
fn sequential<R: Read, W: Write>(
    reader: R,
    name: &str,
    lines: usize,
    mut events: usize,
    sink: &mut Sink<'_, W>,
) -> anyhow::Result<usize> {
    let stream = serde_json::Deserializer::from_reader(reader).into_iter::<serde_json::Value>();
    let mut batch = Vec::with_capacity(BATCH);
    for v in stream {
        let v = v.map_err(|e| {
            // serde_json's message ends with the position in `reader`: give it in the input.
            let (line, column) = (e.line() + lines, e.column());
            let msg = e.to_string();
            let suffix = format!(" at line {} column {column}", e.line());
            let msg = match msg.strip_suffix(&suffix) {
                Some(m) if lines > 0 => format!("{m} at line {line} column {column}"),
                _ => msg,
            };
            anyhow!("{name}:{line}:{column}: invalid JSON: {msg}")
        })?;
        batch.push(to_obs(&v, name, events)?);
        events += 1;
        if batch.len() == BATCH {
            if !run_batch(&batch, events - batch.len(), sink)? {
                return Ok(events);
            }
            batch.clear();
        }
    }
    if !batch.is_empty() {
        run_batch(&batch, events - batch.len(), sink)?;
    }
    Ok(events)
}

fn to_obs(v: &serde_json::Value, name: &str, i: usize) -> anyhow::Result<Observable> {
    Observable::from_json(v).with_context(|| format!("{name}: event {i}"))
}

/// Matches `batch` (events `base`…) in parallel and writes the matches in order.
fn run_batch<W: Write>(
    batch: &[Observable],
    base: usize,
    sink: &mut Sink<'_, W>,
) -> anyhow::Result<bool> {
    let set = sink.set;
    let results = batch
        .par_iter()
        .enumerate()
        .map(|(i, o)| output(set, base + i, &set.matches(o)))
        .collect();
    sink.emit(results)
}

/// NDJSON: the batches read ahead, then the rest of the input (from `reader`) as [`ndjson`]
/// reads it; returns the number of events.
fn ndjson_after<R: BufRead, W: Write>(
    ahead: Ahead,
    reader: R,
    name: &str,
    live: &Live,
    sink: &mut Sink<'_, W>,
) -> anyhow::Result<usize> {
    match run_ahead(ahead.batches, sink)? {
        (events, _, false) => Ok(events),
        (events, _, true) if ahead.eof && ahead.rest.is_empty() => Ok(events),
        // What was read ahead is out before the input is waited for.
        (events, _, true) if !sink.flush()? => Ok(events),
        (events, lines, true) => {
            let rest = std::io::Cursor::new(ahead.rest).chain(reader);
            ndjson(rest, name, live, sink, events, lines)
        }
    }
}

/// Loads the rules (verifying a bundle, or reading YAML) and compiles them: the set, the time
/// loading took and the time compiling took.
fn load(args: &Args) -> anyhow::Result<Loaded> {
    let t0 = Instant::now();
    if args.public_keys.is_empty() {
        let specs = load_rule_set(args)?;
        let t_load = t0.elapsed();
        let set = CompiledSet::new(&specs)?;
        crate::drop_in_background(specs);
        Ok(Loaded::Set(set, t_load, t0.elapsed() - t_load))
    } else {
        load_bundle(args)
    }
}

/// The events' input (`-`: standard input), and what is known of it.
fn open_events(path: &std::path::Path, name: &str) -> anyhow::Result<(Box<dyn Read>, Live)> {
    #[cfg(unix)]
    {
        // Standard input's descriptor itself, not `Stdin`'s buffer: what a live input has
        // waiting must be what its descriptor is asked about.
        let file = match name {
            "-" => std::fs::File::from(
                std::os::fd::AsFd::as_fd(&std::io::stdin())
                    .try_clone_to_owned()
                    .context("standard input")?,
            ),
            _ => std::fs::File::open(path).with_context(|| name.to_string())?,
        };
        let live = Live::of(std::os::fd::AsFd::as_fd(&file)).with_context(|| name.to_string())?;
        Ok((Box::new(file), live))
    }
    #[cfg(not(unix))]
    {
        let source: Box<dyn Read> = match name {
            "-" => Box::new(std::io::stdin().lock()),
            _ => Box::new(std::fs::File::open(path).with_context(|| name.to_string())?),
        };
        Ok((source, Live::default()))
    }
}

pub fn exec(args: Args) -> CmdResult {
    let name = args.event.display().to_string();
    let (source, live) = open_events(&args.event, &name)?;
    let input = Input {
        inner: source,
        live: live.clone(),
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    // The rules load on another thread while this one reads and parses the first events
    // (loading has long stretches on one core: inflating, hashing, building an index).
    let table = FieldTable::new();
    let (loaded, ahead) = std::thread::scope(|scope| {
        let loader = scope.spawn(|| load(&args));
        let cap = ahead_bytes(&args);
        let ahead = read_ahead(&mut reader, &name, &live, &table, cap, || {
            loader.is_finished()
        });
        crate::timings::mark("match: events read ahead");
        let loaded = loader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (loaded, ahead)
    });
    let (set, t_load, t_compile) = match loaded? {
        Loaded::Set(set, t_load, t_compile) => (set, t_load, t_compile),
        Loaded::Rejected(code) => return Ok(code),
    };
    let ahead = ahead?;
    let read_ahead: usize = ahead.batches.iter().map(|(b, _)| b.len()).sum();

    let stdout = std::io::stdout();
    let mut sink = Sink {
        set: &set,
        out: std::io::BufWriter::with_capacity(1 << 16, stdout.lock()),
        matches: 0,
    };
    let t_match = Instant::now();
    // Matches go to standard output: a bar only while they go to a file or a pipe.
    let progress = super::progress::Progress::start(
        super::progress::wanted(!std::io::IsTerminal::is_terminal(&std::io::stdout())),
        "matching",
        "events",
        None,
    );
    let events = match ahead.first {
        None => 0,
        Some(b'[') => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .with_context(|| name.to_string())?;
            let all: Vec<serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| {
                let place = format!("{name}:{}:{}", e.line(), e.column());
                anyhow::Error::new(e).context(place)
            })?;
            drop(bytes);
            for (c, chunk) in all.chunks(BATCH).enumerate() {
                let base = c * BATCH;
                let obs: Vec<Observable> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, v)| to_obs(v, &name, base + i))
                    .collect::<Result<_, _>>()?;
                if !run_batch(&obs, base, &mut sink)? {
                    break;
                }
            }
            all.len()
        }
        Some(_) => ndjson_after(ahead, reader, &name, &live, &mut sink)?,
    };
    let _ = sink.out.flush();
    crate::timings::mark("match: events matched");
    drop(progress);
    let matches = sink.matches;
    drop(sink);
    let elapsed = t_match.elapsed();
    if args.stats {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge match: {} rules loaded in {:.3} s, compiled in {:.3} s; {events} events in {:.3} s ({:.0} events/s, {} threads; {read_ahead} of them parsed while the rules loaded); {matches} matches",
            set.len(),
            t_load.as_secs_f64(),
            t_compile.as_secs_f64(),
            secs,
            events as f64 / secs,
            rayon::current_num_threads(),
        );
    }
    // The process ends here: freeing the set's millions of allocations one by one is wasted.
    std::mem::forget(set);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{GroupSpec, TypeSpec};

    /// The events and output of one run.
    type Run = anyhow::Result<(usize, String)>;

    fn set() -> CompiledSet {
        let rule = |id: &str, ty: &str, value: &str| RuleSpec {
            id: id.into(),
            title: format!("rule {id}"),
            groups: vec![GroupSpec {
                name: "g".into(),
                types: vec![TypeSpec {
                    key: ty.into(),
                    values: vec![value.into()],
                }],
            }],
            condition: None,
        };
        CompiledSet::new(&[
            rule("a", "domain", "*.example.org"),
            rule("b", "command_line", "*-enc aaaabbbbcccc*"),
            rule("c", "md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ])
        .unwrap()
    }

    /// The output of `input` read ahead (everything, as when the rules take long to load)
    /// and then by the plain reader, and by the plain reader alone.
    fn both_ways(input: &[u8]) -> (Run, Run) {
        let set = set();
        let live = Live::default();
        let run = |ahead: bool| {
            let mut sink = Sink {
                set: &set,
                out: Vec::new(),
                matches: 0,
            };
            let mut reader = std::io::Cursor::new(input.to_vec());
            let events = if ahead {
                let ahead =
                    read_ahead(&mut reader, "ev", &live, set.fields(), AHEAD_BYTES, || {
                        false
                    })?;
                assert!(ahead.first.is_some());
                ndjson_after(ahead, reader, "ev", &live, &mut sink)?
            } else {
                read_ahead(&mut reader, "ev", &live, set.fields(), AHEAD_BYTES, || true)?;
                ndjson(reader, "ev", &live, &mut sink, 0, 0)?
            };
            Ok((events, String::from_utf8(sink.out).unwrap()))
        };
        (run(true), run(false))
    }

    fn events(n: usize) -> String {
        (0..n)
            .map(|i| match i % 4 {
                0 => format!("{{\"dns.question.name\":\"h{i}.example.org\"}}\n"),
                1 => format!("{{\"process\":{{\"command_line\":\"x -ENC aaaabbbbcccc {i}\"}}}}\n"),
                2 => "{\"file.hash.md5\":\"D41D8CD98F00B204E9800998ECF8427E\"}\n\n".into(),
                _ => format!("{{\"event.id\":{i}}}\n"),
            })
            .collect()
    }

    #[test]
    fn events_read_ahead_match_as_events_read_after() {
        // Several batches, blank lines, then a repeated key (the plain reader's way), then more.
        let mut input = events(20_000);
        input.push_str(
            "{\"dns.question.name\":\"x.org\",\"dns.question.name\":\"a.example.org\"}\n",
        );
        input.push_str(&events(9_000));
        let (ahead, plain) = both_ways(input.as_bytes());
        let (ahead, plain) = (ahead.unwrap(), plain.unwrap());
        assert_eq!(ahead.0, 29_001);
        assert!(ahead.1.lines().count() > 20_000, "{}", ahead.1.len());
        assert_eq!(ahead, plain);
    }

    /// A batch of a live input ends when nothing more is waiting (its events are matched
    /// then), but a line half written is waited for, never split; a file is never asked.
    #[cfg(unix)]
    #[test]
    fn a_live_batch_ends_when_nothing_waits_and_never_splits_a_line() {
        let (r, mut w) = std::io::pipe().unwrap();
        let live = Live::of(std::os::fd::AsFd::as_fd(&r)).unwrap();
        assert!(live.fd.is_some());
        let input = Input {
            inner: Box::new(r),
            live: live.clone(),
        };
        let mut reader = BufReader::with_capacity(16, input);
        w.write_all(b"{\"a\":1}\n\n{\"a\":2}\n{\"a\":").unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            w.write_all(b"3}\n").unwrap();
            w
        });
        let (mut buf, mut spans) = (Vec::new(), Vec::new());
        let (lines, end) = read_batch(&mut reader, "ev", &mut buf, &mut spans, &live).unwrap();
        assert_eq!((lines, end, spans.len()), (4, End::Idle, 3));
        assert_eq!(&buf[spans[2].clone()], b"{\"a\":3}\n");
        assert!(!live.held());
        drop(writer.join().unwrap());
        let (lines, end) = read_batch(&mut reader, "ev", &mut buf, &mut spans, &live).unwrap();
        assert_eq!((lines, end), (0, End::Eof));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, "{\"a\":1}\n").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        assert!(Live::of(std::os::fd::AsFd::as_fd(&file))
            .unwrap()
            .fd
            .is_none());
    }

    /// A bundle's events are read ahead in proportion to its size, between the two caps;
    /// YAML rules and small bundles keep the smaller one.
    #[test]
    fn read_ahead_grows_with_the_bundle_within_its_caps() {
        let dir = tempfile::tempdir().unwrap();
        let args = |rules: Vec<PathBuf>, keys: usize| Args {
            rules,
            event: "-".into(),
            stats: false,
            skip_invalid: false,
            public_keys: vec![dir.path().join("k.pub"); keys],
            signature: None,
            now: None,
            current_version: None,
        };
        let bundle = |mib: u64| {
            let path = dir.path().join(format!("b{mib}.tar.gz"));
            let f = std::fs::File::create(&path).unwrap();
            f.set_len(mib << 20).unwrap();
            path
        };
        assert_eq!(ahead_bytes(&args(vec![dir.path().into()], 0)), AHEAD_BYTES);
        assert_eq!(ahead_bytes(&args(vec![bundle(1)], 1)), AHEAD_BYTES);
        assert_eq!(ahead_bytes(&args(vec![bundle(20)], 1)), 160 << 20);
        assert_eq!(ahead_bytes(&args(vec![bundle(100)], 2)), AHEAD_MAX);
        // Not readable: the smaller cap.
        let missing = dir.path().join("missing.tar.gz");
        assert_eq!(ahead_bytes(&args(vec![missing], 1)), AHEAD_BYTES);
    }

    #[test]
    fn a_bad_line_read_ahead_is_named_as_after() {
        let mut input = events(10_000);
        input.push_str("{\"dns.question.name\": \"a.example.org\"\n");
        input.push_str(&events(10));
        let (ahead, plain) = both_ways(input.as_bytes());
        let (ahead, plain) = (ahead.unwrap_err(), plain.unwrap_err());
        assert_eq!(format!("{ahead:#}"), format!("{plain:#}"));
        assert!(format!("{ahead}").starts_with("ev:1250"), "{ahead}");
    }
}
