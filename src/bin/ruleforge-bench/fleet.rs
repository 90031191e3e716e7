//! `pull-fleet`: a fleet of scanners pulling from one registry, simulated on this machine.
//!
//! From a rule repository whose last commit changed a few rules (`gen --history 1`), it
//! builds the bundles of `HEAD~1` (old) and `HEAD` (new, with a delta from old), signs them
//! and their freshness documents, starts a CNCF distribution registry (Debian's
//! `docker-registry`) on 127.0.0.1 with its storage under WORK, pushes both, and runs
//! M `ruleforge pull`s, N at a time, in three scenarios:
//!
//! - full: a new scanner (no state) downloads and verifies the new bundle;
//! - delta: a scanner holding the old bundle (state file) downloads only the delta;
//! - poll: a scanner holding the new bundle asks again (HEAD on the manifest: up to date).
//!
//! Each pull is one process, measured with `wait4` (wall, user + system CPU). Reported per
//! scenario: throughput (pulls/s, MB/s of layers downloaded), p50 and p95 wall time per
//! pull, mean CPU per pull. Also `apply-delta` alone, and the bundle and delta sizes.

use crate::measure::{measure, median, Measure};
use crate::Res;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub struct Options<'a> {
    pub corpus: &'a Path,
    pub work: &'a Path,
    pub ruleforge: &'a Path,
    pub registry: &'a Path,
    pub concurrency: usize,
    pub pulls: usize,
}

fn run_ok(cmd: &mut Command, what: &str) -> Res<String> {
    let o = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "{what}: exit {:?}\n{}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn field<'a>(out: &'a str, label: &str) -> Res<&'a str> {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(str::trim)
        .ok_or_else(|| format!("no `{label}` line in:\n{out}"))
}

struct Registry {
    child: std::process::Child,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(bin: &Path, dir: &Path) -> Res<Registry> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.join("data").display()
    );
    let config_path = dir.join("config.yml");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("serve")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let r = Registry { child, port };
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("the registry did not listen on 127.0.0.1:{port}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(r)
}

/// Copies the files of `from` into a new folder `to`.
fn copy_dir(from: &Path, to: &Path) -> Res<()> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One scenario's row.
struct Row {
    name: String,
    measures: Vec<Measure>,
    total_wall: f64,
    bytes_per_pull: u64,
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let k = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[k.clamp(1, v.len()) - 1]
}

/// Runs `pulls` commands from `make(i)`, `concurrency` at a time; each must exit 0.
fn fleet(
    concurrency: usize,
    pulls: usize,
    make: &(dyn Fn(usize) -> Command + Sync),
) -> Res<(Vec<Measure>, f64)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let t = Instant::now();
    let results: Vec<Res<Vec<Measure>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= pulls {
                            return Ok(out);
                        }
                        let m = measure(&mut make(i))?;
                        if m.status != 0 {
                            return Err(format!("pull {i} exited {}", m.status));
                        }
                        out.push(m);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a fleet thread panicked".into()))
            })
            .collect()
    });
    let wall = t.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok((all, wall))
}

pub fn pull_fleet(o: &Options) -> Res<()> {
    let rf = std::fs::canonicalize(o.ruleforge)
        .map_err(|e| format!("{}: {e}", o.ruleforge.display()))?;
    let work = o.work;
    let marker = work.join(".ruleforge-bench-fleet");
    if work.exists() {
        let empty = std::fs::read_dir(work)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !marker.exists() {
            return Err(format!(
                "{}: not empty and not a pull-fleet folder: give a new folder",
                work.display()
            ));
        }
        std::fs::remove_dir_all(work).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    std::fs::write(&marker, "").map_err(|e| e.to_string())?;
    // A clone sharing the corpus's objects (nothing checked out: bundles read the object
    // database), where HEAD is re-committed a day after HEAD~1: generated histories may
    // give both commits one time, and a bundle's version is its commit time.
    let repo = work.join("repo");
    run_ok(
        Command::new("git")
            .args(["clone", "-q", "--no-checkout", "--shared"])
            .arg(o.corpus)
            .arg(&repo),
        "git clone",
    )?;
    let git = |args: &[&str], env: &[(&str, String)]| -> Res<String> {
        let mut c = Command::new("git");
        c.current_dir(&repo)
            .args([
                "-c",
                "user.name=ruleforge-bench",
                "-c",
                "user.email=bench@invalid",
            ])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Ok(run_ok(&mut c, &format!("git {}", args.join(" ")))?
            .trim()
            .to_string())
    };
    let t: i64 = git(&["log", "-1", "--format=%ct", "HEAD~1"], &[])?
        .parse()
        .map_err(|_| "git log: not a time".to_string())?;
    let later = format!("@{} +0000", t + 86_400);
    let commit = git(
        &[
            "commit-tree",
            "HEAD^{tree}",
            "-p",
            "HEAD~1",
            "-m",
            "HEAD, a day later",
        ],
        &[
            ("GIT_AUTHOR_DATE", later.clone()),
            ("GIT_COMMITTER_DATE", later),
        ],
    )?;
    git(&["update-ref", "refs/heads/bench-new", &commit], &[])?;
    // Every check runs at that commit's time: generated corpora are dated in the past, and
    // their bundles would have expired by now.
    let now = git(&["log", "-1", "--format=%cI", "bench-new"], &[])?;
    let key = work.join("bench.key");
    let public = work.join("bench.pub");
    run_ok(
        Command::new(&rf)
            .args(["keygen", "--no-password", "--force", "--secret-key"])
            .arg(&key)
            .arg("--public-key")
            .arg(&public),
        "keygen",
    )?;
    // The bundles of HEAD~1 and HEAD (with the delta), and their freshness documents.
    let bundle = |rev: &str, out: &str, delta_from: Option<&Path>| -> Res<(PathBuf, String, f64)> {
        let mut c = Command::new(&rf);
        c.current_dir(&repo)
            .args(["bundle", "--rev", rev, "--out"])
            .arg(work.join(out))
            .arg("--secret-key")
            .arg(&key);
        if let Some(d) = delta_from {
            c.arg("--delta-from").arg(d);
        }
        let t = Instant::now();
        let stdout = run_ok(&mut c, &format!("bundle {rev}"))?;
        let secs = t.elapsed().as_secs_f64();
        Ok((PathBuf::from(field(&stdout, "bundle ")?), stdout, secs))
    };
    eprintln!("building the bundles of HEAD~1 and HEAD (with --delta-from)...");
    let (old, _, _) = bundle("HEAD~1", "old", None)?;
    let (new, new_out, new_secs) = bundle("bench-new", "new", Some(&old))?;
    let delta_line = field(&new_out, "delta ")?.to_string();
    let delta = PathBuf::from(delta_line.split(" (").next().unwrap_or_default());
    for b in [&old, &new] {
        run_ok(
            Command::new(&rf)
                .arg("timestamp")
                .arg(b)
                .arg("--secret-key")
                .arg(&key)
                .args(["--expires-in", "2d", "--now", &now]),
            "timestamp",
        )?;
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let (old_size, new_size, delta_size) = (size(&old), size(&new), size(&delta));

    let reg_dir = work.join("registry");
    std::fs::create_dir_all(&reg_dir).map_err(|e| e.to_string())?;
    let reg = start_registry(o.registry, &reg_dir)?;
    let reference = |tag: &str| format!("oci://127.0.0.1:{}/bench/rules:{tag}", reg.port);
    run_ok(
        Command::new(&rf)
            .arg("push")
            .arg(&old)
            .arg(reference("old")),
        "push old",
    )?;
    run_ok(
        Command::new(&rf)
            .arg("push")
            .arg(&new)
            .arg(reference("new"))
            .arg("--delta")
            .arg(&delta),
        "push new",
    )?;
    // Templates: a scanner holding the old bundle, one holding the new bundle.
    let pull = |tag: &str, out: &Path| -> Command {
        let mut c = Command::new(&rf);
        c.arg("pull")
            .arg(reference(tag))
            .args(["--now", &now])
            .arg("--public-key")
            .arg(&public)
            .arg("--out")
            .arg(out)
            .arg("--state")
            .arg(out.join("state.json"));
        c
    };
    let holds_old = work.join("holds-old");
    run_ok(&mut pull("old", &holds_old), "pull old")?;
    // The state names the source it was pulled from: the new tag here.
    let state = std::fs::read_to_string(holds_old.join("state.json")).map_err(|e| e.to_string())?;
    std::fs::write(
        holds_old.join("state.json"),
        state.replace(&reference("old"), &reference("new")),
    )
    .map_err(|e| e.to_string())?;
    let holds_new = work.join("holds-new");
    copy_dir(&holds_old, &holds_new)?;
    let first = run_ok(&mut pull("new", &holds_new), "pull new with the delta")?;
    if !first.contains("via delta") {
        return Err(format!(
            "the pull of the new bundle did not use the delta:\n{first}"
        ));
    }
    let again = run_ok(&mut pull("new", &holds_new), "poll")?;
    if !again.starts_with("Up to date") {
        return Err(format!(
            "the second pull was not answered as up to date:\n{again}"
        ));
    }

    // apply-delta alone, beside a full pull at concurrency 1 (median of 3 each).
    let mut apply = Vec::new();
    for i in 0..3 {
        let out = work.join(format!("apply-{i}"));
        let m = measure(
            Command::new(&rf)
                .arg("apply-delta")
                .arg(&old)
                .arg(&delta)
                .arg("--public-key")
                .arg(&public)
                .arg("--out")
                .arg(&out),
        )?;
        if m.status != 0 {
            return Err(format!("apply-delta exited {}", m.status));
        }
        apply.push(m);
        let _ = std::fs::remove_dir_all(&out);
    }

    // The fleets. Each pull gets its own folder, prepared before the clock starts.
    let scenarios: [(&str, Option<&Path>, u64); 3] = [
        ("full pull (new scanner)", None, new_size),
        (
            "delta pull (holds the old bundle)",
            Some(&holds_old),
            delta_size,
        ),
        (
            "up-to-date poll (holds the new bundle)",
            Some(&holds_new),
            0,
        ),
    ];
    let mut rows = Vec::new();
    for (name, template, bytes) in scenarios {
        let base = work.join(format!("fleet-{}", rows.len()));
        for i in 0..o.pulls {
            let dir = base.join(i.to_string());
            match template {
                Some(t) => copy_dir(t, &dir)?,
                None => std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?,
            }
        }
        eprintln!("{name}: {} pulls, {} at a time...", o.pulls, o.concurrency);
        let make = |i: usize| pull("new", &base.join(i.to_string()));
        let (measures, total_wall) = fleet(o.concurrency, o.pulls, &make)?;
        let _ = std::fs::remove_dir_all(&base);
        rows.push(Row {
            name: name.into(),
            measures,
            total_wall,
            bytes_per_pull: bytes,
        });
    }
    drop(reg);

    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "Bundles: old {} bytes, new {} bytes ({}); delta {} bytes = {:.3} % of the new bundle; `bundle --delta-from` of HEAD took {:.1} s",
        old_size,
        new_size,
        field(&new_out, "rules ")?,
        delta_size,
        100.0 * delta_size as f64 / new_size.max(1) as f64,
        new_secs
    );
    println!("Delta: {delta_line}");
    println!(
        "apply-delta (median of 3): wall {:.2} s, CPU {:.2} s, peak RSS {} MiB",
        median(apply.iter().map(|m| m.wall).collect()),
        median(apply.iter().map(|m| m.cpu).collect()),
        apply.iter().map(|m| m.max_rss_kb).max().unwrap_or(0) / 1024
    );
    println!();
    println!(
        "| scenario | pulls | concurrency | pulls/s | MB/s downloaded | p50 s | p95 s | CPU s per pull | peak RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let walls: Vec<f64> = r.measures.iter().map(|m| m.wall).collect();
        let n = r.measures.len() as f64;
        println!(
            "| {} | {} | {} | {:.2} | {:.1} | {:.2} | {:.2} | {:.3} | {} |",
            r.name,
            r.measures.len(),
            o.concurrency,
            n / r.total_wall,
            mb(r.bytes_per_pull) * n / r.total_wall,
            percentile(walls.clone(), 50.0),
            percentile(walls, 95.0),
            r.measures.iter().map(|m| m.cpu).sum::<f64>() / n,
            r.measures.iter().map(|m| m.max_rss_kb).max().unwrap_or(0) / 1024
        );
    }
    Ok(())
}
