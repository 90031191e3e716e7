//! Faults, tested on the real binary (docs/reliability.md): a full disk (`RLIMIT_FSIZE`, so
//! writes fail with EFBIG), `SIGKILL` at spread-out moments of `bundle`, `export`, `fmt` and
//! `lint --fix` on a corpus large enough to be killed mid-write, output folders that cannot
//! be written, rule files that cannot be read, a rules folder that changes during a run, and
//! two `bundle` runs writing to the same folder at once.
//!
//! In every case: a clear message naming the file and exit 2 (1 where findings apply), the
//! rule files intact byte for byte (or, for `fmt` and `lint --fix`, each either as it was or
//! completely rewritten), and in the output folder no new file or a complete one that
//! verifies, never a temporary file.
//!
//! These tests run as root on CI machines, where permission bits do not stop anything: the
//! unwritable and unreadable cases then use what stops root too (a folder where the output
//! file goes, a FIFO where a rule file is); the permission-bit variants run when not root.
#![cfg(target_os = "linux")]

mod common;

use common::git::{self, GitRepo};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Enough rules that a debug build spends a noticeable time writing each output.
const RULES: u32 = 1000;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ruleforge")
}

fn rf(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    git::isolate(&mut c)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    c
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Rule `n` in a layout `fmt` rewrites and with findings `lint --fix` fixes (a defanged
/// domain, an upper-case hash).
fn messy_rule(n: u32) -> String {
    rule_text(
        n,
        &format!("evil{n}[.]example"),
        &format!("{:064X}", 0xabc000 + n as u64),
    )
}

/// Rule `n` as `lint` accepts it (what a bundle needs), in a layout `fmt` still rewrites.
fn clean_rule(n: u32) -> String {
    rule_text(
        n,
        &format!("evil{n}.example"),
        &format!("{:064x}", 0xabc000 + n as u64),
    )
}

fn rule_text(n: u32, domain: &str, hash: &str) -> String {
    format!(
        "title: Fixture rule number {n} of the fault tests
id: 6f1c2a3b-4d5e-4f60-8a7b-{n:012}
status: test
severity: medium
author: ruleforge tests
created: 2024-01-01
modified: 2024-01-02
description: |
  Fixture rule {n} of the fault tests, with a made-up domain and a made-up hash.
tags: [attack.t1505.003]
indicators:
  bad_domain:
    domain: ['{domain}']
  bad_hash:
    sha256:
      - \"{hash}\"
condition: 1 of them
"
    )
}

/// A committed repository of [`RULES`] rules and a key pair (generated here).
struct Corpus {
    repo: GitRepo,
    keys: tempfile::TempDir,
}

impl Corpus {
    /// `messy`: rules with findings `lint --fix` fixes (no bundle can be built of them).
    fn new(rules: u32, messy: bool) -> Corpus {
        let mut repo = GitRepo::new();
        repo.write("ruleforge.toml", "");
        for n in 0..rules {
            let text = if messy { messy_rule(n) } else { clean_rule(n) };
            repo.write(&format!("rules/r{:03}/rule-{n}.yml", n % 50), &text);
        }
        repo.commit("rules");
        let keys = tempfile::tempdir().unwrap();
        let o = rf(keys.path())
            .args(["keygen", "--no-password", "--secret-key", "k.key"])
            .args(["--public-key", "k.pub"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Corpus { repo, keys }
    }

    fn root(&self) -> &Path {
        self.repo.path()
    }

    fn secret(&self) -> PathBuf {
        self.keys.path().join("k.key")
    }

    fn public(&self) -> PathBuf {
        self.keys.path().join("k.pub")
    }

    fn bundle(&self, out: &Path) -> Command {
        let mut c = rf(self.root());
        c.args(["bundle", "--out"])
            .arg(out)
            .arg("--secret-key")
            .arg(self.secret());
        c
    }

    fn export(&self, out: &Path) -> Command {
        let mut c = rf(self.root());
        c.args(["export", "--out"])
            .arg(out)
            .args(["yara", "stix", "sigma"]);
        c
    }

    fn rules(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot(&self.root().join("rules"))
    }
}

/// Every file below `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(base, &p, out);
            } else if ft.is_file() {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// The archives below `dir` (signatures are not reproducible: they are verified instead).
fn archives(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut s = snapshot(dir);
    s.retain(|p, _| p.to_string_lossy().ends_with(".tar.gz"));
    digests(&s)
}

/// A short fingerprint of each file (what assertion messages show).
fn digests(s: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, String> {
    use sha2::{Digest, Sha256};
    s.iter()
        .map(|(p, b)| {
            let h = Sha256::digest(b);
            (
                p.clone(),
                format!(
                    "{} bytes, sha256 {:02x}{:02x}{:02x}{:02x}…",
                    b.len(),
                    h[0],
                    h[1],
                    h[2],
                    h[3]
                ),
            )
        })
        .collect()
}

/// Names of temporary files or folders anywhere below `dir`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(".ruleforge-") || name.starts_with(".tmp") {
                found.push(e.path());
            }
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), found);
            }
        }
    }
    walk(dir, &mut found);
    found
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The bundle folder holds only complete, signed bundles that verify (possibly none).
fn assert_bundles_complete(c: &Corpus, out: &Path, context: &str) {
    let entries = names(out);
    for n in &entries {
        if let Some(stem) = n.strip_suffix(".tar.gz") {
            let _ = stem;
            assert!(
                entries.contains(&format!("{n}.minisig")),
                "{context}: {n} without its signature: {entries:?}"
            );
            let o = rf(out)
                .arg("verify")
                .arg(out.join(n))
                .arg("--public-key")
                .arg(c.public())
                .args(["--now", "2024-01-02T00:00:00Z"])
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{context}: {n} does not verify: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        } else {
            assert!(
                n.ends_with(".tar.gz.minisig")
                    && entries.contains(&n.trim_end_matches(".minisig").to_string()),
                "{context}: unexpected file {n} in the output folder: {entries:?}"
            );
        }
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `cmd` with the file size limit set to `bytes` (in the child only).
fn with_fsize_limit(mut cmd: Command, bytes: u64) -> Output {
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

fn assert_clean_failure(o: &Output, mentions: &str, context: &str) {
    assert_eq!(o.status.code(), Some(2), "{context}: {}", text(o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{context}: {}", text(o));
    assert!(
        err.contains(mentions),
        "{context}: no mention of {mentions}: {}",
        text(o)
    );
}

#[test]
fn a_full_disk_fails_every_write_cleanly() {
    let c = Corpus::new(300, false);
    let dest = tempfile::tempdir().unwrap();

    // bundle: the archive is far larger than 4 KiB.
    let out = dest.path().join("bundle");
    let o = with_fsize_limit(c.bundle(&out), 4096);
    assert_clean_failure(&o, "File too large", "bundle");
    assert!(names(&out).is_empty(), "bundle left {:?}", names(&out));

    // export: the staging folder goes, nothing is put in place.
    let out = dest.path().join("export");
    let o = with_fsize_limit(c.export(&out), 4096);
    assert_clean_failure(&o, "File too large", "export");
    assert!(names(&out).is_empty(), "export left {:?}", names(&out));

    // fmt and lint --fix: each rule file is 600-odd bytes; with a 64-byte limit every
    // rewrite fails, and every file stays as it was.
    let m = Corpus::new(300, true);
    let rules = m.rules();
    for args in [&["fmt", "rules"][..], &["lint", "--fix", "rules"][..]] {
        let mut cmd = rf(m.root());
        cmd.args(args);
        let o = with_fsize_limit(cmd, 64);
        assert_clean_failure(&o, "File too large", &args.join(" "));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("rules/r0"),
            "{args:?}: the message names the file: {}",
            text(&o)
        );
        assert!(m.rules() == rules, "{args:?} changed rule files");
    }
    assert_eq!(temporaries(c.root()), Vec::<PathBuf>::new());
    assert_eq!(temporaries(m.root()), Vec::<PathBuf>::new());
    assert_eq!(temporaries(dest.path()), Vec::<PathBuf>::new());
}

/// A small deterministic generator for the kill moments (the seed is in every message).
struct Lcg(u64);
impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Starts `cmd`, kills it with SIGKILL after `after`, and waits for it. Returns whether it
/// had already finished.
fn kill_after(mut cmd: Command, after: Duration) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    child.wait().unwrap();
    false
}

fn timed(mut cmd: Command) -> (Duration, Output) {
    let start = Instant::now();
    let o = cmd.output().unwrap();
    (start.elapsed(), o)
}

/// The kill moments: `n` spread over the run's length `d`, each at a random point of its
/// slice.
fn moments(d: Duration, n: u32, rng: &mut Lcg) -> Vec<Duration> {
    (0..n)
        .map(|i| d.mul_f64((i as f64 + rng.unit()) / n as f64))
        .collect()
}

const KILLS: u32 = 5;

#[test]
fn sigkill_during_bundle_leaves_a_verifying_bundle_or_nothing() {
    let c = Corpus::new(RULES, false);
    let rules = c.rules();
    let dest = tempfile::tempdir().unwrap();
    let reference = dest.path().join("reference");
    let (d, o) = timed(c.bundle(&reference));
    assert!(o.status.success(), "{}", text(&o));
    let seed = 0x5eed_b0d1;
    let mut rng = Lcg(seed);
    for (i, at) in moments(d, KILLS, &mut rng).into_iter().enumerate() {
        let out = dest.path().join(format!("kill-{i}"));
        let finished = kill_after(c.bundle(&out), at);
        let context =
            format!("seed {seed:#x}, kill {i} after {at:?} of {d:?} (finished: {finished})");
        assert!(c.rules() == rules, "{context}: rule files changed");
        assert_bundles_complete(&c, &out, &context);
        assert_eq!(temporaries(&out), Vec::<PathBuf>::new(), "{context}");
        if finished {
            assert_eq!(archives(&out), archives(&reference), "{context}");
        }
    }
}

#[test]
fn sigkill_during_export_keeps_each_target_whole() {
    let c = Corpus::new(RULES, false);
    let rules = c.rules();
    let dest = tempfile::tempdir().unwrap();
    let reference = dest.path().join("reference");
    let (d, o) = timed(c.export(&reference));
    assert!(o.status.success(), "{}", text(&o));
    let want = snapshot(&reference);
    let seed = 0x5eed_e4b0;
    let mut rng = Lcg(seed);
    for (i, at) in moments(d, KILLS, &mut rng).into_iter().enumerate() {
        let out = dest.path().join(format!("kill-{i}"));
        let finished = kill_after(c.export(&out), at);
        let context =
            format!("seed {seed:#x}, kill {i} after {at:?} of {d:?} (finished: {finished})");
        assert!(c.rules() == rules, "{context}: rule files changed");
        // Each target folder and the report: absent or exactly the complete export's.
        for name in names(&out) {
            if name.starts_with(".ruleforge-export.") {
                continue;
            }
            let got = snapshot(&out.join(&name));
            let got = if got.is_empty() {
                // A file (the report).
                let bytes = std::fs::read(out.join(&name)).unwrap();
                assert!(
                    Some(&bytes) == want.get(Path::new(&name)),
                    "{context}: {name} is not the complete export's"
                );
                continue;
            } else {
                got
            };
            let expected: BTreeMap<PathBuf, Vec<u8>> = want
                .iter()
                .filter_map(|(p, b)| {
                    p.strip_prefix(&name)
                        .ok()
                        .map(|r| (r.to_path_buf(), b.clone()))
                })
                .collect();
            assert_eq!(
                digests(&got),
                digests(&expected),
                "{context}: target folder {name} is not whole"
            );
        }
        // A killed export cannot remove its staging folder: the next export to the folder
        // does, and completes.
        let o = c.export(&out).output().unwrap();
        assert!(o.status.success(), "{context}: {}", text(&o));
        assert_eq!(temporaries(&out), Vec::<PathBuf>::new(), "{context}");
        assert_eq!(digests(&snapshot(&out)), digests(&want), "{context}");
    }
}

/// `fmt` and `lint --fix` killed at any moment: every rule file is either as it was or as a
/// complete run writes it, and after the next run no temporary file is left.
#[test]
fn sigkill_during_fmt_and_fix_leaves_each_file_old_or_new() {
    for args in [&["fmt", "rules"][..], &["lint", "--fix", "rules"][..]] {
        let c = Corpus::new(RULES, true);
        let before = c.rules();
        let (d, o) = timed({
            let mut cmd = rf(c.root());
            cmd.args(args);
            cmd
        });
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
        let after = c.rules();
        assert!(
            after != before,
            "{args:?} changed nothing: the test needs files to rewrite"
        );
        let seed = 0x5eed_f0f0;
        let mut rng = Lcg(seed);
        for (i, at) in moments(d, KILLS, &mut rng).into_iter().enumerate() {
            // Back to the original files.
            c.repo.git(&["checkout", "-q", "--", "rules"]);
            assert!(c.rules() == before, "git checkout restores the rules");
            let mut cmd = rf(c.root());
            cmd.args(args);
            let finished = kill_after(cmd, at);
            let context = format!(
                "{args:?}: seed {seed:#x}, kill {i} after {at:?} of {d:?} (finished: {finished})"
            );
            let mut now = c.rules();
            // A kill between naming a finished temporary and renaming it over its file
            // leaves that temporary (one per write in flight: files are written from every
            // core). It holds a whole new file, never a part of one; the next run removes it.
            let left: Vec<PathBuf> = now
                .keys()
                .filter(|p| {
                    !before.contains_key(*p)
                        && p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with(".ruleforge-"))
                })
                .cloned()
                .collect();
            for t in &left {
                let bytes = now.remove(t).unwrap();
                assert!(
                    after.values().any(|a| a == &bytes),
                    "{context}: temporary {} is not a whole new file:\n{}",
                    t.display(),
                    String::from_utf8_lossy(&bytes)
                );
            }
            let extra: Vec<_> = now.keys().filter(|p| !before.contains_key(*p)).collect();
            let missing: Vec<_> = before.keys().filter(|p| !now.contains_key(*p)).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "{context}: files appeared {extra:?} or vanished {missing:?}"
            );
            for (p, bytes) in &now {
                assert!(
                    bytes == &before[p] || bytes == &after[p],
                    "{context}: {} is neither the old nor the new file:\n{}",
                    p.display(),
                    String::from_utf8_lossy(bytes)
                );
            }
            // A kill in the moment a replaced file has its temporary name leaves that name:
            // the next run, which rewrites the file, removes it.
            let mut cmd = rf(c.root());
            cmd.args(args);
            let o = cmd.output().unwrap();
            assert!(
                o.status.code().is_some_and(|c| c <= 1),
                "{context}: {}",
                text(&o)
            );
            assert!(
                c.rules() == after,
                "{context}: the next run completes the rewrite"
            );
            assert_eq!(temporaries(c.root()), Vec::<PathBuf>::new(), "{context}");
        }
    }
}

/// An output that cannot be written: a folder in the way of the bundle file (stops root
/// too), and, when not root, a read-only output folder. Exit 2, a message naming the path,
/// nothing new, nothing temporary.
#[test]
fn unwritable_outputs_fail_cleanly() {
    let c = Corpus::new(20, false);
    let rules = c.rules();
    let dest = tempfile::tempdir().unwrap();
    let reference = dest.path().join("reference");
    let o = c.bundle(&reference).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let archive = names(&reference)
        .into_iter()
        .find(|n| n.ends_with(".tar.gz"))
        .unwrap();

    // A folder where the archive goes.
    let out = dest.path().join("blocked");
    std::fs::create_dir_all(out.join(&archive).join("x")).unwrap();
    let o = c.bundle(&out).output().unwrap();
    assert_clean_failure(&o, &archive, "a folder in the archive's place");
    assert_eq!(names(&out), vec![archive.clone()], "{}", text(&o));
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());

    // `--out` is a file: bundle and export.
    let file = dest.path().join("a-file");
    std::fs::write(&file, b"keep").unwrap();
    let o = c.bundle(&file).output().unwrap();
    assert_clean_failure(&o, "a-file", "bundle --out FILE");
    let o = c.export(&file).output().unwrap();
    assert_clean_failure(&o, "a-file", "export --out FILE");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");

    // A target folder of the export is a file: nothing is replaced, the earlier export
    // stays whole.
    let out = dest.path().join("export");
    let o = c.export(&out).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let earlier = snapshot(&out);
    std::fs::remove_dir_all(out.join("stix")).unwrap();
    std::fs::write(out.join("stix"), b"in the way").unwrap();
    let earlier_now = snapshot(&out);
    let o = c.export(&out).output().unwrap();
    assert_clean_failure(&o, "stix", "a file in a target folder's place");
    assert!(
        snapshot(&out) == earlier_now,
        "a failed export changed the folder"
    );
    assert!(earlier != earlier_now);
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());

    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let ro = dest.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let o = c.bundle(&ro).output().unwrap();
        assert_clean_failure(&o, "read-only", "bundle into a read-only folder");
        let o = c.export(&ro).output().unwrap();
        assert_clean_failure(&o, "read-only", "export into a read-only folder");
        assert!(names(&ro).is_empty());
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert!(c.rules() == rules, "rule files changed");
}

/// A rule file that cannot be read: a FIFO named like a rule file (stops root too: reading
/// it would block forever), and, when not root, a file with no read permission. `lint`,
/// `fmt` and `lint --fix` name it and exit 2, promptly; the other files are intact.
#[test]
fn unreadable_rule_files_fail_cleanly() {
    let c = Corpus::new(10, true);
    // Rewritten once, so these runs have nothing else to write.
    for args in [&["fmt", "rules"][..], &["lint", "--fix", "rules"]] {
        let o = rf(c.root()).args(args).output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    }
    let fifo = c.root().join("rules/r000/blocked.yml");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    let rules = c.rules();
    for args in [
        &["lint", "rules"][..],
        &["fmt", "rules"],
        &["lint", "--fix", "rules"],
    ] {
        let start = Instant::now();
        let mut child = rf(c.root())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
            panic!("{args:?} hangs on a FIFO named like a rule file");
        }
        let o = child.wait_with_output().unwrap();
        assert_clean_failure(&o, "blocked.yml", &format!("{args:?} on a FIFO"));
        assert!(c.rules() == rules, "{args:?} changed rule files");
    }
    std::fs::remove_file(&fifo).unwrap();

    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let p = c.root().join("rules/r000/secret.yml");
        std::fs::write(&p, messy_rule(9999)).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        let o = rf(c.root()).args(["lint", "rules"]).output().unwrap();
        assert_clean_failure(&o, "secret.yml", "lint of a file it may not read");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

/// Rule files appear, vanish and change while `lint --fix` and `fmt` run: no panic, a
/// clean exit (0, 1, or 2 naming a file that vanished), every file the churn leaves alone
/// either as it was or completely rewritten, no temporary file.
#[test]
fn a_rules_folder_changing_during_a_run() {
    for args in [&["fmt", "rules"][..], &["lint", "--fix", "rules"][..]] {
        let c = Corpus::new(RULES, true);
        let before = c.rules();
        let mut cmd = rf(c.root());
        cmd.args(args);
        let o = cmd.output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
        let after = c.rules();
        c.repo.git(&["checkout", "-q", "--", "rules"]);

        let churn_dir = c.root().join("rules/churn");
        std::fs::create_dir_all(&churn_dir).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let churn = {
            let stop = stop.clone();
            let dir = churn_dir.clone();
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let p = dir.join(format!("c{}.yml", n % 16));
                    match n % 3 {
                        0 => std::fs::write(&p, messy_rule(100_000 + n)).unwrap(),
                        1 => {
                            let _ = std::fs::remove_file(&p);
                        }
                        _ => std::fs::write(&p, "id: [unclosed\n").unwrap(),
                    }
                    n += 1;
                }
            })
        };
        let mut cmd = rf(c.root());
        cmd.args(args);
        let o = cmd.output().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        churn.join().unwrap();
        let code = o.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{args:?} with a changing folder: {}",
            text(&o)
        );
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
        for (p, bytes) in c.rules() {
            if p.starts_with("churn") {
                continue;
            }
            assert!(
                bytes == before[&p] || bytes == after[&p],
                "{args:?}: {} is neither old nor new",
                p.display()
            );
        }
        assert_eq!(temporaries(c.root()), Vec::<PathBuf>::new(), "{args:?}");
    }
}

/// Two `bundle` runs writing the same bundle to the same folder at once: both succeed, and
/// the folder holds that one bundle, complete and verifying.
#[test]
fn two_bundles_into_one_folder_at_once() {
    let c = Corpus::new(RULES, false);
    let dest = tempfile::tempdir().unwrap();
    let out = dest.path().join("shared");
    let reference = dest.path().join("reference");
    let o = c.bundle(&reference).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    for round in 0..3 {
        let a = c
            .bundle(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = c
            .bundle(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success(), "round {round}: {}", text(&a));
        assert!(b.status.success(), "round {round}: {}", text(&b));
        assert_bundles_complete(&c, &out, &format!("round {round}"));
        assert_eq!(archives(&out), archives(&reference), "round {round}");
        assert_eq!(temporaries(&out), Vec::<PathBuf>::new(), "round {round}");
    }
}
