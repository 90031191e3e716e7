//! `ruleforge export yara` judged by the engines: libyara 4.x (`yara`) and YARA-X (the
//! `yara_x` Python module) compile `yara/ruleforge.yar` and scan real sample files whose
//! digests the rules carry; each must flag exactly the files the reference matcher matches.
//! The skip reasons are checked through the report.

mod common;

use common::engines;
use common::file_samples::{self as fs_, ids, Fixture};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The ruleforge id of a YARA identifier `rf_<32 hex>_…`.
fn rule_id(identifier: &str) -> String {
    let hex = identifier
        .strip_prefix("rf_")
        .unwrap_or_else(|| panic!("not a ruleforge identifier: {identifier}"));
    fs_::uuid_of_hex(&hex[..32])
}

fn sample_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// `yara -w RULES FILE` for each sample; (rule id, sample) per reported match.
fn scan_libyara(
    yara: &str,
    rules: &Path,
    samples: &[std::path::PathBuf],
) -> BTreeSet<(String, String)> {
    let mut hits = BTreeSet::new();
    for s in samples {
        let out = Command::new(yara)
            .arg("-w")
            .arg(rules)
            .arg(s)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "yara failed on {}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let (ident, path) = line.split_once(' ').unwrap();
            hits.insert((rule_id(ident), sample_name(path)));
        }
    }
    hits
}

const YARA_X_SCAN: &str = r#"
import sys, yara_x
compiler = yara_x.Compiler()
compiler.add_source(open(sys.argv[1], encoding="utf-8").read())
rules = compiler.build()
warnings = compiler.warnings()
if warnings:
    sys.exit("yara-x warnings: %r" % (warnings,))
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        for m in rules.scan(f.read()).matching_rules:
            print(m.identifier, path)
"#;

/// YARA-X over the samples; (rule id, sample) per match.
fn scan_yara_x(
    python: &str,
    rules: &Path,
    samples: &[std::path::PathBuf],
) -> BTreeSet<(String, String)> {
    let out = Command::new(python)
        .args(["-c", YARA_X_SCAN])
        .arg(rules)
        .args(samples)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "yara-x failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (ident, path) = l.split_once(' ').unwrap();
            (rule_id(ident), sample_name(path))
        })
        .collect()
}

/// What both engines must report on the shared rule set, written out.
fn expected() -> BTreeSet<(String, String)> {
    fs_::pairs(&[
        (ids::SHA256, "alpha.bin"),
        (ids::MD5, "beta.bin"),
        (ids::SHA1, "gamma.bin"),
        (ids::SAME_FILE_AND, "delta.bin"),
        (ids::TWO_GROUPS, "epsilon.bin"),
        (ids::HASH_OR_NAME, "epsilon.bin"),
        (ids::AND_OR_TERM, "alpha.bin"),
        (ids::AND_OR_TERM, "gamma.bin"),
        (ids::EMPTY_AND_BETA, "beta.bin"),
    ])
}

fn fixture() -> (Fixture, serde_json::Value) {
    Fixture::exported("yara")
}

#[test]
fn engines_libyara_flags_what_the_reference_matcher_matches() {
    let Some(yara) = engines::tool("yara", "RULEFORGE_YARA", "--version") else {
        return;
    };
    let (f, report) = fixture();
    let reference = f.reference();
    let hits = scan_libyara(&yara, &f.out("yara/ruleforge.yar"), &f.sample_paths());
    fs_::assert_agrees("libyara", &hits, &reference, &report, "yara");
    assert_eq!(hits, expected());
}

#[test]
fn engines_yara_x_flags_what_the_reference_matcher_matches() {
    let Some(python) = engines::python("yara_x") else {
        return;
    };
    let (f, report) = fixture();
    let reference = f.reference();
    let hits = scan_yara_x(&python, &f.out("yara/ruleforge.yar"), &f.sample_paths());
    fs_::assert_agrees("yara-x", &hits, &reference, &report, "yara");
    assert_eq!(hits, expected());
}

/// The shipped rule set compiles in both engines without a warning, with one YARA rule per
/// exported or partial rule.
#[test]
fn engines_shipped_rules_compile_in_both_engines() {
    let yara = engines::tool("yara", "RULEFORGE_YARA", "--version");
    let python = engines::python("yara_x");
    if yara.is_none() && python.is_none() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = common::ruleforge(Path::new(root))
        .args(["export", "yara", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rules = out.path().join("yara/ruleforge.yar");
    let text = std::fs::read_to_string(&rules).unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("export-report.json")).unwrap())
            .unwrap();
    let counts = &report["targets"]["yara"]["counts"];
    let carried = counts["exported"].as_u64().unwrap() + counts["partial"].as_u64().unwrap();
    assert!(carried > 0, "no shipped rule exported");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("rule rf_")).count() as u64,
        carried
    );
    let empty = out.path().join("empty-target");
    std::fs::write(&empty, "not a sample\n").unwrap();
    if let Some(yara) = yara {
        let o = Command::new(&yara)
            .arg("-w")
            .arg(&rules)
            .arg(&empty)
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stderr.is_empty() && o.stdout.is_empty(),
            "libyara on the shipped rules: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    if let Some(python) = python {
        let hits = scan_yara_x(&python, &rules, &[empty]);
        assert!(hits.is_empty(), "{hits:?}");
    }
}

#[test]
fn every_yara_reason_is_reported_on_its_rule() {
    fs_::assert_reasons_documented(ruleforge::export::Target::Yara);
    let (_f, report) = fixture();
    fs_::assert_report_valid(&report);
    let st = |id| fs_::status(&report, "yara", id);
    for id in [
        ids::SHA256,
        ids::MD5,
        ids::SHA1,
        ids::SAME_FILE_AND,
        ids::CROSS_FILE_AND,
        ids::TWO_GROUPS,
    ] {
        assert_eq!(st(id)["status"], "exported", "{id}");
    }
    assert_eq!(st(ids::HASH_OR_NAME)["status"], "partial");
    assert_eq!(fs_::codes(st(ids::HASH_OR_NAME)), ["yara-not-content"]);
    assert_eq!(fs_::codes(st(ids::NAMES_ONLY)), ["yara-not-content"]);
    assert_eq!(st(ids::NAMES_ONLY)["status"], "skipped");
    assert_eq!(fs_::codes(st(ids::NEGATION)), ["negation"]);
    assert_eq!(st(ids::AND_OR_TERM)["status"], "exported");
    assert_eq!(st(ids::EMPTY_AND_BETA)["status"], "partial");
    assert_eq!(fs_::codes(st(ids::EMPTY_AND_BETA)), ["yara-empty-file"]);
    assert_eq!(st(ids::EMPTY_ONLY)["status"], "skipped");
    assert_eq!(fs_::codes(st(ids::EMPTY_ONLY)), ["yara-empty-file"]);
}

#[test]
fn yara_export_is_byte_reproducible_and_well_formed() {
    let (f, _) = fixture();
    let first = std::fs::read(f.out("yara/ruleforge.yar")).unwrap();
    let report_first = std::fs::read(f.out("export-report.json")).unwrap();
    f.export("yara");
    assert_eq!(first, std::fs::read(f.out("yara/ruleforge.yar")).unwrap());
    assert_eq!(
        report_first,
        std::fs::read(f.out("export-report.json")).unwrap()
    );
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains("\nimport \"hash\"\n"));
    // Upper-case hex never matches in YARA: every digest is written lower-case.
    for line in text.lines().filter(|l| l.contains("hash.")) {
        for part in line.split('"').skip(1).step_by(2) {
            assert!(
                part.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{part}"
            );
        }
    }
    // Identifiers are unique.
    let idents: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("rule "))
        .map(|l| l.trim_end_matches(" {"))
        .collect();
    let unique: BTreeSet<&&str> = idents.iter().collect();
    assert_eq!(unique.len(), idents.len());
}
