//! `ruleforge match BUNDLE --public-key KEY`: the rules of a verified bundle, matched without
//! reading any YAML; bad bundles and bad events named; standard input streamed.

mod common;

use common::GitRepo;
use ruleforge::bundle::sign;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tempfile::TempDir;

/// The commit date of the bundled rules, and a time at which their bundle is valid.
const DATE: &str = "2025-02-01T00:00:00+00:00";
const NOW: &str = "2025-02-02";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A signed bundle of the matching vectors' rules, its key pair, and the repository (which
/// `match` is run in, so that nothing but the bundle holds the rules).
struct Fixture {
    repo: GitRepo,
    _keys: TempDir,
    pk: PathBuf,
    archive: PathBuf,
}

fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let k = sign::generate(None).unwrap();
    let (sk, pk) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    );
    std::fs::write(&sk, &k.secret_key_text).unwrap();
    std::fs::write(&pk, &k.public_key_text).unwrap();
    (sk, pk)
}

fn fixture() -> Fixture {
    let repo = GitRepo::new();
    for e in std::fs::read_dir(vectors().join("rules")).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        repo.write(&format!("rules/{}", e.file_name().to_string_lossy()), &text);
    }
    repo.commit_at("vectors", DATE);
    let keys = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let out = repo
        .ruleforge()
        .args(["bundle", "--out", "dist", "--secret-key"])
        .arg(&sk)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let archive = stdout
        .lines()
        .find_map(|l| l.strip_prefix("bundle "))
        .map(|p| repo.path().join(p.trim()))
        .expect("bundle path printed");
    // The rules are in the bundle only.
    std::fs::remove_dir_all(repo.path().join("rules")).unwrap();
    Fixture {
        repo,
        _keys: keys,
        pk,
        archive,
    }
}

impl Fixture {
    /// `ruleforge match ARCHIVE --public-key PK --now NOW ARGS...`
    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.repo.ruleforge();
        c.arg("match")
            .arg(&self.archive)
            .arg("--public-key")
            .arg(&self.pk)
            .args(["--now", NOW])
            .args(args);
        c
    }
}

/// The output lines, each with its groups sorted, in sorted order.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(|l| {
            let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
            m["groups"]
                .as_array_mut()
                .unwrap()
                .sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            m.to_string()
        })
        .collect();
    v.sort();
    v
}

/// The bundle's rules give the output the YAML rules give on the vectors (the same matches:
/// a bundle lists its rules by id and their groups by name, so the matches of one event, and
/// the groups of one match, may come in another order), from a file and from standard input.
#[test]
fn a_bundle_matches_like_its_yaml_rules() {
    let f = fixture();
    let events = vectors().join("events.ndjson");
    let expected = std::fs::read_to_string(vectors().join("expected.ndjson")).unwrap();
    assert!(expected.lines().count() > 20, "the vectors match");
    let out = f
        .cmd(&["--event", events.to_str().unwrap(), "--stats"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("11 rules loaded"), "{stderr}");
    assert_eq!(
        sorted_lines(&String::from_utf8_lossy(&out.stdout)),
        sorted_lines(&expected)
    );
    let out = f
        .cmd(&["--event", "-"])
        .write_stdin(std::fs::read(&events).unwrap())
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        sorted_lines(&String::from_utf8_lossy(&out.stdout)),
        sorted_lines(&expected)
    );
}

fn stderr_of(c: &mut assert_cmd::Command, code: i32) -> String {
    let out = c.assert().code(code).get_output().clone();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_bundles_keys_and_events_are_named() {
    let f = fixture();
    let dir = f.repo.path();
    std::fs::write(dir.join("events.ndjson"), "{\"file.hash.md5\": \"x\"}\n").unwrap();
    let name = f.archive.display().to_string();

    // A key that did not sign it.
    let (_, other) = keypair(dir, "other");
    let mut c = f.repo.ruleforge();
    c.arg("match")
        .arg(&f.archive)
        .arg("--public-key")
        .arg(&other)
        .args(["--now", NOW, "--event", "events.ndjson"]);
    let err = stderr_of(&mut c, 4);
    assert!(
        err.contains(&format!("bundle rejected [unknown-key]: {name}")),
        "{err}"
    );

    // A corrupt archive: one flipped byte fails the signature before anything is read.
    let mut bytes = std::fs::read(&f.archive).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    let copy = dir.join("corrupt.tar.gz");
    std::fs::write(&copy, &bytes).unwrap();
    std::fs::copy(
        format!("{}.minisig", f.archive.display()),
        dir.join("corrupt.tar.gz.minisig"),
    )
    .unwrap();
    let mut c = f.repo.ruleforge();
    c.args(["match", "corrupt.tar.gz", "--public-key"])
        .arg(&f.pk)
        .args(["--now", NOW, "--event", "events.ndjson"]);
    let err = stderr_of(&mut c, 3);
    assert!(
        err.contains("bundle rejected [bad-signature]: corrupt.tar.gz"),
        "{err}"
    );

    // No signature file beside it; an expired bundle.
    std::fs::remove_file(dir.join("corrupt.tar.gz.minisig")).unwrap();
    let err = stderr_of(&mut c, 2);
    assert!(
        err.contains("corrupt.tar.gz.minisig: cannot read the signature"),
        "{err}"
    );
    let mut c = f.repo.ruleforge();
    c.arg("match")
        .arg(&f.archive)
        .arg("--public-key")
        .arg(&f.pk)
        .args(["--now", "2999-01-01", "--event", "events.ndjson"]);
    let err = stderr_of(&mut c, 7);
    assert!(err.contains("bundle rejected [expired]"), "{err}");

    // A bundle without a key, and a key with more than the bundle.
    let mut c = f.repo.ruleforge();
    c.arg("match")
        .arg(&f.archive)
        .args(["--event", "events.ndjson"]);
    let err = stderr_of(&mut c, 2);
    assert!(
        err.contains(&format!(
            "{name}: a bundle is matched after it verifies: pass --public-key FILE"
        )),
        "{err}"
    );
    let err = stderr_of(&mut f.cmd(&["rules", "--event", "events.ndjson"]), 2);
    assert!(
        err.contains("give one bundle to match, not 2 paths"),
        "{err}"
    );

    // A malformed event: its file, line and column.
    std::fs::write(
        dir.join("events.ndjson"),
        "{\"file.hash.md5\": \"x\"}\n\n{\"file.hash.md5\" 1}\n",
    )
    .unwrap();
    let err = stderr_of(&mut f.cmd(&["--event", "events.ndjson"]), 2);
    assert!(
        err.contains("events.ndjson:3:18: invalid JSON: expected `:`"),
        "{err}"
    );
}

/// The peak resident memory (`VmHWM`, KiB) of a running process, from `/proc`.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// NDJSON from standard input is read in bounded batches: 256 MiB of events go through a
/// process whose peak resident memory stays a fraction of that, and every match comes out.
#[test]
fn standard_input_is_streamed_with_bounded_memory() {
    let f = fixture();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ruleforge"))
        .current_dir(f.repo.path())
        .arg("match")
        .arg(&f.archive)
        .arg("--public-key")
        .arg(&f.pk)
        .args(["--now", NOW, "--event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Lines of 64 KiB (a long member no rule reads); one event in 64 matches.
    let filler = "a".repeat(64 * 1024);
    let hit = "b91ce2fa41029f6955bff20079468448";
    let lines = 4096;
    let mut stdin = child.stdin.take().unwrap();
    // Writes every event but keeps standard input open: the process is still running when
    // its peak memory is read.
    let writer = std::thread::spawn(move || {
        let mut w = std::io::BufWriter::new(&mut stdin);
        for i in 0..lines {
            let md5 = if i % 64 == 0 {
                hit
            } else {
                "00000000000000000000000000000000"
            };
            writeln!(
                w,
                "{{\"message\":\"{filler}\",\"file.hash.md5\":\"{md5}\"}}"
            )
            .unwrap();
        }
        w.flush().unwrap();
        drop(w);
        stdin
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    // All but what the pipe and the reader's buffer hold has been read by now.
    let stdin = writer.join().unwrap();
    let peak_kib = peak_rss_kib(child.id());
    drop(stdin);
    let out = reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out.lines().count(), lines / 64, "{out}");
    assert!(
        out.lines().all(|l| l.contains("\"groups\":[\"md5_hash\"]")),
        "{out}"
    );
    let input_mib = lines * 64 / 1024;
    let peak_mib = peak_kib / 1024;
    assert!(peak_mib > 0);
    assert!(
        peak_mib < 96,
        "peak RSS {peak_mib} MiB for {input_mib} MiB of events"
    );
}
