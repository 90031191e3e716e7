//! `ruleforge-bench`: generates large synthetic rule repositories and measures ruleforge on
//! them (wall time, CPU time, peak RSS, throughput) beside two floors measured on the same
//! files: reading every file, and reading plus parsing every file with the same YAML parser.
//! See docs/performance.md.

mod corpus;
mod fleet;
mod lsp;
mod measure;
mod run;
mod sigma_corpus;
mod sigma_run;

use clap::{Parser, Subcommand};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

// The floors run with the allocator ruleforge runs with (src/main.rs), so that they measure
// reading and parsing, not a slower allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ruleforge-bench",
    about = "Benchmark corpus generator and runner for ruleforge"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a rule repository (a real git repository) of N rules.
    Gen {
        #[arg(long)]
        rules: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Commits to add after the initial one.
        #[arg(long, default_value_t = 0)]
        history: usize,
        /// Rules touched by each of those commits.
        #[arg(long, default_value_t = 10)]
        touch: usize,
    },
    /// Generate NDJSON events (ECS fields): a share of them hit values of the corpus.
    Events {
        #[arg(long)]
        rules: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        count: usize,
        /// Percentage of events that carry a value from the corpus.
        #[arg(long, default_value_t = 10)]
        hit_percent: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a Sigma rule repository: N synthetic rules, or COPIES copies of the Sigma
    /// rules under FROM with fresh ids, titles and file names.
    GenSigma {
        #[arg(long, conflicts_with = "from")]
        rules: Option<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A folder of Sigma rules to replicate (e.g. the SigmaHQ corpus).
        #[arg(long, requires = "copies")]
        from: Option<PathBuf>,
        #[arg(long)]
        copies: Option<usize>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure `ruleforge lint` beside `sigma check` and `rsigma rule lint` on Sigma corpora
    /// (each given folder, and the first one replicated COPIES times), side by side.
    SigmaRun {
        /// Folders of Sigma rules to measure (e.g. the SigmaHQ corpus root).
        #[arg(long, required = true, num_args = 1..)]
        corpus: Vec<PathBuf>,
        /// Also measure a corpus made of this many copies of the first one.
        #[arg(long, default_value_t = 10)]
        copies: usize,
        /// Where the replicated corpus is written (reused when present).
        #[arg(long)]
        work: PathBuf,
        #[arg(long, default_value = "target/release/ruleforge")]
        ruleforge: PathBuf,
        /// The `sigma` CLI (sigma-cli); skipped when absent.
        #[arg(long, default_value = "sigma")]
        sigma: String,
        /// Validation configuration for `sigma check` (SigmaHQ's `sigma_cli_conf.yml`).
        #[arg(long)]
        sigma_config: Option<PathBuf>,
        /// The `rsigma` binary; skipped when absent.
        #[arg(long, default_value = "rsigma")]
        rsigma: String,
        /// Runs per fast command, half before and half after the single `sigma check` run
        /// (the median is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Measure `ruleforge lsp` on a rule repository with a scripted client: start-up (the
    /// index), first diagnostics after opening a rule, and the didChange → diagnostics
    /// round trip over EDITS edits (p50, p95, max), peak RSS.
    Lsp {
        /// The rule repository (e.g. one `gen` made, or this repository).
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "target/release/ruleforge")]
        ruleforge: PathBuf,
        #[arg(long, default_value_t = 100)]
        edits: usize,
    },
    /// A fleet of scanners pulling from a local registry: builds the bundles of HEAD~1 and
    /// HEAD (with a delta) of CORPUS (`gen --history 1`), starts `docker-registry` on
    /// 127.0.0.1, and runs PULLS `ruleforge pull`s, CONCURRENCY at a time: full pulls, delta
    /// pulls, up-to-date polls (throughput, p50/p95 per pull, CPU per pull).
    PullFleet {
        /// The rule repository (its last commit changes a few rules).
        #[arg(long)]
        corpus: PathBuf,
        /// Scratch folder (emptied first): bundles, keys, registry storage.
        #[arg(long)]
        work: PathBuf,
        #[arg(long, default_value = "target/release/ruleforge")]
        ruleforge: PathBuf,
        /// The CNCF distribution registry binary (Debian's `docker-registry`).
        #[arg(long, default_value = "/usr/bin/docker-registry")]
        registry: PathBuf,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        pulls: usize,
    },
    /// Floor: read every rule file under DIR in parallel.
    FloorRead { dir: PathBuf },
    /// Floor: read and parse every rule file under DIR into a YAML tree, in parallel.
    FloorParse { dir: PathBuf },
    /// Generate corpora of the given sizes and measure every command on them.
    Run {
        /// Corpus sizes (rules).
        #[arg(long, value_delimiter = ',', default_value = "10000,30000,100000")]
        sizes: Vec<usize>,
        /// Where corpora are generated (reused when present).
        #[arg(long)]
        work: PathBuf,
        /// The ruleforge binary to measure.
        #[arg(long, default_value = "target/release/ruleforge")]
        ruleforge: PathBuf,
        /// Events for the `match` measurement.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Also time `yamllint` (from PyPI) on the smallest corpus, when it is on PATH.
        #[arg(long)]
        yamllint: bool,
        /// Rounds: every command runs once per round, in the same order; each row reports
        /// the median wall and CPU time, the largest peak RSS, and the median of the
        /// per-round ratios to the parse floor (a slow spell of a shared machine then moves
        /// a command and its floor together).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Leave out the commands whose row name starts with one of these (e.g. `export`).
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
        /// Measure only the commands whose row starts with one of these words (e.g.
        /// `export,lint`); the two floors are always measured.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::PullFleet {
            corpus,
            work,
            ruleforge,
            registry,
            concurrency,
            pulls,
        } => fleet::pull_fleet(&fleet::Options {
            corpus: &corpus,
            work: &work,
            ruleforge: &ruleforge,
            registry: &registry,
            concurrency: concurrency.max(1),
            pulls: pulls.max(1),
        }),
        Cmd::Gen {
            rules,
            seed,
            out,
            history,
            touch,
        } => gen(rules, seed, &out, history, touch),
        Cmd::Events {
            rules,
            seed,
            count,
            hit_percent,
            out,
        } => events(rules, seed, count, hit_percent, &out),
        Cmd::GenSigma {
            rules,
            seed,
            from,
            copies,
            out,
        } => gen_sigma(rules, seed, from.as_deref(), copies, &out),
        Cmd::SigmaRun {
            corpus,
            copies,
            work,
            ruleforge,
            sigma,
            sigma_config,
            rsigma,
            repeat,
        } => sigma_run::sigma_run(
            &corpus,
            copies,
            &work,
            &ruleforge,
            &sigma,
            sigma_config.as_deref(),
            &rsigma,
            repeat,
        ),
        Cmd::Lsp {
            dir,
            ruleforge,
            edits,
        } => lsp::lsp(&dir, &ruleforge, edits),
        Cmd::FloorRead { dir } => floor(&dir, false),
        Cmd::FloorParse { dir } => floor(&dir, true),
        Cmd::Run {
            sizes,
            work,
            ruleforge,
            events,
            yamllint,
            repeat,
            skip,
            only,
        } => run::run(
            &sizes,
            &work,
            &ruleforge,
            events,
            yamllint,
            repeat,
            &run::Rows { only, skip },
        ),
    };
    if let Err(e) = r {
        eprintln!("ruleforge-bench: error: {e}");
        std::process::exit(2);
    }
}

pub(crate) type Res<T = ()> = Result<T, String>;

/// The sum of `value` over every file below `dir` (0 for what cannot be read).
pub(crate) fn sum_over_files(dir: &Path, value: &dyn Fn(&std::fs::DirEntry) -> u64) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        sum_over_files(&p, value)
                    } else {
                        value(&e)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn git(dir: &Path, args: &[&str]) -> Res {
    let st = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "ruleforge bench")
        .env("GIT_AUTHOR_EMAIL", "bench@ruleforge.invalid")
        .env("GIT_COMMITTER_NAME", "ruleforge bench")
        .env("GIT_COMMITTER_EMAIL", "bench@ruleforge.invalid")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .status()
        .map_err(|e| format!("git: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("git {args:?} failed"))
    }
}

pub(crate) fn gen(rules: usize, seed: u64, out: &Path, history: usize, touch: usize) -> Res {
    if out.join(".git").exists() {
        return Err(format!("{} already holds a repository", out.display()));
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let bytes = corpus::write_corpus(out, seed, rules).map_err(|e| e.to_string())?;
    std::fs::write(out.join("ruleforge.toml"), "[lint]\nroots = [\"rules\"]\n")
        .map_err(|e| e.to_string())?;
    git(out, &["init", "-q", "-b", "main"])?;
    git(out, &["add", "-A"])?;
    git(out, &["commit", "-q", "-m", "generated corpus"])?;
    for round in 1..=history {
        corpus::touch(out, seed, rules, round, touch).map_err(|e| e.to_string())?;
        git(
            out,
            &[
                "commit",
                "-q",
                "-a",
                "-m",
                &format!("touch {touch} rules (round {round})"),
            ],
        )?;
    }
    eprintln!(
        "generated {rules} rules ({:.1} MB) and {} commits in {:.1}s",
        bytes as f64 / 1e6,
        history + 1,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(crate) fn gen_sigma(
    rules: Option<usize>,
    seed: u64,
    from: Option<&Path>,
    copies: Option<usize>,
    out: &Path,
) -> Res {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let n = match (rules, from, copies) {
        (Some(n), None, _) => {
            sigma_corpus::write_sigma_corpus(out, seed, n).map_err(|e| e.to_string())?;
            n
        }
        (None, Some(from), Some(k)) => sigma_corpus::replicate_sigma(from, &out.join("rules"), k)
            .map_err(|e| format!("{}: {e}", from.display()))?,
        _ => return Err("give --rules N, or --from DIR --copies K".into()),
    };
    std::fs::write(
        out.join("ruleforge.toml"),
        "[lint]\nroots = [\"rules\"]\n\n[kinds]\nsigma = [\"rules/**\"]\n",
    )
    .map_err(|e| e.to_string())?;
    eprintln!(
        "generated {n} Sigma rules in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(crate) fn events(rules: usize, seed: u64, count: usize, hit_percent: u64, out: &Path) -> Res {
    use corpus::Rng;
    // Values that are in the corpus: re-derive a sample of rules.
    let sample: Vec<(String, String)> = (0..rules.min(2000))
        .flat_map(|n| {
            let (path, text) = corpus::rule(seed, n * (rules / rules.min(2000)).max(1));
            let file =
                ruleforge::rule::RuleFile::parse(ruleforge::source::SourceFile::new(path, text));
            let mut v = Vec::new();
            if let Some(r) = file.rule() {
                for (_, t, val) in r.values() {
                    if let Some(ty) = t.ty {
                        let ecs = ty.ecs_fields()[0].to_string();
                        let value = val.canonical().trim_matches('*').to_string();
                        if !value.contains('*') {
                            v.push((ecs, value));
                        }
                    }
                }
            }
            v
        })
        .collect();
    let mut rng = Rng::new(seed ^ 0xe7e7);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).map_err(|e| e.to_string())?);
    for i in 0..count {
        let mut obj = serde_json::Map::new();
        obj.insert("event.id".into(), serde_json::Value::from(i));
        if rng.below(100) < hit_percent && !sample.is_empty() {
            let (f, v) = &sample[rng.below(sample.len() as u64) as usize];
            obj.insert(f.clone(), serde_json::Value::from(v.clone()));
        } else {
            for ty in ["sha256", "domain", "ip", "file_path", "command_line"] {
                let field = match ty {
                    "sha256" => "file.hash.sha256",
                    "domain" => "dns.question.name",
                    "ip" => "destination.ip",
                    "file_path" => "file.path",
                    _ => "process.command_line",
                };
                if rng.below(3) == 0 {
                    obj.insert(
                        field.into(),
                        serde_json::Value::from(
                            corpus::value(&mut rng, ty).trim_matches('*').to_string(),
                        ),
                    );
                }
            }
        }
        serde_json::to_writer(&mut w, &obj).map_err(|e| e.to_string())?;
        w.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

fn floor(dir: &Path, parse: bool) -> Res {
    let root = dir.canonicalize().map_err(|e| e.to_string())?;
    let inputs =
        ruleforge::load::discover(&root, &[root.join("rules")]).map_err(|e| e.to_string())?;
    let (files, bytes, nodes): (usize, usize, usize) = inputs
        .par_iter()
        .map(|i| {
            let ruleforge::load::Origin::Disk(p) = &i.origin else {
                return (0, 0, 0);
            };
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let len = text.len();
            let n = if parse {
                let src = ruleforge::source::SourceFile::new(i.path.clone(), text);
                usize::from(ruleforge::yaml::parse(&src).is_ok())
            } else {
                0
            };
            (1, len, n)
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    println!(
        "{files} files, {bytes} bytes{}",
        if parse {
            format!(", {nodes} parsed")
        } else {
            String::new()
        }
    );
    Ok(())
}
