//! The lint cache never changes a result: after edits, configuration changes, suppressions,
//! renames, deletions and a version change, a run that reads the cache prints exactly what a
//! run without it prints, in every output format, with the same exit code; a corrupt or
//! foreign pack is ignored; concurrent runs are safe; `clean` removes the cache.

mod common;

use common::*;
use std::path::{Path, PathBuf};

const FORMATS: [&str; 4] = ["text", "json", "sarif", "github"];

/// The files of the repository the sequence starts from: a clean rule, one with a warning
/// that has a safe fix, one with an error, two sharing an id (a repository-wide finding), a
/// Sigma rule, a file that is not YAML, one that is not UTF-8, and inline suppressions.
fn start() -> GitRepo {
    let r = repo(&[
        (
            "rules/a.yml",
            &rule(RULE_ID, "Example web shell by hash", &hash(1)),
        ),
        (
            "rules/b.yml",
            &rule(
                "4c1f7f3a-2d2e-4d8b-9a51-0f6f4d5f1a20",
                "Second example web shell",
                &hash(2).to_uppercase(),
            ),
        ),
        (
            "rules/c.yml",
            &rule(
                "7d2a1e0b-6f1c-4b7e-8c3d-2a9e5f4b1c60",
                "Third example web shell",
                "NOT-A-HASH",
            ),
        ),
        (
            "rules/dup.yml",
            &rule(RULE_ID, "Duplicate of the first", &hash(4)),
        ),
        ("rules/sigma/whoami.yml", SIGMA_WHOAMI),
        ("rules/broken.yml", "id: [\n"),
        (
            "rules/suppressed.yml",
            &format!(
                "# ruleforge: ignore-file[RF1]\n{}",
                rule(
                    "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
                    "suppressed example",
                    &format!("{} # ruleforge: ignore[RF202]", hash(5).to_uppercase()),
                )
            ),
        ),
    ]);
    std::fs::write(r.path().join("rules/latin1.yml"), b"title: caf\xe9\n").unwrap();
    r
}

fn lint(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = ruleforge(dir);
    c.arg("lint").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One run with the cache folder `cache_arg` and debug notes (the default output format).
fn lint_cached(dir: &Path, cache_arg: &str) -> (i32, String, String) {
    lint(
        dir,
        &["--cache-dir", cache_arg],
        &[("RULEFORGE_DEBUG", "1")],
    )
}

/// In every output format: the run without the cache, then two runs with it (the first
/// after whatever changed, the second fully warm) print the same bytes and exit alike.
/// Returns the debug notes of the last cached run.
fn same_with_cache(dir: &Path, cache: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    same_with_cache_notes(dir, cache, args, env).1
}

/// [`same_with_cache`], returning the debug notes of the first cached run (the one after
/// the change) and of the last.
fn same_with_cache_notes(
    dir: &Path,
    cache: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, String) {
    let cache_arg = cache.to_str().unwrap();
    let mut first = None;
    let mut notes = String::new();
    for format in FORMATS {
        let mut plain: Vec<&str> = vec!["--output-format", format, "--no-cache"];
        plain.extend(args);
        let expected = lint(dir, &plain, env);
        assert!(
            expected.2.is_empty(),
            "{format}: stderr without the cache: {}",
            expected.2
        );
        for round in ["after the change", "warm"] {
            let mut cached: Vec<&str> = vec!["--output-format", format, "--cache-dir", cache_arg];
            cached.extend(args);
            let mut env = env.to_vec();
            env.push(("RULEFORGE_DEBUG", "1"));
            let (code, out, err) = lint(dir, &cached, &env);
            assert_eq!(
                (code, &out),
                (expected.0, &expected.1),
                "{format}, {round}, args {args:?}: the cached run differs\n{err}"
            );
            assert!(!err.contains("ignored"), "{err}");
            first.get_or_insert_with(|| err.clone());
            notes = err;
        }
    }
    (first.unwrap_or_default(), notes)
}

/// How a cached run found its repository-wide findings, from its debug notes.
fn repo_mode(notes: &str) -> &'static str {
    let line = notes
        .lines()
        .find(|l| l.contains("repository checks: "))
        .unwrap_or_else(|| panic!("no repository-checks note in {notes:?}"));
    ["reused", "updated", "every rule"]
        .into_iter()
        .find(|m| line.contains(m))
        .unwrap_or_else(|| panic!("unknown mode in {line:?}"))
}

/// `(unread, rehashed, checked)` from a run's debug note.
fn counts(notes: &str) -> (usize, usize, usize) {
    let line = notes
        .lines()
        .find(|l| l.contains(" files: "))
        .unwrap_or_else(|| panic!("no count note in {notes:?}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[1], nums[2], nums[3])
}

fn cache_dir(r: &GitRepo) -> PathBuf {
    r.path().join("cache")
}

#[test]
fn warm_output_equals_uncached_output_through_a_sequence_of_changes() {
    let r = start();
    let cache = cache_dir(&r);
    let check = |args: &[&str]| same_with_cache(r.path(), &cache, args, &[]);
    let changes = |args: &[&str]| same_with_cache_notes(r.path(), &cache, args, &[]);

    // Cold, then warm: the second cached run reads no rule file it can trust by its state
    // or re-hashes the ones written too recently, and checks none.
    let notes = check(&[]);
    let (unread, rehashed, checked) = counts(&notes);
    assert_eq!(
        checked, 1,
        "only the non-UTF-8 file is never cached: {notes}"
    );
    assert_eq!(unread + rehashed, 7, "{notes}");

    // Files older than the racy window are taken without being read.
    std::thread::sleep(std::time::Duration::from_millis(2300));
    check(&[]);
    let notes = check(&[]);
    assert_eq!(counts(&notes), (7, 0, 1), "{notes}");
    assert_eq!(repo_mode(&notes), "reused", "{notes}");

    // An edit: an error fixed, another introduced (same size: only the content differs).
    // The run after it updates the stored repository-wide findings; the next reuses them.
    r.edit("rules/c.yml", |t| t.replace("NOT-A-HASH", &hash(3)));
    r.edit("rules/a.yml", |t| t.replace(&hash(1), &"g".repeat(64)));
    let (after, warm) = changes(&[]);
    assert_eq!(repo_mode(&after), "updated", "{after}");
    assert_eq!(repo_mode(&warm), "reused", "{warm}");
    check(&["--select", "ALL"]);

    // Repository-wide findings in files that did not change: a title edited in one file
    // makes it the same as another's (RF404 in both), then a value shared (RF402), an id
    // taken by a new file (RF401 in an untouched file), and all of it undone.
    r.edit("rules/b.yml", |t| {
        t.replace("Second example web shell", "Third example web shell")
    });
    let (after, _) = changes(&[]);
    assert_eq!(repo_mode(&after), "updated", "{after}");
    assert!(
        lint(r.path(), &["--no-cache"], &[]).1.contains("RF404"),
        "the edit makes a duplicate title"
    );
    changes(&["--select", "ALL"]);
    r.edit("rules/b.yml", |t| {
        t.replace(&hash(2).to_uppercase(), &hash(3))
    });
    assert_eq!(repo_mode(&changes(&[]).0), "updated");
    r.write(
        "rules/new.yml",
        &rule(
            "7d2a1e0b-6f1c-4b7e-8c3d-2a9e5f4b1c60",
            "A new rule taking the id of another",
            &hash(6),
        ),
    );
    assert_eq!(repo_mode(&changes(&[]).0), "updated");
    std::fs::remove_file(r.path().join("rules/new.yml")).unwrap();
    assert_eq!(repo_mode(&changes(&[]).0), "updated");
    r.edit("rules/b.yml", |t| {
        t.replace("Third example web shell", "Second example web shell")
            .replace(&hash(3), &hash(2).to_uppercase())
    });
    assert_eq!(repo_mode(&changes(&[]).0), "updated");

    // Configuration: a code ignored, a per-path ignore, a size limit, `[kinds]`.
    r.write("ruleforge.toml", "[lint]\nignore = [\"RF202\"]\n");
    check(&[]);
    r.write(
        "ruleforge.toml",
        "[lint.per-path-ignores]\n\"rules/dup.yml\" = [\"RF4\"]\n",
    );
    check(&[]);
    r.write("ruleforge.toml", "[lint]\nmax-file-size = 700\n");
    check(&[]);
    r.write("ruleforge.toml", "[kinds]\nnative = [\"rules/sigma/**\"]\n");
    check(&[]);
    r.write("ruleforge.toml", "");

    // Suppressions: a repository-wide finding silenced in one file, a line suppression.
    r.edit("rules/dup.yml", |t| {
        format!("# ruleforge: ignore-file[RF401]\n{t}")
    });
    check(&[]);
    r.edit("rules/b.yml", |t| {
        t.replace(
            &hash(2).to_uppercase(),
            &format!("{} # ruleforge: ignore[RF202]", hash(2).to_uppercase()),
        )
    });
    check(&[]);

    // Renames and deletions: the new path has no entry, the old one is gone.
    std::fs::rename(
        r.path().join("rules/dup.yml"),
        r.path().join("rules/zz.yml"),
    )
    .unwrap();
    assert_eq!(repo_mode(&changes(&[]).0), "updated");
    std::fs::rename(r.path().join("rules/zz.yml"), r.path().join("rules/0.yml")).unwrap();
    std::fs::remove_file(r.path().join("rules/broken.yml")).unwrap();
    check(&[]);

    // Paths on the command line, and the whole set again after them.
    check(&["rules/a.yml", "rules/sigma"]);
    check(&[]);

    // A new version of ruleforge starts from an empty cache: everything is checked again.
    let notes = same_with_cache(
        r.path(),
        &cache,
        &[],
        &[("RULEFORGE_CACHE_VERSION", "99.0.0")],
    );
    let (_, _, checked) = counts(&notes);
    assert_eq!(checked, 1, "the second run is warm again: {notes}");
    let (code, _, notes) = lint(
        r.path(),
        &["--cache-dir", cache.to_str().unwrap()],
        &[
            ("RULEFORGE_CACHE_VERSION", "99.0.1"),
            ("RULEFORGE_DEBUG", "1"),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(counts(&notes), (0, 0, 7), "{notes}");
}

#[test]
fn changed_since_and_base_agree_with_the_uncached_run() {
    let mut r = start();
    r.commit("rules");
    let cache = cache_dir(&r);
    same_with_cache(r.path(), &cache, &["--changed-since", "HEAD"], &[]);
    r.edit("rules/a.yml", |t| {
        t.replace("Example web shell", "Edited web shell")
    });
    r.write(
        "rules/new.yml",
        &rule(RULE_ID, "A new rule reusing an id", &hash(9)),
    );
    same_with_cache(r.path(), &cache, &["--changed-since", "HEAD"], &[]);
    // The full run after a partial one: files outside the change were only summarized.
    same_with_cache(r.path(), &cache, &[], &[]);
    same_with_cache(r.path(), &cache, &["--changed-since", "HEAD"], &[]);
    same_with_cache(r.path(), &cache, &["--base", "HEAD"], &[]);
}

/// `--fix` with the cache writes the same files and prints the same as without it.
#[test]
fn fix_agrees_with_the_uncached_run() {
    let with = start();
    let without = start();
    let cache = cache_dir(&with);
    let cache_arg = cache.to_str().unwrap();
    // Warm the cache first: the entry of the file with a fixable finding must not stop
    // `--fix` from fixing it.
    lint(with.path(), &["--cache-dir", cache_arg], &[]);
    for round in 0..2 {
        let a = lint(with.path(), &["--fix", "--cache-dir", cache_arg], &[]);
        let b = lint(without.path(), &["--fix", "--no-cache"], &[]);
        assert_eq!((a.0, &a.1), (b.0, &b.1), "round {round}");
        for f in ["rules/b.yml", "rules/suppressed.yml", "rules/a.yml"] {
            assert_eq!(with.read(f), without.read(f), "round {round}: {f}");
        }
    }
    assert!(!with.read("rules/b.yml").contains(&hash(2).to_uppercase()));
    // And the cache after the fix answers like a run without it.
    same_with_cache(with.path(), &cache, &[], &[]);
}

fn pack_of(cache: &Path) -> PathBuf {
    std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack file")
}

#[test]
fn a_corrupt_or_foreign_pack_is_ignored_with_a_debug_note() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let expected = lint(r.path(), &["--no-cache"], &[]);
    lint(r.path(), &["--cache-dir", cache_arg], &[]);
    let pack = pack_of(&cache);
    let good = std::fs::read(&pack).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() - 40;
    flipped[mid] ^= 0x5a;
    let mut foreign = good.clone();
    let at = foreign
        .windows(9)
        .position(|w| w == b"ruleforge")
        .expect("the key is in the header");
    foreign[at] = b'R';
    // A pack of the previous layout (its rule summaries encoded another way).
    let mut previous = good.clone();
    assert_eq!(&previous[..8], b"RFLINTC5");
    previous[7] = b'4';
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("the previous layout", previous),
        ("a flipped byte", flipped),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("not a pack", b"{\"entries\": []}".to_vec()),
        ("another key", foreign),
    ];
    for (what, bytes) in cases {
        std::fs::write(&pack, &bytes).unwrap();
        let (code, out, err) = lint_cached(r.path(), cache_arg);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}");
        assert!(err.contains("ignored"), "{what}: {err}");
        assert_eq!(counts(&err).2, 8, "{what}: every file checked: {err}");
        // The run wrote a good pack again.
        let (code, out, err) = lint_cached(r.path(), cache_arg);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}");
        assert_eq!(counts(&err).2, 1, "{what}: warm again: {err}");
    }
}

#[test]
fn concurrent_runs_are_safe() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap().to_string();
    let expected = lint(r.path(), &["--no-cache", "--output-format", "json"], &[]);
    for _ in 0..3 {
        let children: Vec<_> = (0..6)
            .map(|_| {
                let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ruleforge"));
                common::git::isolate(&mut c)
                    .current_dir(r.path())
                    .args(["lint", "--output-format", "json", "--cache-dir", &cache_arg])
                    .env("RULEFORGE_DEBUG", "1")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(expected.0), "{err}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected.1);
            assert!(!err.contains("ignored"), "{err}");
        }
        r.edit("rules/a.yml", |t| format!("{t}# another line\n"));
        let expected_now = lint(r.path(), &["--no-cache", "--output-format", "json"], &[]);
        assert_eq!(expected_now.1, expected.1);
    }
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn default_location_is_tagged_ignored_by_git_and_removed_by_clean() {
    let r = start();
    let (code, _, err) = lint(r.path(), &[], &[]);
    assert_eq!(code, 1, "{err}");
    let dir = r.path().join(".ruleforge_cache");
    let tag = std::fs::read_to_string(dir.join("CACHEDIR.TAG")).unwrap();
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    assert!(pack_of(&dir).exists());
    // The folder ignores itself: the working tree stays clean for `bundle`.
    let status = r.git(&["status", "--porcelain", "--ignored=no"]);
    assert!(!status.contains(".ruleforge_cache"), "{status}");

    // RULEFORGE_CACHE_DIR moves it.
    let elsewhere = r.path().join("env-cache");
    let (code, _, _) = lint(
        r.path(),
        &[],
        &[("RULEFORGE_CACHE_DIR", elsewhere.to_str().unwrap())],
    );
    assert_eq!(code, 1);
    assert!(pack_of(&elsewhere).exists());

    // --no-cache neither reads nor writes one.
    let nowhere = r.path().join("never");
    lint(
        r.path(),
        &["--no-cache", "--cache-dir", nowhere.to_str().unwrap()],
        &[],
    );
    assert!(!nowhere.exists());

    let (code, out, err) = run(r.path(), &["clean"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "removed .ruleforge_cache\n"),
        "{err}"
    );
    assert!(!dir.exists());
    let (code, out, _) = run(r.path(), &["clean"]);
    assert_eq!((code, out.as_str()), (0, "no cache at .ruleforge_cache\n"));
    let (code, _, _) = run(
        r.path(),
        &["clean", "--cache-dir", elsewhere.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert!(!elsewhere.exists());

    // A folder that is not a cache is never removed.
    let (code, _, err) = run(r.path(), &["clean", "--cache-dir", "rules"]);
    assert_eq!(code, 2);
    assert!(err.contains("rules: not a ruleforge cache"), "{err}");
    assert!(r.path().join("rules/a.yml").exists());
}

#[test]
fn init_ignores_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(dir.path(), &["init", "."]);
    assert_eq!(code, 0, "{err}");
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert!(
        gitignore.lines().any(|l| l == "/.ruleforge_cache/"),
        "{gitignore}"
    );
}

/// Sixty random edits, additions and deletions of rules sharing ids, titles and hashes (native and
/// Sigma, with Sigma file names shared across folders): after each, the cached run (whose
/// repository-wide findings are updated, not found again) prints what `--no-cache` prints.
#[test]
fn random_edits_keep_the_repository_findings() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let ids = [
        RULE_ID,
        "4c1f7f3a-2d2e-4d8b-9a51-0f6f4d5f1a20",
        "7d2a1e0b-6f1c-4b7e-8c3d-2a9e5f4b1c60",
    ];
    let titles = [
        "Example web shell",
        "Another web shell",
        "example web shell ",
    ];
    let paths = [
        "rules/n0.yml",
        "rules/n1.yml",
        "rules/n2.yml",
        "rules/d/n3.yml",
        "rules/sigma/s0.yml",
        "rules/sigma/s1.yml",
        "rules/sigma/x/s0.yml",
    ];
    let r = repo(&[("rules/n0.yml", &rule(ids[0], titles[0], &hash(1)))]);
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let mut updated = 0;
    let mut seen = std::collections::BTreeSet::new();
    for step in 0..60 {
        let path = paths[next(paths.len())];
        let file = r.path().join(path);
        if next(6) == 0 {
            let _ = std::fs::remove_file(&file);
        } else if path.contains("sigma") {
            let text = SIGMA_WHOAMI
                .replace("1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01", ids[next(ids.len())])
                .replace(
                    "Whoami Execution From a Web Server Process",
                    titles[next(titles.len())],
                );
            r.write(path, &text);
        } else {
            let text = rule(
                ids[next(ids.len())],
                titles[next(titles.len())],
                &hash(next(4) as u8),
            );
            r.write(path, &text);
        }
        let expected = lint(r.path(), &["--output-format", "json", "--no-cache"], &[]);
        let (code, out, notes) = lint(
            r.path(),
            &["--output-format", "json", "--cache-dir", cache_arg],
            &[("RULEFORGE_DEBUG", "1")],
        );
        assert_eq!(
            (code, &out),
            (expected.0, &expected.1),
            "step {step}: {path}\n{notes}"
        );
        if repo_mode(&notes) == "updated" {
            updated += 1;
        }
        for code in ["RF401", "RF402", "RF404", "RF690", "RF691", "RF692"] {
            if expected.1.contains(&format!("\"{code}\"")) {
                seen.insert(code);
            }
        }
    }
    assert!(
        updated >= 40,
        "the stored findings were updated {updated} times"
    );
    assert_eq!(seen.len(), 6, "repository-wide findings reached: {seen:?}");
}

/// A cache folder keeps the packs of the newest four sets of settings: a fifth removes the
/// oldest (whose next run starts cold), the others stay warm.
#[test]
fn old_packs_are_pruned() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let packs = || {
        std::fs::read_dir(&cache)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".pack")
            })
            .count()
    };
    let settings = ["RF101", "RF102", "RF103", "RF104", "RF105"];
    for (n, code) in settings.iter().enumerate() {
        lint(r.path(), &["--ignore", code, "--cache-dir", cache_arg], &[]);
        assert_eq!(packs(), (n + 1).min(4), "after {code}");
        // Distinct write times, whatever the file system's clock granularity.
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let checked = |code: &str| {
        let (_, _, notes) = lint(
            r.path(),
            &["--ignore", code, "--cache-dir", cache_arg],
            &[("RULEFORGE_DEBUG", "1")],
        );
        counts(&notes).2
    };
    assert_eq!(checked("RF105"), 1, "the newest pack is warm");
    assert_eq!(checked("RF102"), 1, "a kept pack is warm");
    assert_eq!(checked("RF101"), 8, "the oldest pack was removed");
}

/// A run killed while writing its pack leaves the pack's temporary file behind; the next run
/// that writes a pack into the folder removes it (its process is gone).
#[cfg(unix)]
#[test]
fn a_killed_runs_pack_temporary_is_removed() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    lint(r.path(), &["--cache-dir", cache_arg], &[]);
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = cache.join(format!(".ruleforge-{dead}.AbCdEf.tmp"));
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    // Other settings: this run writes a pack of its own.
    lint(
        r.path(),
        &["--ignore", "RF101", "--cache-dir", cache_arg],
        &[],
    );
    assert!(
        !stale.exists(),
        "the killed run's temporary file is removed"
    );
}

/// Where the marks and the own summaries regions of a pack lie (its layout: magic, the id
/// and length of its summaries file, key length and key, number of chunks and their lengths,
/// the marks', offsets', own summaries' and section's lengths, two checksums, then the
/// entries, offsets, marks, own summaries and section).
fn regions(pack: &[u8]) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let word = |at: usize| u64::from_le_bytes(pack[at..at + 8].try_into().unwrap()) as usize;
    let mut at = 24;
    at += 8 + word(at);
    let chunks = word(at);
    at += 8;
    let entries: usize = (0..chunks).map(|k| word(at + 8 * k)).sum();
    at += 8 * chunks;
    let (marks, offsets, own) = (word(at), word(at + 8), word(at + 16));
    let marks_start = at + 8 * 6 + entries + offsets;
    (
        marks_start..marks_start + marks,
        marks_start + marks..marks_start + marks + own,
    )
}

/// The summaries files in the cache folder.
fn sums_files(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sums"))
        .collect();
    v.sort();
    v
}

/// The one summaries file in the cache folder.
fn sums_of(cache: &Path) -> PathBuf {
    let v = sums_files(cache);
    assert_eq!(v.len(), 1, "one summaries file: {v:?}");
    v[0].clone()
}

#[test]
fn damaged_marks_or_summaries_are_never_trusted() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let first = r.path().join("rules/a.yml");
    let original = std::fs::read_to_string(&first).unwrap();
    for what in ["marks", "summaries"] {
        lint(r.path(), &["--cache-dir", cache_arg], &[]);
        // The first byte of the marks region (the first file's marks, in path order), or
        // of the summaries file after its head (the first file's summaries).
        let (file, at) = if what == "marks" {
            let pack = pack_of(&cache);
            let (marks, own) = regions(&std::fs::read(&pack).unwrap());
            assert!(!marks.is_empty() && own.is_empty(), "{what}");
            (pack, marks.start)
        } else {
            (sums_of(&cache), 16)
        };
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[at] ^= 0x5a;
        std::fs::write(&file, &bytes).unwrap();
        // A file that did not change does not read its summaries or marks: still warm.
        let (_, _, err) = lint_cached(r.path(), cache_arg);
        assert_eq!(repo_mode(&err), "reused", "{what}: {err}");
        // The first file changes: the update reads them, finds the damage and runs the checks
        // over every rule, with the result of a run without the cache.
        std::fs::write(&first, format!("{original}# edited\n")).unwrap();
        let expected = lint(r.path(), &["--no-cache"], &[]);
        let (code, out, err) = lint_cached(r.path(), cache_arg);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}");
        assert!(
            err.contains("stored repository findings ignored") && err.contains("checksum mismatch"),
            "{what}: {err}"
        );
        assert_eq!(repo_mode(&err), "every rule", "{what}: {err}");
        std::fs::write(&first, &original).unwrap();
        let _ = std::fs::remove_dir_all(&cache);
    }
}

/// A summaries file that is missing, foreign (another id in its head) or shorter than the
/// pack relies on makes the whole pack ignored (with a debug note): the run checks every
/// file, prints what a run without the cache prints, and writes a good pack and summaries
/// file again.
#[test]
fn a_missing_or_foreign_summaries_file_is_never_trusted() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let expected = lint(r.path(), &["--no-cache"], &[]);
    for what in ["missing", "foreign", "truncated"] {
        lint(r.path(), &["--cache-dir", cache_arg], &[]);
        let sums = sums_of(&cache);
        let mut bytes = std::fs::read(&sums).unwrap();
        match what {
            "missing" => std::fs::remove_file(&sums).unwrap(),
            "foreign" => {
                bytes[8] ^= 1;
                std::fs::write(&sums, &bytes).unwrap();
            }
            _ => std::fs::write(&sums, &bytes[..bytes.len() - 1]).unwrap(),
        }
        let (code, out, err) = lint_cached(r.path(), cache_arg);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}");
        assert!(
            err.contains("ignored") && err.contains(".sums"),
            "{what}: {err}"
        );
        assert_eq!(counts(&err).2, 8, "{what}: every file checked: {err}");
        let (code, out, err) = lint_cached(r.path(), cache_arg);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}");
        assert_eq!(counts(&err).2, 1, "{what}: warm again: {err}");
        sums_of(&cache);
        let _ = std::fs::remove_dir_all(&cache);
    }
}

/// A summaries file no pack names is removed by the next run that writes a pack once it is
/// older than a minute (a fresh one may be a concurrent run's, whose pack is not yet in
/// place); a pruned pack's is removed with it.
#[test]
fn summaries_files_no_pack_names_are_removed() {
    let r = start();
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    lint(r.path(), &["--cache-dir", cache_arg], &[]);
    let stale = cache.join("lint-00000000deadbeef.sums");
    let fresh = cache.join("lint-00000000cafef00d.sums");
    for p in [&stale, &fresh] {
        std::fs::write(p, b"RFLINTS1 not named").unwrap();
    }
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    // Other settings: this run writes a pack of its own.
    lint(
        r.path(),
        &["--ignore", "RF101", "--cache-dir", cache_arg],
        &[],
    );
    assert!(
        !stale.exists(),
        "an old summaries file no pack names is removed"
    );
    assert!(fresh.exists(), "a fresh one is kept");
    std::fs::remove_file(&fresh).unwrap();
    // Five sets of settings: the oldest pack is pruned, and its summaries file with it.
    for code in ["RF102", "RF103", "RF104"] {
        std::thread::sleep(std::time::Duration::from_millis(50));
        lint(r.path(), &["--ignore", code, "--cache-dir", cache_arg], &[]);
    }
    assert_eq!(sums_files(&cache).len(), 4, "{:?}", sums_files(&cache));
}

/// A repository of `n` rules `rules/rNNNN.yml`, each with its own id, title and digest (the
/// files' paths and texts, and the repository).
fn numbered_rules(n: u32) -> (Vec<(String, String)>, GitRepo) {
    let files: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("rules/r{i:04}.yml"),
                rule(
                    &format!("{i:08x}-2d2e-4d8b-9a51-0f6f4d5f1a20"),
                    &format!("Example web shell number {i}"),
                    &format!("{:064x}", 0x5eed_0000_u64 + u64::from(i)),
                ),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let r = repo(&borrowed);
    (files, r)
}

/// A run that changed a few files of a larger repository keeps the summaries file and puts
/// the changed files' summaries in its pack's own region (it writes the entries and marks,
/// not every file's summaries); a later update reads both (their checksums hold), and a run
/// that changed many files compacts them into a new summaries file (the old one's unchanged
/// stretches copied file to file); the old one is removed once a minute old.
#[test]
fn a_few_changes_keep_the_summaries_file() {
    let (_, r) = numbered_rules(1000);
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let cached = |r: &GitRepo, threads: &str| {
        lint(
            r.path(),
            &["--output-format", "json", "--cache-dir", cache_arg],
            &[("RULEFORGE_DEBUG", "1"), ("RAYON_NUM_THREADS", threads)],
        )
    };
    let expect_same_on = |r: &GitRepo, what: &str, mode: &str, threads: &str| {
        let expected = lint(r.path(), &["--output-format", "json", "--no-cache"], &[]);
        let (code, out, notes) = cached(r, threads);
        assert_eq!((code, &out), (expected.0, &expected.1), "{what}\n{notes}");
        assert_eq!(repo_mode(&notes), mode, "{what}: {notes}");
        assert!(!notes.contains("ignored"), "{what}: {notes}");
        // On Linux the kernel copies (a fallback to writing would say so).
        #[cfg(target_os = "linux")]
        assert!(!notes.contains("copy_file_range"), "{what}: {notes}");
        (expected.1, notes)
    };
    let expect_same = |r: &GitRepo, what: &str, mode: &str| expect_same_on(r, what, mode, "");
    let own_len = || regions(&std::fs::read(pack_of(&cache)).unwrap()).1.len();
    // A cold run writes the summaries in the order its threads gather them: on one thread
    // that is path order, so the compaction below finds the first nine tenths as one stretch.
    expect_same_on(&r, "cold", "every rule", "1");
    let sums = sums_of(&cache);
    let sums_len = std::fs::metadata(&sums).unwrap().len();
    assert!(sums_len > (1 << 16) + 4096, "{sums_len} bytes of summaries");
    assert_eq!(own_len(), 0, "a cold run puts every summary in the file");
    // The first file takes the title of the 501st: a duplicate title (RF404) whose other
    // holder's summaries lie in the summaries file.
    let first = r.path().join("rules/r0000.yml");
    let original = std::fs::read_to_string(&first).unwrap();
    r.write(
        "rules/r0000.yml",
        &original.replace("number 0\n", "number 500\n"),
    );
    let (out, notes) = expect_same(&r, "after the edit", "updated");
    assert!(out.contains("RF404"), "{out}");
    assert!(notes.contains("the summaries file kept"), "{notes}");
    assert_eq!(sums_of(&cache), sums, "the same summaries file");
    assert_eq!(
        std::fs::metadata(&sums).unwrap().len(),
        sums_len,
        "unchanged"
    );
    let own = own_len();
    assert!(
        own > 0 && own < 4096,
        "one file's summaries in the pack: {own}"
    );
    expect_same(&r, "warm", "reused");
    // Undone: the update reads the 501st file's summaries from the summaries file and the
    // first file's old ones from the pack's own region.
    r.write("rules/r0000.yml", &original);
    let (out, _) = expect_same(&r, "after undoing the edit", "updated");
    assert!(!out.contains("RF404"), "{out}");
    assert_eq!(sums_of(&cache), sums, "the same summaries file");
    expect_same(&r, "warm again", "reused");
    // Many files change (the last tenth: more than a sixteenth of the summaries):
    // compacted, the first nine tenths copied as one stretch.
    for i in 900..1000 {
        let path = format!("rules/r{i:04}.yml");
        let text = std::fs::read_to_string(r.path().join(&path)).unwrap();
        r.write(&path, &format!("{text}# edited\n"));
    }
    let (_, notes) = expect_same(&r, "after many edits", "every rule");
    assert!(notes.contains("rule summaries written"), "{notes}");
    #[cfg(target_os = "linux")]
    assert!(notes.contains("copied file to file"), "{notes}");
    // The pack names a new summaries file; the old one stays a minute (a concurrent run
    // may still be opening it), then a run that writes a pack removes it.
    assert_eq!(sums_files(&cache).len(), 2, "{:?}", sums_files(&cache));
    assert_eq!(own_len(), 0, "every summary in the new file");
    expect_same(&r, "warm after compacting", "reused");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&sums)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    // Undone: the update reads summaries copied from the first file.
    r.write(
        "rules/r0000.yml",
        &original.replace("number 0\n", "number 500\n"),
    );
    let (out, _) = expect_same(&r, "an edit after compacting", "updated");
    assert!(out.contains("RF404"), "{out}");
    assert_ne!(sums_of(&cache), sums, "the old summaries file removed");
}

/// The state a warm run compares for a rule file reached through a symlink is that of the
/// file the link names, so editing that file and pointing the link elsewhere are each seen; a
/// file replaced by a folder is seen; a dangling link is the same I/O error with and without
/// the cache; files given by name are taken without being read, as walked ones are.
#[cfg(unix)]
#[test]
fn states_follow_links_and_changes_of_kind() {
    let r = start();
    let cache = cache_dir(&r);
    let check = |args: &[&str]| same_with_cache(r.path(), &cache, args, &[]);
    r.write(
        "elsewhere/linked.yml",
        &rule(
            "0b6e2f1c-3a4d-4e5f-8a9b-1c2d3e4f5a6b",
            "Linked example",
            &hash(6),
        ),
    );
    r.write(
        "elsewhere/other.yml",
        &rule(
            "1c7f3a2d-4b5e-4f60-9b0c-2d3e4f5a6b7c",
            "Other linked example",
            &hash(7),
        ),
    );
    std::os::unix::fs::symlink("../elsewhere/linked.yml", r.path().join("rules/link.yml")).unwrap();
    check(&[]);
    std::thread::sleep(std::time::Duration::from_millis(2300));
    check(&[]);
    let notes = check(&[]);
    assert_eq!(counts(&notes), (8, 0, 1), "{notes}");

    // The file the link names is edited (its size changes): the run reads it.
    r.edit("elsewhere/linked.yml", |t| {
        t.replace("Linked example", "Linked example, edited")
    });
    let (after, _) = same_with_cache_notes(r.path(), &cache, &[], &[]);
    let (_, _, checked) = counts(&after);
    assert_eq!(checked, 2, "the edited target is checked again: {after}");

    // The link points elsewhere: another file, whose own state is compared.
    std::fs::remove_file(r.path().join("rules/link.yml")).unwrap();
    std::os::unix::fs::symlink("../elsewhere/other.yml", r.path().join("rules/link.yml")).unwrap();
    let (after, _) = same_with_cache_notes(r.path(), &cache, &[], &[]);
    assert_eq!(counts(&after).2, 2, "the new target is checked: {after}");

    // A rule file replaced by a folder of the same name (with no rule file in it).
    std::fs::remove_file(r.path().join("rules/b.yml")).unwrap();
    std::fs::create_dir(r.path().join("rules/b.yml")).unwrap();
    std::fs::write(r.path().join("rules/b.yml/notes.txt"), "not a rule\n").unwrap();
    check(&[]);
    check(&["--select", "ALL"]);

    // Files given by name: taken from their entries without being read.
    std::thread::sleep(std::time::Duration::from_millis(2300));
    check(&["rules/a.yml", "rules/link.yml"]);
    let notes = check(&["rules/a.yml", "rules/link.yml"]);
    assert_eq!(counts(&notes), (2, 0, 0), "{notes}");

    // A dangling link: the same error, naming the file, with and without the cache.
    std::fs::remove_file(r.path().join("elsewhere/other.yml")).unwrap();
    let plain = lint(r.path(), &["--no-cache"], &[]);
    assert_eq!(plain.0, 2, "{plain:?}");
    assert!(plain.2.contains("rules/link.yml"), "{plain:?}");
    let cache_arg = cache.to_str().unwrap();
    for _ in 0..2 {
        let cached = lint(r.path(), &["--cache-dir", cache_arg], &[]);
        assert_eq!((cached.0, &cached.2), (plain.0, &plain.2));
        assert_eq!(cached.1, plain.1);
    }
}

/// A cold run (which writes its summaries file while it checks the files) that fails in the
/// middle of checking them (a FIFO named like a rule file: exit 2, naming it) leaves nothing
/// in the cache folder but its tag and ignore file: neither the summaries file it was
/// writing nor a pack. Once the FIFO is gone, the next run writes both whole (one
/// summaries file, no temporary file) and prints what a run without the cache prints.
#[cfg(unix)]
#[test]
fn a_failed_cold_run_leaves_no_summaries_file() {
    let (files, r) = numbered_rules(300);
    let cache = cache_dir(&r);
    let cache_arg = cache.to_str().unwrap();
    let left = || {
        let mut v: Vec<String> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let fifo = r.path().join("rules/r0150-blocked.yml");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    let (code, _, notes) = lint_cached(r.path(), cache_arg);
    assert_eq!(code, 2, "{notes}");
    assert!(notes.contains("r0150-blocked.yml"), "{notes}");
    assert_eq!(left(), [".gitignore", "CACHEDIR.TAG"], "{notes}");

    std::fs::remove_file(&fifo).unwrap();
    let plain = lint(r.path(), &["--no-cache"], &[]);
    let (code, out, notes) = lint_cached(r.path(), cache_arg);
    assert_eq!((code, &out), (plain.0, &plain.1), "{notes}");
    let sums = sums_of(&cache);
    let names = left();
    assert_eq!(
        names.len(),
        4,
        "tag, ignore file, pack, summaries: {names:?}"
    );
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert!(pack_of(&cache).exists());
    // Whole: the next run reads every file's summaries from it (their checksums hold).
    r.write("rules/r0000.yml", &format!("{}# edited\n", files[0].1));
    let (first, _) = same_with_cache_notes(r.path(), &cache, &[], &[]);
    assert_eq!(repo_mode(&first), "updated", "{first}");
    assert!(first.contains("the summaries file kept"), "{first}");
    assert_eq!(sums_of(&cache), sums, "the summaries file kept");
}
