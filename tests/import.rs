//! `ruleforge import` end to end: the fixtures written by the real producers (`stix2`,
//! `pymisp`: scripts/import-fixtures.py) imported into temporary repositories, every refusal
//! reason, defanged text, re-import stability, hand edits, and `ruleforge lint` exit 0 on
//! everything import writes.

mod common;

use assert_cmd::Command;
use common::GitRepo;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

/// A git repository (isolated from the machine's git configuration) with the import fixtures
/// copied to `in/`; its own configuration names the author `ruleforge import` falls back to.
struct Repo {
    repo: GitRepo,
}

impl Repo {
    fn new() -> Repo {
        let repo = GitRepo::new();
        repo.git(&["config", "user.name", "Jane Analyst"]);
        repo.git(&["config", "user.email", "jane@example.com"]);
        copy_dir(Path::new(FIXTURES), &repo.path().join("in"));
        std::fs::create_dir_all(repo.path().join("rules")).unwrap();
        Repo { repo }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.repo.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn cmd(&self) -> Command {
        self.repo.ruleforge()
    }

    /// Runs `ruleforge import ARGS --report r.json` and returns the exit code and the report.
    fn import(&self, args: &[&str]) -> (i32, Value) {
        let _ = std::fs::remove_file(self.path("r.json"));
        let out = self
            .cmd()
            .arg("import")
            .args(args)
            .args(["--report", "r.json"])
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 1,
            "exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = serde_json::from_str(&self.read("r.json")).unwrap();
        (code, report)
    }

    /// `ruleforge lint` (every default rule, and RF402 across the repository) must pass.
    fn lint_clean(&self) {
        let out = self.cmd().arg("lint").output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        self.cmd().args(["fmt", "--check"]).assert().success();
    }

    fn files(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path(rel))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn objects(report: &Value) -> &Vec<Value> {
    report["objects"].as_array().unwrap()
}

fn by_name<'a>(report: &'a Value, name: &str) -> &'a Value {
    objects(report)
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no object named {name}"))
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn stix_bundle_becomes_rules_that_lint_clean() {
    let repo = Repo::new();
    let (code, report) = repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/stix"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["created"], 11);
    assert_eq!(report["summary"]["refused"], 0);
    repo.lint_clean();

    let c2 = by_name(&report, "Fixture implant command-and-control domains");
    assert_eq!(c2["action"], "create");
    let path = c2["rule"]["path"].as_str().unwrap();
    assert_eq!(
        path,
        "rules/stix/fixture-implant-command-and-control-domains.yml"
    );
    insta::assert_snapshot!("stix_c2_rule", repo.read(path));

    // Each supported path and operator lands as the documented value.
    let kept = |name: &str| -> Vec<(String, String)> {
        by_name(&report, name)["kept"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["type"].as_str().unwrap().to_string(),
                    k["value"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        kept("Fixture command-and-control addresses"),
        pairs(&[("ip", "146.0.77.0/24"), ("ip", "2a03:b0c0:3:d0::2e1:1")])
    );
    assert_eq!(
        kept("Fixture implant gate URL"),
        pairs(&[("url", "http://rf-fixture-c2.com/gate.php?id=*")])
    );
    assert_eq!(
        kept("LSASS memory dump through comsvcs.dll"),
        pairs(&[("command_line", r"regex:(?i)comsvcs\.dll.{0,8}minidump")])
    );
    assert_eq!(
        kept("Fixture web shell pages"),
        pairs(&[
            ("file_name", "*.aspx"),
            ("sha1", "6c2b1f0c2bd8c2e3f6a1d1c1f9b1a5a7c3d2e1f0")
        ])
    );
    assert_eq!(
        kept("Fixture implant HTTP user agent"),
        pairs(&[(
            "user_agent",
            "Mozilla/4.0 (compatible; MSIE 7.0; rf-fixture)"
        )])
    );
    assert_eq!(
        kept("Fixture persistence Run key"),
        pairs(&[(
            "registry_path",
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\rf-fixture-updater"
        )])
    );
    // Known-benign values are dropped with the reason.
    let mixed = by_name(&report, "Fixture addresses mixed with benign ones");
    assert_eq!(codes(&mixed["dropped"]), ["benign", "benign"]);
    assert_eq!(
        kept("Fixture addresses mixed with benign ones"),
        pairs(&[("domain", "rf-fixture-mixed.net")])
    );
}

#[test]
fn imported_rules_match_what_the_patterns_match() {
    // The reference matcher on the imported rules: events the patterns match, and events
    // they do not.
    let repo = Repo::new();
    repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/stix"]);
    repo.write(
        "events.ndjson",
        concat!(
            r#"{"event":{"id":"c2"},"dns":{"question":{"name":"RF-FIXTURE-CDN.NET."}}}"#,
            "\n",
            r#"{"event":{"id":"dll"},"file":{"name":"updater.dll","hash":{"sha256":"b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"}}}"#,
            "\n",
            r#"{"event":{"id":"dll-name-only"},"file":{"name":"updater.dll"}}"#,
            "\n",
            r#"{"event":{"id":"subnet"},"destination":{"ip":"146.0.77.200"}}"#,
            "\n",
            r#"{"event":{"id":"gate"},"url":{"full":"http://rf-fixture-c2.com/gate.php?id=7"}}"#,
            "\n",
            r#"{"event":{"id":"lsass"},"process":{"command_line":"rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 x.dmp full"}}"#,
            "\n",
            r#"{"event":{"id":"none"},"dns":{"question":{"name":"rf-fixture-c2.com.evil.net"}}}"#,
            "\n",
        ),
    );
    let out = repo
        .cmd()
        .args(["match", "rules/stix", "--event", "events.ndjson"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let matched: Vec<(u64, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["event"].as_u64().unwrap(),
                v["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        (0, "Fixture implant command-and-control domains"),
        (1, "Fixture dropper DLL by name and hash"),
        (3, "Fixture command-and-control addresses"),
        (4, "Fixture implant gate URL"),
        (5, "LSASS memory dump through comsvcs.dll"),
    ];
    assert_eq!(
        matched,
        expect
            .iter()
            .map(|(e, t)| (*e, t.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn every_stix_refusal_reason_is_reported() {
    let repo = Repo::new();
    let (code, report) = repo.import(&["stix", "in/stix/refused.json", "--out", "rules/stix"]);
    assert_eq!(code, 1, "refused objects exit 1");
    assert_eq!(repo.files("rules/stix"), Vec::<String>::new());
    let mut seen = Vec::new();
    for o in objects(&report) {
        let name = o["name"].as_str().unwrap();
        let key = name.strip_prefix("Fixture refused: ").unwrap();
        let want = key.strip_suffix("-neq").unwrap_or(key);
        assert_eq!(o["action"], "refused", "{name}");
        assert_eq!(o["reason"]["code"], want, "{name}: {}", o["reason"]);
        assert!(o["reason"]["message"].as_str().unwrap().len() > 15);
        seen.push(want.to_string());
    }
    for code in [
        "several-observations",
        "followedby",
        "within",
        "repeats",
        "start-stop",
        "negation",
        "ordering",
        "exists",
        "issuperset",
        "unsupported-path",
        "unsupported-operator",
        "literal",
        "regex",
        "revoked",
        "pattern-type",
        "expired",
        "no-values-left",
    ] {
        assert!(seen.iter().any(|s| s == code), "no fixture for {code}");
    }
}

#[test]
fn pattern_syntax_errors_and_malformed_objects_are_refused() {
    let repo = Repo::new();
    repo.write(
        "bad.json",
        r#"{"type": "bundle", "id": "bundle--1", "objects": [
  {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001", "name": "broken pattern", "pattern": "[file:name = 'a.exe'", "pattern_type": "stix"},
  {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000002", "name": "deep", "pattern": "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((([file:name = 'a.exe']", "pattern_type": "stix"},
  {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000003", "name": "no pattern", "pattern_type": "stix"}
]}"#,
    );
    let (code, report) = repo.import(&["stix", "bad.json", "--out", "rules/x"]);
    assert_eq!(code, 1);
    let reasons: Vec<&str> = objects(&report)
        .iter()
        .map(|o| o["reason"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["pattern-syntax", "pattern-syntax", "malformed"]);
    let msg = by_name(&report, "broken pattern")["reason"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("expected `]`") && msg.contains("offset 20"),
        "{msg}"
    );
}

#[test]
fn taxii_envelopes_and_lone_objects() {
    let repo = Repo::new();
    let (code, report) = repo.import(&[
        "stix",
        "in/stix/envelope.json",
        "in/stix/lone-indicator.json",
        "--out",
        "rules/stix",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["created"], 3);
    repo.lint_clean();
}

#[test]
fn reimport_is_stable_and_updates_in_place() {
    let repo = Repo::new();
    repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/stix"]);
    let files = repo.files("rules/stix");
    let before: Vec<String> = files
        .iter()
        .map(|f| repo.read(&format!("rules/stix/{f}")))
        .collect();

    // The same feed again: nothing changes.
    let (code, report) = repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/stix"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["unchanged"], 11);
    assert_eq!(repo.files("rules/stix"), files);
    let again: Vec<String> = files
        .iter()
        .map(|f| repo.read(&format!("rules/stix/{f}")))
        .collect();
    assert_eq!(before, again);

    // A moved file is found by its id, wherever it is.
    std::fs::create_dir_all(repo.path("rules/moved")).unwrap();
    std::fs::rename(
        repo.path("rules/stix/fixture-implant-command-and-control-domains.yml"),
        repo.path("rules/moved/c2.yml"),
    )
    .unwrap();

    // The updated feed: one indicator changed, one added; the rest untouched.
    let (code, report) =
        repo.import(&["stix", "in/stix/indicators-v2.json", "--out", "rules/stix"]);
    assert_eq!(code, 0);
    let s = &report["summary"];
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(10))
    );
    let c2 = by_name(&report, "Fixture implant command-and-control domains");
    assert_eq!(c2["action"], "update");
    assert_eq!(c2["rule"]["path"], "rules/moved/c2.yml");
    let text = repo.read("rules/moved/c2.yml");
    assert!(text.contains("- rf-fixture-update.org"));
    let today = time::OffsetDateTime::now_utc().date();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    assert!(
        text.contains(&format!("modified: {}", today.format(fmt).unwrap())),
        "modified is bumped:\n{text}"
    );
    assert!(text.contains("created: 2021-03-02"));
    // No duplicate rules: the id is the same.
    assert!(!repo
        .path("rules/stix/fixture-implant-command-and-control-domains.yml")
        .exists());
    repo.lint_clean();
}

#[test]
fn hand_edited_rules_are_not_overwritten_without_force() {
    let repo = Repo::new();
    repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/stix"]);
    let path = "rules/stix/fixture-implant-command-and-control-domains.yml";
    let edited = repo
        .read(path)
        .replace("severity: medium", "severity: critical");
    repo.write(path, &edited);
    let (code, report) =
        repo.import(&["stix", "in/stix/indicators-v2.json", "--out", "rules/stix"]);
    assert_eq!(code, 1, "a skipped rule exits 1");
    let c2 = by_name(&report, "Fixture implant command-and-control domains");
    assert_eq!(c2["action"], "skipped");
    assert_eq!(c2["reason"]["code"], "hand-edited");
    assert_eq!(repo.read(path), edited);

    // `fmt` is not an edit.
    repo.cmd().args(["fmt", "rules"]).assert().success();

    let (code, report) = repo.import(&[
        "stix",
        "in/stix/indicators-v2.json",
        "--out",
        "rules/stix",
        "--force",
    ]);
    assert_eq!(code, 0);
    let c2 = by_name(&report, "Fixture implant command-and-control domains");
    assert_eq!(c2["action"], "update");
    assert!(repo.read(path).contains("severity: medium"));

    // A rule holding an imported id that import did not write is not its to replace.
    let text = repo.read(path);
    let without_marker: String = text
        .lines()
        .filter(|l| !l.starts_with("# ruleforge-import:"))
        .map(|l| format!("{l}\n"))
        .collect();
    repo.write(path, &without_marker);
    let (_, report) = repo.import(&["stix", "in/stix/indicators-v2.json", "--out", "rules/stix"]);
    let c2 = by_name(&report, "Fixture implant command-and-control domains");
    assert_eq!(c2["reason"]["code"], "not-imported");
    assert_eq!(repo.read(path), without_marker);
}

#[test]
fn dry_run_writes_nothing() {
    let repo = Repo::new();
    repo.cmd()
        .args([
            "import",
            "stix",
            "in/stix/indicators.json",
            "--out",
            "rules/new",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("would create  rules/new/"))
        .stdout(predicate::str::contains("Dry run: nothing written."));
    assert!(!repo.path("rules/new").exists());
    // An existing import: a dry run of an update leaves it as it is.
    repo.import(&["stix", "in/stix/indicators.json", "--out", "rules/new"]);
    let path = "rules/new/fixture-implant-command-and-control-domains.yml";
    let before = repo.read(path);
    let (_, report) = repo.import(&[
        "stix",
        "in/stix/indicators-v2.json",
        "--out",
        "rules/new",
        "--dry-run",
    ]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["summary"]["updated"], 1);
    assert_eq!(repo.read(path), before);
    assert!(!repo
        .path("rules/new/fixture-staging-server-added-later.yml")
        .exists());
}

#[test]
fn misp_event_and_feed() {
    let repo = Repo::new();
    let (code, report) = repo.import(&[
        "misp",
        "in/misp/event.json",
        "in/misp/feed",
        "--out",
        "rules/misp",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["created"], 3);
    repo.lint_clean();
    let ev = by_name(&report, "Fixture campaign: web shells and C2");
    let dropped = codes(&ev["dropped"]);
    for c in [
        "not-to-ids",
        "unsupported-type",
        "deleted",
        "benign",
        "invalid",
    ] {
        assert!(dropped.iter().any(|d| d == c), "{c} in {dropped:?}");
    }
    let path = ev["rule"]["path"].as_str().unwrap();
    insta::assert_snapshot!("misp_event_rule", repo.read(path));
    // The feed's events, one rule each, with the feed's TLP.
    let one = by_name(&report, "Fixture feed event one");
    let text = repo.read(one["rule"]["path"].as_str().unwrap());
    assert!(text.contains("tlp: green"), "{text}");
}

#[test]
fn misp_composite_bad_value_and_feed_without_manifest() {
    let repo = Repo::new();
    std::fs::create_dir_all(repo.path("feed")).unwrap();
    repo.cmd()
        .args(["import", "misp", "feed", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "feed: a MISP feed folder needs a manifest.json",
        ));
    repo.write("feed/manifest.json", r#"{"../../etc/passwd": {}}"#);
    repo.cmd()
        .args(["import", "misp", "feed", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not an event uuid"));
}

#[test]
fn defanged_text_and_lists() {
    let repo = Repo::new();
    let (code, report) = repo.import(&[
        "text",
        "in/text/report.txt",
        "in/text/list.txt",
        "--out",
        "rules/text",
    ]);
    assert_eq!(code, 0);
    repo.lint_clean();
    let objs = objects(&report);
    let report_txt = &objs[0];
    let kept: Vec<&str> = report_txt["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept,
        [
            "http://rf-fixture-text.com/gate.php",
            "https://cdn.rf-fixture-text.org/stage2.bin",
            "c2.rf-fixture-text.net",
            "91.215.87.10",
            "billing@rf-fixture-text.net",
            r"C:\ProgramData\rf-fixture\loader.dll",
            "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0",
        ]
    );
    assert_eq!(
        codes(&report_txt["dropped"]),
        [
            "version-like",
            "file-name-in-prose",
            "file-or-domain",
            "duplicate",
            "benign"
        ]
    );
    let list = &objs[1];
    assert_eq!(
        codes(&list["dropped"]),
        ["unrecognized", "benign"],
        "{}",
        list["dropped"]
    );
    let text = repo.read(list["rule"]["path"].as_str().unwrap());
    assert!(
        text.contains("- rf-fixture-list-2.net"),
        "refanged:\n{text}"
    );
    assert!(
        text.contains("- 4f3a1a2b9c8d7e6f5a4b3c2d1e0f9a8b"),
        "canonical hash:\n{text}"
    );
    assert!(text.contains("- svchost-update.exe"));
}

#[test]
fn keep_benign_keeps_values_with_a_suppression() {
    let repo = Repo::new();
    let (code, report) = repo.import(&[
        "stix",
        "in/stix/indicators.json",
        "--out",
        "rules/stix",
        "--keep-benign",
    ]);
    assert_eq!(code, 0);
    let mixed = by_name(&report, "Fixture addresses mixed with benign ones");
    assert_eq!(mixed["dropped"], Value::Array(vec![]));
    let text = repo.read(mixed["rule"]["path"].as_str().unwrap());
    assert!(
        text.contains("- 10.1.2.3 # ruleforge: ignore[RF205]"),
        "{text}"
    );
    assert!(text.contains("- login.microsoftonline.com # ruleforge: ignore[RF205]"));
    repo.lint_clean();
}

#[test]
fn values_other_rules_ship_are_reported_not_duplicated() {
    let repo = Repo::new();
    repo.write(
        "rules/existing.yml",
        "id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
title: Existing web shell rule
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  An existing rule of the repository that already ships this hash and this domain.
indicators:
  webshell:
    sha256:
      - b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0
  c2:
    domain:
      - c2.rf-fixture-text.net
",
    );
    let (code, report) = repo.import(&["text", "in/text/report.txt", "--out", "rules/text"]);
    assert_eq!(code, 0);
    let o = &objects(&report)[0];
    let shipped: Vec<&Value> = o["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "already-shipped")
        .collect();
    assert_eq!(shipped.len(), 2, "{}", o["dropped"]);
    assert!(shipped[0]["message"]
        .as_str()
        .unwrap()
        .contains("rules/existing.yml (Existing web shell rule)"));
    // Nothing is duplicated: lint finds no RF402.
    repo.cmd()
        .args(["lint", "--select", "RF402"])
        .assert()
        .success()
        .stdout(predicate::str::contains("All checks passed"));
}

#[test]
fn bad_inputs_fail_cleanly() {
    let repo = Repo::new();
    repo.write(
        "broken.json",
        "{\"type\": \"bundle\",\n  \"objects\": [\n    {\"type\": }\n]}",
    );
    repo.cmd()
        .args(["import", "stix", "broken.json", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.json:3:14: invalid JSON"));
    repo.write("array.json", "[1, 2]");
    repo.cmd()
        .args(["import", "stix", "array.json", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("array.json: not a STIX bundle"));
    std::fs::write(repo.path("latin1.txt"), b"caf\xe9 evil[.]com\n").unwrap();
    repo.cmd()
        .args(["import", "text", "latin1.txt", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "latin1.txt: not UTF-8 text (byte offset 3)",
        ));
    repo.cmd()
        .args(["import", "misp", "missing.json", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json: no such file"));
    repo.write("event.json", r#"{"type": "bundle", "objects": []}"#);
    repo.cmd()
        .args(["import", "misp", "event.json", "--out", "rules/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("event.json: not a MISP event"));
    repo.write("file", "x");
    repo.cmd()
        .args(["import", "text", "in/text/list.txt", "--out", "file"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out file: not a folder"));
    repo.cmd()
        .args(["import", "yara", "x", "--out", "rules/x"])
        .assert()
        .code(2);
    // Nothing was written by any of them.
    assert!(!repo.path("rules/x").exists());
}

#[test]
fn engines_stix2_matcher_agrees_with_the_imported_rules() {
    let Some(python) = common::engines::python("stix2matcher") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/engines/stix2_matcher_agreement.py"
        ))
        .arg(env!("CARGO_BIN_EXE_ruleforge"))
        .arg(format!("{FIXTURES}/stix/indicators.json"))
        .arg(work.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!(
        "stix2-matcher agreement: {}",
        stdout.trim().replace('\n', "; ")
    );
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn engines_committed_fixtures_are_what_the_producers_write() {
    let Some(python) = common::engines::python("stix2, pymisp") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/import-fixtures.py"
        ))
        .arg(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fn files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let (mut written, mut committed) = (Vec::new(), Vec::new());
    files(work.path(), work.path(), &mut written);
    files(Path::new(FIXTURES), Path::new(FIXTURES), &mut committed);
    written.sort();
    committed.sort();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&written), names(&committed));
    for ((name, a), (_, b)) in written.iter().zip(&committed) {
        assert!(
            a == b,
            "tests/fixtures/import/{name} differs from what scripts/import-fixtures.py writes: run it again"
        );
    }
}
