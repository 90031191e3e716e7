//! `ruleforge-bench`: generates large synthetic rule repositories and measures ruleforge on
//! them (wall time, CPU time, peak RSS, throughput) beside two floors measured on the same
//! files: reading every file, and reading plus parsing every file with the same YAML parser.
//! See docs/performance.md.

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
    },
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
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
        } => sigma_run(
            &corpus,
            copies,
            &work,
            &ruleforge,
            &sigma,
            sigma_config.as_deref(),
            &rsigma,
            repeat,
        ),
        Cmd::FloorRead { dir } => floor(&dir, false),
        Cmd::FloorParse { dir } => floor(&dir, true),
        Cmd::Run {
            sizes,
            work,
            ruleforge,
            events,
            yamllint,
            repeat,
        } => run(&sizes, &work, &ruleforge, events, yamllint, repeat),
    };
    if let Err(e) = r {
        eprintln!("ruleforge-bench: error: {e}");
        std::process::exit(2);
    }
}

type Res<T = ()> = Result<T, String>;

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

fn gen(rules: usize, seed: u64, out: &Path, history: usize, touch: usize) -> Res {
    if out.join(".git").exists() {
        return Err(format!("{} already holds a repository", out.display()));
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let bytes = ruleforge::bench::write_corpus(out, seed, rules).map_err(|e| e.to_string())?;
    std::fs::write(out.join("ruleforge.toml"), "[lint]\nroots = [\"rules\"]\n")
        .map_err(|e| e.to_string())?;
    git(out, &["init", "-q", "-b", "main"])?;
    git(out, &["add", "-A"])?;
    git(out, &["commit", "-q", "-m", "generated corpus"])?;
    for round in 1..=history {
        ruleforge::bench::touch(out, seed, rules, round, touch).map_err(|e| e.to_string())?;
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

fn gen_sigma(
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
            ruleforge::bench::write_sigma_corpus(out, seed, n).map_err(|e| e.to_string())?;
            n
        }
        (None, Some(from), Some(k)) => {
            ruleforge::bench::replicate_sigma(from, &out.join("rules"), k)
                .map_err(|e| format!("{}: {e}", from.display()))?
        }
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

/// Every `.yml` folder directly under `root` that holds rules (`rules*`, `deprecated`).
fn sigma_folders(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && n != "validator_json")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn count_yml(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        count_yml(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "yml"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
fn sigma_run(
    corpora: &[PathBuf],
    copies: usize,
    work: &Path,
    ruleforge: &Path,
    sigma: &str,
    sigma_config: Option<&Path>,
    rsigma: &str,
    repeat: usize,
) -> Res {
    let rf = ruleforge
        .canonicalize()
        .map_err(|e| format!("{}: {e}", ruleforge.display()))?;
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let work = work.canonicalize().map_err(|e| e.to_string())?;
    // `sigma check` runs from a folder with an empty validator_json/ (bundled SigmaHQ data).
    std::fs::create_dir_all(work.join("validator_json")).map_err(|e| e.to_string())?;
    let mut sets: Vec<(String, PathBuf)> = corpora
        .iter()
        .map(|c| (c.display().to_string(), c.clone()))
        .collect();
    if copies > 0 {
        let first = corpora[0]
            .canonicalize()
            .map_err(|e| format!("{}: {e}", corpora[0].display()))?;
        let big = work.join(format!("sigma-x{copies}"));
        if !big.join("rules").exists() {
            let _ = std::fs::remove_dir_all(&big);
            gen_sigma(None, 1, Some(&first), Some(copies), &big)?;
        }
        sets.push((
            format!("{} x{copies} (fresh ids)", corpora[0].display()),
            big,
        ));
    }
    println!("| corpus | rules | tool | command | wall s (median) | CPU s | peak RSS MiB | rules/s | x ruleforge |");
    println!("|---|---:|---|---|---:|---:|---:|---:|---:|");
    for (label, dir) in sets {
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let folders = sigma_folders(&dir);
        let n: usize = folders.iter().map(|f| count_yml(&dir.join(f))).sum();
        let mut rows: Vec<(&str, String, Command)> = Vec::new();
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["lint", "--select", "ALL", "--output-format", "json"])
            .args(&folders);
        rows.push((
            "ruleforge",
            format!("ruleforge lint --select ALL {}", folders.join(" ")),
            c,
        ));
        let mut c = Command::new(&rf);
        c.current_dir(&dir).arg("lint").args(&folders);
        rows.push(("ruleforge", "ruleforge lint (default rules)".into(), c));
        // rsigma takes one path: the corpus folder (which holds only the rule folders).
        let mut c = Command::new(rsigma);
        c.current_dir(&dir).args(["rule", "lint", "."]);
        rows.push(("rsigma", "rsigma rule lint .".into(), c));
        if let Ok(schema) =
            Path::new("schemas/sigma/sigma-detection-rule-schema.json").canonicalize()
        {
            let mut c = Command::new(rsigma);
            c.current_dir(&dir)
                .args(["rule", "lint", "-s"])
                .arg(&schema)
                .arg(".");
            rows.push((
                "rsigma",
                "rsigma rule lint -s sigma-detection-rule-schema.json .".into(),
                c,
            ));
        }
        let mut c = Command::new(sigma);
        c.current_dir(&work).arg("check");
        if let Some(cfg) = sigma_config {
            c.arg("--validation-config").arg(cfg);
        }
        c.args(folders.iter().map(|f| dir.join(f)));
        rows.push((
            "sigma-cli",
            "sigma check --validation-config sigma_cli_conf.yml ...".into(),
            c,
        ));
        // The fast tools run round-robin, half of their runs before `sigma check` and half
        // after it, so every tool sees the same machine load (the machine may be shared).
        let mut runs: Vec<Vec<Measure>> = rows.iter().map(|_| Vec::new()).collect();
        let mut failed: Vec<Option<String>> = rows.iter().map(|_| None).collect();
        let slow: Vec<bool> = rows.iter().map(|r| r.0 == "sigma-cli").collect();
        let half = repeat.max(2).div_ceil(2);
        for phase in 0..3 {
            for _ in 0..(if phase == 1 { 1 } else { half }) {
                for (i, row) in rows.iter_mut().enumerate() {
                    if slow[i] != (phase == 1) || failed[i].is_some() {
                        continue;
                    }
                    match measure_discarding(&mut row.2) {
                        Ok(m) => runs[i].push(m),
                        Err(e) => failed[i] = Some(e),
                    }
                }
            }
        }
        let mut base = f64::NAN;
        for (i, (tool, name, _)) in rows.iter().enumerate() {
            if let Some(e) = &failed[i] {
                println!("| {label} | {n} | {tool} | {name} | not run: {e} | | | | |");
                continue;
            }
            let r = &mut runs[i];
            r.sort_by(|a, b| a.wall.total_cmp(&b.wall));
            let m = &r[r.len() / 2];
            if base.is_nan() {
                base = m.wall;
            }
            println!(
                "| {label} | {n} | {tool} | `{name}` (exit {}) | {:.3} | {:.2} | {:.0} | {:.0} | {:.1} |",
                m.status,
                m.wall,
                m.cpu,
                m.max_rss_kb as f64 / 1024.0,
                n as f64 / m.wall,
                m.wall / base
            );
        }
    }
    Ok(())
}

/// Like `measure`, with stderr discarded (a full unread pipe would stall a chatty tool).
fn measure_discarding(cmd: &mut Command) -> Res<Measure> {
    let t = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage are valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r < 0 {
        return Err("wait4 failed".into());
    }
    let wall = t.elapsed().as_secs_f64();
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Measure {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    })
}

fn events(rules: usize, seed: u64, count: usize, hit_percent: u64, out: &Path) -> Res {
    use ruleforge::bench::Rng;
    // Values that are in the corpus: re-derive a sample of rules.
    let sample: Vec<(String, String)> = (0..rules.min(2000))
        .flat_map(|n| {
            let (path, text) = ruleforge::bench::rule(seed, n * (rules / rules.min(2000)).max(1));
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
                            ruleforge::bench::value(&mut rng, ty)
                                .trim_matches('*')
                                .to_string(),
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

/// One measured child process.
#[derive(Clone)]
struct Measure {
    wall: f64,
    cpu: f64,
    max_rss_kb: i64,
    status: i32,
}

fn measure(cmd: &mut Command) -> Res<Measure> {
    let t = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage are valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r < 0 {
        return Err("wait4 failed".into());
    }
    let wall = t.elapsed().as_secs_f64();
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Measure {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    })
}

fn corpus_bytes(dir: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() {
                            walk(&p)
                        } else {
                            e.metadata().map(|m| m.len()).unwrap_or(0)
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&dir.join("rules"))
}

fn run(
    sizes: &[usize],
    work: &Path,
    ruleforge: &Path,
    n_events: usize,
    yamllint: bool,
    repeat: usize,
) -> Res {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let rf = ruleforge
        .canonicalize()
        .map_err(|e| format!("{}: {e}", ruleforge.display()))?;
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let work = work.canonicalize().map_err(|e| e.to_string())?;
    println!("| rules | command | wall s | CPU s | peak RSS MiB | rules/s | MB/s | exit | x parse floor |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        let dir = work.join(format!("corpus-{n}"));
        if !dir.join(".git").exists() {
            let _ = std::fs::remove_dir_all(&dir);
            gen(n, 1, &dir, 1, 10)?;
        }
        let events_file = work.join(format!("events-{n}.ndjson"));
        if !events_file.exists() {
            events(n, 1, n_events, 10, &events_file)?;
        }
        let out = work.join(format!("bundle-{n}"));
        let _ = std::fs::remove_dir_all(&out);
        let key = work.join("bench.key");
        let pubkey = work.join("bench.pub");
        if !key.exists() {
            Command::new(&rf)
                .args(["keygen", "--no-password", "--force", "--secret-key"])
                .arg(&key)
                .arg("--public-key")
                .arg(&pubkey)
                .status()
                .map_err(|e| e.to_string())?;
        }
        let bytes = corpus_bytes(&dir) as f64;
        let mut rows: Vec<(String, Command)> = Vec::new();
        let mut c = Command::new(&me);
        c.arg("floor-read").arg(&dir);
        rows.push(("floor: read all files".into(), c));
        let mut c = Command::new(&me);
        c.arg("floor-parse").arg(&dir);
        rows.push(("floor: read + parse all files".into(), c));
        let mut c = Command::new(&rf);
        c.current_dir(&dir).args(["lint", "--select", "ALL"]);
        rows.push(("lint --select ALL".into(), c));
        let mut c = Command::new(&rf);
        c.current_dir(&dir).args(["fmt", "--check"]);
        rows.push(("fmt --check".into(), c));
        let mut c = Command::new(&rf);
        c.current_dir(&dir).args(["diff", "HEAD~1", "HEAD"]);
        rows.push(("diff HEAD~1 HEAD (10 rules changed)".into(), c));
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["bundle", "--out"])
            .arg(&out)
            .arg("--secret-key")
            .arg(&key);
        rows.push(("bundle (signed)".into(), c));
        rows.push(("verify".into(), Command::new("true")));
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["match", "rules", "--event"])
            .arg(&events_file);
        rows.push((format!("match ({n_events} events)"), c));
        let rounds = repeat.max(1);
        let mut results: Vec<Vec<Measure>> = vec![Vec::new(); rows.len()];
        for _ in 0..rounds {
            for (k, (name, cmd)) in rows.iter_mut().enumerate() {
                if name == "verify" {
                    let archive = std::fs::read_dir(&out).ok().and_then(|rd| {
                        rd.filter_map(Result::ok)
                            .map(|e| e.path())
                            .find(|p| p.extension().is_some_and(|e| e == "gz"))
                    });
                    let Some(archive) = archive else {
                        continue;
                    };
                    *cmd = Command::new(&rf);
                    // The corpus commits are dated 2025-01-01: verify as of the next day.
                    cmd.arg("verify")
                        .arg(&archive)
                        .arg("--public-key")
                        .arg(&pubkey)
                        .args(["--now", "2025-01-02"]);
                }
                results[k].push(measure(cmd)?);
            }
        }
        // Ratios to the parse floor are taken round by round.
        let floor_row = rows
            .iter()
            .position(|(name, _)| name.starts_with("floor: read + parse"))
            .expect("the parse floor is measured");
        let floors: Vec<f64> = results[floor_row].iter().map(|m| m.wall).collect();
        let floor_parse = median(floors.clone());
        for ((name, _), ms) in rows.iter().zip(&results) {
            if ms.is_empty() {
                println!("| {n} | {name} | | | | | | no bundle | |");
                continue;
            }
            let wall = median(ms.iter().map(|m| m.wall).collect());
            let cpu = median(ms.iter().map(|m| m.cpu).collect());
            let rss = ms.iter().map(|m| m.max_rss_kb).max().unwrap_or(0);
            let ratio = median(ms.iter().zip(&floors).map(|(m, f)| m.wall / f).collect());
            let status = ms.iter().map(|m| m.status).find(|&s| s != 0).unwrap_or(0);
            let events_per_s = if name.starts_with("match") {
                format!(" ({:.0} events/s)", n_events as f64 / wall)
            } else {
                String::new()
            };
            println!(
                "| {n} | {name}{events_per_s} | {wall:.2} | {cpu:.2} | {:.0} | {:.0} | {:.1} | {status} | {ratio:.2} |",
                rss as f64 / 1024.0,
                n as f64 / wall,
                bytes / 1e6 / wall,
            );
        }
        if yamllint && n == sizes[0] {
            let mut c = Command::new("yamllint");
            c.current_dir(&dir).args(["-d", "relaxed", "rules"]);
            match measure(&mut c) {
                Ok(m) => println!(
                    "| {n} | yamllint -d relaxed (reference) | {:.2} | {:.2} | {:.0} | {:.0} | {:.1} | {} | {:.2} |",
                    m.wall,
                    m.cpu,
                    m.max_rss_kb as f64 / 1024.0,
                    n as f64 / m.wall,
                    bytes / 1e6 / m.wall,
                    m.status,
                    m.wall / floor_parse
                ),
                Err(e) => println!("| {n} | yamllint | not run: {e} | | | | | | |"),
            }
        }
    }
    Ok(())
}

/// The median (the upper one of an even count); NaN for none.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
