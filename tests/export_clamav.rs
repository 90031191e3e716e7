//! `ruleforge export clamav` judged by ClamAV: `clamscan -d DIR` loads only the exported
//! `ruleforge.hdb`/`ruleforge.hsb` and scans real sample files whose digests the rules carry;
//! it must flag exactly the files the reference matcher matches. `sigtool` reads every
//! signature back. The skip reasons are checked through the report.

mod common;

use common::engines;
use common::file_samples::{self as fs_, ids, Fixture};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `clamscan --allmatch -d DIR SAMPLES`; (rule id, sample) per reported signature.
fn scan(clamscan: &str, db: &Path, samples: &[PathBuf]) -> BTreeSet<(String, String)> {
    let out = Command::new(clamscan)
        .args(["--no-summary", "--allmatch", "--stdout", "-d"])
        .arg(db)
        .args(samples)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // 0: nothing found, 1: something found; 2 and above: an error (a database that did not load).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "clamscan failed ({:?}): {stdout}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut hits = BTreeSet::new();
    for line in stdout.lines() {
        let Some(found) = line.strip_suffix(" FOUND") else {
            continue;
        };
        let (path, name) = found.rsplit_once(": ").unwrap();
        let name = name
            .strip_suffix(".UNOFFICIAL")
            .unwrap_or_else(|| panic!("not a custom signature: {line}"));
        assert!(name.starts_with("Ruleforge."), "{line}");
        let id = &name[name.len() - 36..];
        let sample = Path::new(path).file_name().unwrap().to_string_lossy();
        hits.insert((id.to_string(), sample.into_owned()));
    }
    hits
}

fn fixture() -> (Fixture, serde_json::Value) {
    Fixture::exported("clamav")
}

#[test]
fn engines_clamscan_flags_what_the_reference_matcher_matches() {
    let Some(clamscan) = engines::tool("clamscan", "RULEFORGE_CLAMSCAN", "--version") else {
        return;
    };
    let (f, report) = fixture();
    let reference = f.reference();
    let hits = scan(&clamscan, &f.out("clamav"), &f.sample_paths());
    fs_::assert_flags_files("clamscan", &hits, &reference, &report, "clamav");
    // beta.bin's MD5 is in two rules (MD5, EMPTY_AND_BETA): one signature, named after the
    // first id; gamma.bin is flagged by two signatures (SHA-1 and SHA-256) of two rules.
    assert_eq!(
        hits,
        fs_::pairs(&[
            (ids::SHA256, "alpha.bin"),
            (ids::MD5, "beta.bin"),
            (ids::SHA1, "gamma.bin"),
            (ids::HASH_OR_NAME, "epsilon.bin"),
            (ids::AND_OR_TERM, "gamma.bin"),
        ])
    );
}

#[test]
fn engines_sigtool_reads_every_signature_back() {
    let Some(sigtool) = engines::tool("sigtool", "RULEFORGE_SIGTOOL", "--version") else {
        return;
    };
    let (f, _) = fixture();
    for file in ["ruleforge.hdb", "ruleforge.hsb"] {
        let path = f.out(&format!("clamav/{file}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let names: Vec<&str> = text.lines().map(|l| l.split(':').nth(2).unwrap()).collect();
        let out = Command::new(&sigtool)
            .arg(format!("--list-sigs={}", path.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(listed.lines().collect::<Vec<_>>(), names, "{file}");
    }
}

/// The shipped rule set loads into ClamAV (no database error) and flags nothing harmless.
#[test]
fn engines_shipped_rules_load_in_clamscan() {
    let Some(clamscan) = engines::tool("clamscan", "RULEFORGE_CLAMSCAN", "--version") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = common::ruleforge(Path::new(root))
        .args(["export", "clamav", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let db = out.path().join("clamav");
    let lines: usize = ["ruleforge.hdb", "ruleforge.hsb"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(db.join(f)).ok())
        .map(|t| t.lines().count())
        .sum();
    assert!(lines > 0, "no shipped hash exported");
    let harmless = out.path().join("harmless.txt");
    std::fs::write(&harmless, "a harmless text file\n").unwrap();
    let hits = scan(&clamscan, &db, &[harmless]);
    assert!(hits.is_empty(), "{hits:?}");
    let o = Command::new(&clamscan)
        .args(["--no-summary", "--debug", "-d"])
        .arg(&db)
        .arg(out.path().join("harmless.txt"))
        .output()
        .unwrap();
    let debug = String::from_utf8_lossy(&o.stderr);
    for f in std::fs::read_dir(&db).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            debug.contains(&format!("{name} loaded")),
            "{name} not loaded:\n{debug}"
        );
    }
}

#[test]
fn every_clamav_reason_is_reported_on_its_rule() {
    fs_::assert_reasons_documented(ruleforge::export::Target::Clamav);
    let (f, report) = fixture();
    fs_::assert_report_valid(&report);
    let st = |id| fs_::status(&report, "clamav", id);
    for id in [ids::SHA256, ids::MD5, ids::SHA1] {
        assert_eq!(st(id)["status"], "exported", "{id}");
    }
    for id in [ids::SAME_FILE_AND, ids::CROSS_FILE_AND, ids::TWO_GROUPS] {
        assert_eq!(st(id)["status"], "skipped", "{id}");
        assert_eq!(fs_::codes(st(id)), ["clamav-and"], "{id}");
    }
    assert_eq!(st(ids::HASH_OR_NAME)["status"], "partial");
    assert_eq!(fs_::codes(st(ids::HASH_OR_NAME)), ["clamav-not-content"]);
    assert_eq!(fs_::codes(st(ids::NAMES_ONLY)), ["clamav-not-content"]);
    assert_eq!(fs_::codes(st(ids::NEGATION)), ["negation"]);
    assert_eq!(st(ids::AND_OR_TERM)["status"], "partial");
    assert_eq!(fs_::codes(st(ids::AND_OR_TERM)), ["clamav-and"]);
    assert_eq!(st(ids::EMPTY_AND_BETA)["status"], "partial");
    assert_eq!(fs_::codes(st(ids::EMPTY_AND_BETA)), ["clamav-empty-file"]);
    assert_eq!(fs_::codes(st(ids::EMPTY_ONLY)), ["clamav-empty-file"]);
    assert_eq!(st(ids::EMPTY_ONLY)["status"], "skipped");
    // The empty file's digests are nowhere in the databases.
    let z = f.of(fs_::EMPTY);
    for file in ["ruleforge.hdb", "ruleforge.hsb"] {
        let text = std::fs::read_to_string(f.out(&format!("clamav/{file}"))).unwrap();
        for d in [&z.md5, &z.sha1, &z.sha256] {
            assert!(!text.contains(d.as_str()), "{file} holds {d}");
        }
    }
}

#[test]
fn clamav_export_is_byte_reproducible_and_well_formed() {
    let (f, _) = fixture();
    let read = |n: &str| std::fs::read(f.out(&format!("clamav/{n}"))).unwrap();
    let (hdb, hsb) = (read("ruleforge.hdb"), read("ruleforge.hsb"));
    f.export("clamav");
    assert_eq!(hdb, read("ruleforge.hdb"));
    assert_eq!(hsb, read("ruleforge.hsb"));
    for (file, text, lens) in [("hdb", hdb, &[32][..]), ("hsb", hsb, &[40, 64][..])] {
        for line in String::from_utf8(text).unwrap().lines() {
            let fields: Vec<&str> = line.split(':').collect();
            assert_eq!(fields.len(), 4, "{file}: {line}");
            assert!(lens.contains(&fields[0].len()), "{file}: {line}");
            assert!(fields[0]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert_eq!((fields[1], fields[3]), ("*", "73"), "{file}: {line}");
            assert!(fields[2]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        }
    }
}
