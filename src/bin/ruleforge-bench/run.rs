//! `ruleforge-bench run`: generates corpora of the given sizes and measures every command on
//! them beside the two floors.

use crate::measure::{measure, median, Measure};
use crate::{events, gen, Res};
use std::path::Path;
use std::process::Command;

/// The bytes of the corpus's rule files.
fn corpus_bytes(dir: &Path) -> u64 {
    crate::sum_over_files(&dir.join("rules"), &|e| e.metadata().map_or(0, |m| m.len()))
}

pub fn run(
    sizes: &[usize],
    work: &Path,
    ruleforge: &Path,
    n_events: usize,
    yamllint: bool,
    repeat: usize,
    rows_wanted: &Rows,
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
        let wanted = |row: &str| rows_wanted.wants(row);
        if !events_file.exists() && wanted("match") {
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
        // The lint cache: a cold run (the cache folder removed first), a warm one, one with
        // a file changed (and restored after), and one without the cache.
        let cache = work.join(format!("lint-cache-{n}"));
        for name in [LINT_COLD, LINT_WARM, LINT_CHANGED] {
            let mut c = Command::new(&rf);
            c.current_dir(&dir)
                .args(["lint", "--select", "ALL", "--cache-dir"])
                .arg(&cache);
            rows.push((name.into(), c));
        }
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["lint", "--select", "ALL", "--no-cache"]);
        rows.push((LINT_NO_CACHE.into(), c));
        let changed = first_rule(&dir.join("rules"))?;
        let original = std::fs::read(&changed).map_err(|e| e.to_string())?;
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
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["export", "all", "--quiet", "--out"])
            .arg(work.join(format!("export-{n}")));
        rows.push(("export all".into(), c));
        rows.push(("verify".into(), Command::new("true")));
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["match", "rules", "--event"])
            .arg(&events_file);
        rows.push((format!("match ({n_events} events)"), c));
        // The same events against the bundle's compiled rules (verified, no YAML).
        rows.push((
            format!("match bundle ({n_events} events)"),
            Command::new("true"),
        ));
        rows.retain(|(name, _)| wanted(name));
        // `match bundle` without the `bundle` row (`--only match`): the bundle is built once
        // here, not measured.
        let builds_bundle = rows.iter().any(|(name, _)| name.starts_with("bundle"));
        let matches_bundle = rows
            .iter()
            .any(|(name, _)| name.starts_with("match bundle"));
        if matches_bundle && !builds_bundle {
            let status = Command::new(&rf)
                .current_dir(&dir)
                .args(["bundle", "--out"])
                .arg(&out)
                .arg("--secret-key")
                .arg(&key)
                .stdout(std::process::Stdio::null())
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err(format!("bundle of {} failed: {status}", dir.display()));
            }
        }
        let rounds = repeat.max(1);
        let mut results: Vec<Vec<Measure>> = vec![Vec::new(); rows.len()];
        let mut cache_size = (0u64, 0usize);
        for round in 0..rounds {
            for (k, (name, cmd)) in rows.iter_mut().enumerate() {
                if name == LINT_COLD {
                    let _ = std::fs::remove_dir_all(&cache);
                }
                if name == LINT_CHANGED {
                    cache_size = dir_size(&cache);
                    let mut text = original.clone();
                    text.extend_from_slice(format!("# edited in round {round}\n").as_bytes());
                    std::fs::write(&changed, text).map_err(|e| e.to_string())?;
                    results[k].push(measure(cmd)?);
                    std::fs::write(&changed, &original).map_err(|e| e.to_string())?;
                    continue;
                }
                let of_bundle = name.starts_with("match bundle");
                if name == "verify" || of_bundle {
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
                    cmd.arg(if of_bundle { "match" } else { "verify" })
                        .arg(&archive)
                        .arg("--public-key")
                        .arg(&pubkey)
                        .args(["--now", "2025-01-02"]);
                    if of_bundle {
                        cmd.current_dir(&dir).arg("--event").arg(&events_file);
                    }
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
        let col = |name: &str| rows.iter().position(|(r, _)| r == name);
        let ratio = |a: &str, b: &str| -> f64 {
            let (a, b) = (&results[col(a).unwrap_or(0)], &results[col(b).unwrap_or(0)]);
            median(a.iter().zip(b).map(|(x, y)| x.wall / y.wall).collect())
        };
        // The lint cache's ratios, when `--only`/`--skip` kept its four rows.
        let lint_rows = [LINT_COLD, LINT_WARM, LINT_CHANGED, LINT_NO_CACHE];
        if lint_rows.iter().all(|r| col(r).is_some()) {
            println!(
            "\n{n} rules, lint cache (medians of per-round ratios): warm = {:.1} % of cold, {:.2}x the parse floor; \
             1 file changed = {:.1} % of cold; cold with the cache = {:.3}x --no-cache; \
             cache size {:.1} MB in {} files\n",
            100.0 * ratio(LINT_WARM, LINT_COLD),
            ratio(LINT_WARM, "floor: read + parse all files"),
            100.0 * ratio(LINT_CHANGED, LINT_COLD),
            ratio(LINT_COLD, LINT_NO_CACHE),
            cache_size.0 as f64 / 1e6,
            cache_size.1,
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

/// Which rows `run` measures: those starting with an `--only` word (all when none), less those
/// starting with a `--skip` word; the two floors always.
pub struct Rows {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Rows {
    fn wants(&self, row: &str) -> bool {
        let starts = |words: &[String]| words.iter().any(|w| row.starts_with(w.as_str()));
        row.starts_with("floor")
            || ((self.only.is_empty() || starts(&self.only)) && !starts(&self.skip))
    }
}

const LINT_COLD: &str = "lint --select ALL (cold cache)";
const LINT_WARM: &str = "lint --select ALL (warm cache)";
const LINT_CHANGED: &str = "lint --select ALL (1 file changed)";
const LINT_NO_CACHE: &str = "lint --select ALL --no-cache";

/// The first rule file under `dir` in path order (the one the benchmark edits).
fn first_rule(dir: &Path) -> Res<std::path::PathBuf> {
    let mut d = dir.to_path_buf();
    loop {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .map_err(|e| format!("{}: {e}", d.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        let first = entries
            .into_iter()
            .next()
            .ok_or_else(|| format!("{}: no rule files", d.display()))?;
        if first.is_dir() {
            d = first;
        } else {
            return Ok(first);
        }
    }
}

/// The bytes and number of the files in `dir`, recursively.
fn dir_size(dir: &Path) -> (u64, usize) {
    let files = crate::sum_over_files(dir, &|_| 1) as usize;
    (
        crate::sum_over_files(dir, &|e| e.metadata().map_or(0, |m| m.len())),
        files,
    )
}
