//! `ruleforge match`: evaluates events against a rule set, fast.

use super::authoring;
use super::{CmdResult, Failure};
use crate::matcher::{CompiledSet, Observable, RuleSpec};
use rayon::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule files or folders of YAML rules.
    #[arg(required = true, value_name = "RULES_PATH")]
    pub rules: Vec<PathBuf>,
    /// Events: a JSON object, a JSON array of objects, or NDJSON; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,
    /// Print timing and throughput (events per second) on standard error.
    #[arg(long)]
    pub stats: bool,
    /// Skip rule files that do not load (reported on standard error) instead of failing.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// Events evaluated per parallel batch.
const BATCH: usize = 4096;

/// Loads the rule set. This is the place where other rule sources plug in: a signed bundle
/// reader turns the bundle's compiled rules into [`RuleSpec`]s (they carry the same id,
/// title, groups and condition) and returns them here, e.g. when `path` names a bundle file.
fn load_rule_set(args: &Args) -> Result<Vec<RuleSpec>, Failure> {
    let (root, cfg, paths) = authoring::targets(&args.rules)?;
    let inputs = crate::load::discover(&root, &paths)?;
    // Parse and reduce each file to its matcher spec in parallel, keeping only the specs: a
    // large rule set never holds every YAML tree in memory at once.
    let max = cfg.lint.max_file_size;
    let results: Vec<Result<RuleSpec, String>> = inputs
        .par_iter()
        .map(|input| {
            Ok(match crate::load::read(input, max)? {
                Err((d, src)) => Err(authoring::diag_line(&d, Some(&src))),
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
            return Err(Failure(format!(
                "{} rule {} not load (fix them, or pass --skip-invalid)",
                errors.len(),
                if errors.len() == 1 {
                    "file does"
                } else {
                    "files do"
                }
            )));
        }
    }
    Ok(specs)
}

pub fn exec(args: Args) -> CmdResult {
    let name = args.event.display().to_string();
    let reader: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.event).map_err(|e| Failure(format!("{name}: {e}")))?)
    };
    let t0 = Instant::now();
    let specs = load_rule_set(&args)?;
    let t_load = t0.elapsed();
    let set = CompiledSet::new(&specs)?;
    let t_compile = t0.elapsed() - t_load;
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let first = loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| Failure(format!("{name}: {e}")))?;
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

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut events = 0usize;
    let mut matches = 0usize;
    let t_match = Instant::now();
    let mut run_batch = |batch: &[Observable], base: usize| -> Result<bool, Failure> {
        let results: Vec<_> = batch.par_iter().map(|o| set.matches(o)).collect();
        for (i, ms) in results.iter().enumerate() {
            for m in ms {
                let (id, title) = set.rule(m.rule);
                let line = serde_json::json!({
                    "event": base + i,
                    "id": id,
                    "title": title,
                    "groups": m.groups,
                });
                matches += 1;
                if let Err(e) = writeln!(out, "{line}") {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(false);
                    }
                    return Err(Failure(format!("writing output: {e}")));
                }
            }
        }
        Ok(true)
    };

    let to_obs = |v: &serde_json::Value, i: usize| {
        Observable::from_json(v).map_err(|e| Failure(format!("{name}: event {i}: {e}")))
    };
    match first {
        None => {}
        Some(b'[') => {
            let all: Vec<serde_json::Value> = serde_json::from_reader(reader)
                .map_err(|e| Failure(format!("{name}:{}:{}: {e}", e.line(), e.column())))?;
            events = all.len();
            for (c, chunk) in all.chunks(BATCH).enumerate() {
                let base = c * BATCH;
                let obs: Vec<Observable> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, v)| to_obs(v, base + i))
                    .collect::<Result<_, _>>()?;
                if !run_batch(&obs, base)? {
                    break;
                }
            }
        }
        Some(_) => {
            let stream =
                serde_json::Deserializer::from_reader(reader).into_iter::<serde_json::Value>();
            let mut batch = Vec::with_capacity(BATCH);
            let mut open = true;
            for v in stream {
                let v = v.map_err(|e| {
                    Failure(format!(
                        "{name}:{}:{}: invalid JSON: {e}",
                        e.line(),
                        e.column()
                    ))
                })?;
                batch.push(to_obs(&v, events)?);
                events += 1;
                if batch.len() == BATCH {
                    open = run_batch(&batch, events - batch.len())?;
                    batch.clear();
                    if !open {
                        break;
                    }
                }
            }
            if open && !batch.is_empty() {
                run_batch(&batch, events - batch.len())?;
            }
        }
    }
    let _ = out.flush();
    let elapsed = t_match.elapsed();
    if args.stats {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge match: {} rules loaded in {:.3} s, compiled in {:.3} s; {events} events in {:.3} s ({:.0} events/s, {} threads); {matches} matches",
            set.len(),
            t_load.as_secs_f64(),
            t_compile.as_secs_f64(),
            secs,
            events as f64 / secs,
            rayon::current_num_threads(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
