//! One fixture pair per lint rule: `tests/fixtures/lint/<CODE>/fires/` must produce the code,
//! `clean/` must produce no finding at all (with every rule selected). The text output of each
//! `fires` case is snapshot-tested, so a reviewer sees exactly what a user sees.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// Copies a fixture case into a fresh repository root: `ruleforge.toml` at the root, the
/// rule files (and sub-folders, for checks that look at folders) under `rules/`.
fn stage(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("ruleforge.toml"), "").unwrap();
    for entry in std::fs::read_dir(case).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        let dest = if name == "ruleforge.toml" {
            dir.path().join(name)
        } else {
            dir.path().join("rules").join(name)
        };
        copy_tree(&p, &dest);
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let p = entry.unwrap().path();
            copy_tree(&p, &to.join(p.file_name().unwrap()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

fn lint(root: &Path, format: &str) -> (i32, String) {
    let out = Command::cargo_bin("ruleforge")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(["lint", "--select", "ALL", "--output-format", format])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn codes() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn every_rule_has_a_fixture() {
    let have = codes();
    let diff_tests =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff.rs"))
            .unwrap();
    for reg in ruleforge::lint::registry::all() {
        let r = reg.rule;
        if matches!(reg.check, ruleforge::lint::registry::Check::Policy) {
            // Policy rules compare two revisions: their tests build git histories.
            assert!(
                diff_tests.contains(r.code),
                "{} ({}) is not exercised in tests/diff.rs",
                r.code,
                r.name
            );
            continue;
        }
        assert!(
            have.iter().any(|c| c == r.code),
            "{} ({}) has no fixture in tests/fixtures/lint",
            r.code,
            r.name
        );
    }
}

#[test]
fn fires_cases_report_their_code() {
    for code in codes() {
        let dir = stage(&fixtures().join(&code).join("fires"));
        let (status, out) = lint(dir.path(), "json");
        let diags: Vec<Value> = serde_json::from_str(&out).unwrap();
        let hits: Vec<&Value> = diags
            .iter()
            .filter(|d| d["code"] == code.as_str())
            .collect();
        assert!(!hits.is_empty(), "{code}: expected a finding, got {out}");
        let rule = ruleforge::lint::registry::lookup(&code).unwrap();
        let any_error = diags.iter().any(|d| d["severity"] == "error");
        assert_eq!(status, if any_error { 1 } else { 0 }, "{code}: exit status");
        if rule.severity == ruleforge::Severity::Error {
            assert_eq!(status, 1, "{code} is an error: exit 1");
        }
        for h in hits {
            assert_eq!(h["severity"], rule.severity.as_str(), "{code}");
            assert!(h["line"].as_u64().unwrap() >= 1 && h["column"].as_u64().unwrap() >= 1);
        }
    }
}

#[test]
fn clean_cases_report_nothing() {
    for code in codes() {
        let dir = stage(&fixtures().join(&code).join("clean"));
        let (status, out) = lint(dir.path(), "json");
        assert_eq!(out.trim(), "[]", "{code}: clean fixture has findings");
        assert_eq!(status, 0, "{code}");
    }
}

#[test]
fn fires_text_snapshots() {
    for code in codes() {
        let dir = stage(&fixtures().join(&code).join("fires"));
        let (_, out) = lint(dir.path(), "text");
        insta::with_settings!({filters => vec![(r"today is \d{4}-\d{2}-\d{2}", "today is [DATE]")]}, {
            insta::assert_snapshot!(code.clone(), out);
        });
    }
}

#[test]
fn every_rule_is_documented() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lint.md"))
        .unwrap();
    for r in ruleforge::lint::registry::all_rules() {
        let row = format!("| {} | `{}` |", r.code, r.name);
        assert!(
            doc.contains(&row),
            "docs/lint.md lacks the row for {} ({})",
            r.code,
            r.name
        );
    }
}
