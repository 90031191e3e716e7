//! `ruleforge diff` (and `--check`, `changelog`) on Sigma rules, in real git repositories
//! built at test time. The Sigma fixtures are made up for these tests.

mod common;

use common::diff::{diff_json, rule};
use common::GitRepo;
use serde_json::Value;

fn run(repo: &GitRepo, args: &[&str]) -> String {
    let out = repo.ruleforge().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn find<'a>(v: &'a Value, id: &str, kind: &str) -> &'a Value {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id && r["kind"] == kind)
        .unwrap_or_else(|| panic!("{kind} {id} not in the diff: {v:#}"))
}

fn sid(n: u32) -> String {
    format!("a3d1c0de-7b2e-4c55-9e10-{n:012}")
}

/// A made-up Sigma process-creation rule.
fn sigma(n: u32, status: &str) -> String {
    format!(
        "title: Made-up launcher number {n} started from an office program
id: {id}
status: {status}
description: Detects a made-up launcher {n} that an office program starts.
author: ruleforge tests
date: 2024-01-01
modified: 2024-01-02
tags:
  - attack.execution
  - attack.t1204.002
logsource:
  category: process_creation
  product: windows
detection:
  selection_parent:
    ParentImage|endswith:
      - '\\winword.exe'
      - '\\excel.exe'
  selection_img:
    Image|endswith:
      - '\\launcher{n}.exe'
      - '\\bad.exe'
  filter_signed:
    Signed: 'true'
  condition: all of selection_* and not filter_signed
falsepositives:
  - Unknown
level: high
",
        id = sid(n)
    )
}

fn spath(n: u32) -> String {
    format!("rules/sigma/launcher-{n}.yml")
}

/// A rule and a correlation rule over it, in one file.
fn multi(threshold: u32, timespan: &str) -> String {
    format!(
        "title: Made-up failed logon
id: {rule}
name: made_up_failed_logon
status: test
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
level: low
---
title: Many made-up failed logons
id: {corr}
status: test
correlation:
  type: event_count
  rules:
    - made_up_failed_logon
  group-by:
    - TargetUserName
  timespan: {timespan}
  condition:
    gte: {threshold}
level: high
",
        rule = sid(90),
        corr = sid(91),
    )
}

/// Base: Sigma rules 1..=6 (6 deprecated) and native rule 1. Head: 10 added, 2 removed,
/// 3 modified, 4 moved, 5 deprecated, 6 undeprecated, 7 reformatted only (added in base).
fn sigma_repo() -> (GitRepo, String, String) {
    let mut repo = GitRepo::new();
    for n in 1..=7 {
        repo.write(
            &spath(n),
            &sigma(n, if n == 6 { "deprecated" } else { "test" }),
        );
    }
    repo.write("rules/native/rule-1.yml", &rule(1, "test"));
    let base = repo.commit("base");
    repo.write(&spath(10), &sigma(10, "experimental"));
    repo.remove(&spath(2));
    repo.edit(&spath(3), |t| {
        t.replace("'\\bad.exe'", "'\\evil.exe'")
            .replace("level: high", "level: critical")
            .replace("modified: 2024-01-02", "modified: 2024-02-01")
            .replace("product: windows", "product: windows\n  service: sysmon")
            .replace("    Signed: 'true'", "    Signed: 'true'\n    Company: Made-up Corp")
            .replace(
                "  condition: all of selection_* and not filter_signed",
                "  selection_cli:\n    CommandLine|contains: ' /payload '\n  condition: all of selection_* and not filter_signed",
            )
    });
    repo.mv(&spath(4), "rules/sigma/moved/launcher-4.yml");
    repo.edit(&spath(5), |t| {
        t.replace("status: test", "status: deprecated")
    });
    repo.edit(&spath(6), |t| {
        t.replace("status: deprecated", "status: test")
    });
    // Same meaning: keys, selections and values reordered, quoting and layout changed.
    repo.write(
        &spath(7),
        &format!(
            "# reordered\nid: '{}'\ntitle: \"Made-up launcher number 7 started from an office program\"\nlevel: high\nstatus: test\nauthor: ruleforge tests\ndescription: >\n  Detects a made-up launcher 7 that an office\n  program starts.\ndate: 2024-01-01\nmodified: 2024-01-02\ntags: [attack.t1204.002, attack.execution]\nlogsource: {{product: windows, category: process_creation}}\nfalsepositives: [Unknown]\ndetection:\n  condition: (all of selection_* and not filter_signed)\n  filter_signed: {{Signed: 'true'}}\n  selection_img:\n    'Image|endswith': ['\\bad.exe', '\\launcher7.exe']\n  selection_parent:\n    ParentImage|endswith: ['\\excel.exe', '\\winword.exe']\n",
            sid(7)
        ),
    );
    let head = repo.commit("head");
    (repo, base, head)
}

#[test]
fn sigma_change_kinds_in_json() {
    let (repo, base, head) = sigma_repo();
    let v = diff_json(&repo, &[&base, &head]);
    let mut k: Vec<(String, String, String)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().into(),
                r["kind"].as_str().unwrap().into(),
                r["change"].as_str().unwrap().into(),
            )
        })
        .collect();
    k.sort();
    let mut expected = vec![
        (sid(10), "sigma".to_string(), "added".to_string()),
        (sid(2), "sigma".into(), "removed".into()),
        (sid(3), "sigma".into(), "modified".into()),
        (sid(4), "sigma".into(), "moved".into()),
        (sid(5), "sigma".into(), "deprecated".into()),
        (sid(6), "sigma".into(), "undeprecated".into()),
    ];
    expected.sort();
    assert_eq!(k, expected, "{v:#}");
    assert_eq!(
        v["summary"]["reformatted"], 1,
        "rule 7 changed only in form"
    );
    assert_eq!(v["summary"]["sigma"], 6);
    assert_eq!(v["summary"]["native"], 0);

    let r3 = find(&v, &sid(3), "sigma");
    assert_eq!(r3["sigma_type"], "rule");
    assert_eq!(r3["severity"], "critical");
    assert_eq!(r3["fields"]["level"]["old"], "high");
    assert_eq!(r3["fields"]["level"]["new"], "critical");
    assert_eq!(r3["fields"]["logsource"]["new"]["service"], "sysmon");
    assert!(r3["fields"].get("condition").is_none(), "{r3:#}");
    let det = r3["detection"].as_array().unwrap();
    let names: Vec<&str> = det
        .iter()
        .map(|d| d["selection"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["filter_signed", "selection_cli", "selection_img"]);
    assert_eq!(det[0]["change"], "modified");
    assert_eq!(det[0]["items"][0]["key"], "Company");
    assert_eq!(det[0]["items"][0]["change"], "added");
    assert_eq!(det[1]["change"], "added");
    assert_eq!(det[1]["items"][0]["field"], "CommandLine");
    assert_eq!(
        det[1]["items"][0]["modifiers"],
        serde_json::json!(["contains"])
    );
    let img = &det[2]["items"][0];
    assert_eq!(img["key"], "Image|endswith");
    assert_eq!(img["change"], "modified");
    assert_eq!(img["added"], serde_json::json!(["\\evil.exe"]));
    assert_eq!(img["removed"], serde_json::json!(["\\bad.exe"]));

    let r4 = find(&v, &sid(4), "sigma");
    assert_eq!(r4["old_path"], spath(4));
    assert_eq!(r4["path"], "rules/sigma/moved/launcher-4.yml");
    assert_eq!(r4["detection"], serde_json::json!([]));
    let r2 = find(&v, &sid(2), "sigma");
    assert_eq!(r2["detection"].as_array().unwrap().len(), 3);
    assert_eq!(r2["detection"][0]["change"], "removed");
    assert_eq!(
        find(&v, &sid(5), "sigma")["fields"]["status"]["new"],
        "deprecated"
    );
}

#[test]
fn sigma_text_and_markdown_show_values_per_selection() {
    let (repo, base, head) = sigma_repo();
    let text = run(&repo, &["diff", &base, &head]);
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("6 Sigma rules changed (1 added, 1 removed, 1 modified, 1 moved, 1 deprecated, 1 undeprecated)"),
        "{first}"
    );
    assert!(!first.contains("indicators"), "{first}");
    for want in [
        "selection_img: Image|endswith: +'\\evil.exe' -'\\bad.exe'",
        "selection_cli (added): CommandLine|contains: ' /payload '",
        "filter_signed: + Company: 'Made-up Corp' (item added)",
        "level: high → critical",
        "logsource: service (none) → sysmon",
        "Sigma rule id ",
        "rules/sigma/launcher-4.yml → rules/sigma/moved/launcher-4.yml",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let md = run(&repo, &["diff", &base, &head, "--format", "markdown"]);
    for want in [
        "**6 rules changed** (Sigma)",
        "```diff\n  filter_signed:\n+   Company: 'Made-up Corp'\n",
        "  selection_img:\n    Image|endswith:\n+     '\\evil.exe'\n-     '\\bad.exe'\n",
        "| `logsource.service` | (none) | sysmon |",
        "| `level` | high | critical |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
}

#[test]
fn reordering_keys_and_values_is_not_a_change() {
    let mut repo = GitRepo::new();
    repo.write(&spath(1), &sigma(1, "test"));
    let base = repo.commit("base");
    repo.edit(&spath(1), |t| {
        t.replace(
            "    ParentImage|endswith:\n      - '\\winword.exe'\n      - '\\excel.exe'\n",
            "    ParentImage|endswith: [\"\\\\excel.exe\", '\\winword.exe']\n",
        )
        .replace(
            "  - attack.execution\n  - attack.t1204.002\n",
            "  - attack.t1204.002\n  - attack.execution\n",
        )
        .replace(
            "condition: all of selection_* and not filter_signed",
            "condition: (all of selection_*) and (not filter_signed)",
        )
    });
    let head = repo.commit("reformat");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["rules"], serde_json::json!([]), "{v:#}");
    assert_eq!(v["summary"]["reformatted"], 1);
}

#[test]
fn native_and_sigma_rules_with_one_id_are_kept_apart() {
    let mut repo = GitRepo::new();
    let shared = common::diff::id(1);
    repo.write("rules/native/rule-1.yml", &rule(1, "test"));
    repo.write(
        "rules/sigma/same-id.yml",
        &sigma(1, "test").replace(&sid(1), &shared),
    );
    let base = repo.commit("base");
    // The Sigma rule moves, the native rule changes: neither is paired with the other.
    repo.mv("rules/sigma/same-id.yml", "rules/sigma/moved.yml");
    repo.edit("rules/native/rule-1.yml", |t| {
        t.replace("severity: medium", "severity: high")
    });
    let head = repo.commit("head");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["rules"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(find(&v, &shared, "native")["change"], "modified");
    assert_eq!(find(&v, &shared, "sigma")["change"], "moved");
    assert_eq!(v["summary"]["native"], 1);
    assert_eq!(v["summary"]["sigma"], 1);
    assert!(v["unreadable"].as_array().unwrap().is_empty(), "{v:#}");
    let text = run(&repo, &["diff", &base, &head]);
    assert!(
        text.contains("2 rules changed: 1 native, 1 Sigma (1 modified, 1 moved); indicators +0 -0"),
        "{text}"
    );
}

#[test]
fn multi_document_file_rule_and_correlation() {
    let mut repo = GitRepo::new();
    repo.write("rules/sigma/logons.yml", &multi(10, "5m"));
    let base = repo.commit("base");
    repo.write("rules/sigma/logons.yml", &multi(20, "10m"));
    let head = repo.commit("head");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["rules"].as_array().unwrap().len(), 1, "{v:#}");
    let c = find(&v, &sid(91), "sigma");
    assert_eq!(c["sigma_type"], "correlation");
    assert_eq!(c["change"], "modified");
    assert_eq!(c["fields"]["timespan"]["old"], "5m");
    assert_eq!(c["fields"]["timespan"]["new"], "10m");
    assert_eq!(c["fields"]["condition"]["old"], "gte: 10");
    assert_eq!(c["fields"]["condition"]["new"], "gte: 20");
    // The rule in the same file is unchanged; the file is not counted as reformatted.
    assert_eq!(v["summary"]["reformatted"], 0);

    // Removing the correlation from the file: one document removed, the other untouched.
    let text = multi(20, "10m");
    let first = text.split("---\n").next().unwrap().to_string();
    repo.write("rules/sigma/logons.yml", &first);
    let head2 = repo.commit("drop the correlation");
    let v = diff_json(&repo, &[&head, &head2]);
    assert_eq!(v["rules"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(find(&v, &sid(91), "sigma")["change"], "removed");
}

#[test]
fn unparsable_sigma_file_names_file_and_line() {
    let mut repo = GitRepo::new();
    repo.write(&spath(1), &sigma(1, "test"));
    let base = repo.commit("base");
    repo.edit(&spath(1), |t| {
        t.replace("  selection_img:\n", "  selection_img: [unclosed\n")
    });
    let head = repo.commit("broken");
    let out = repo
        .ruleforge()
        .args(["diff", &base, &head])
        .output()
        .unwrap();
    assert!(out.status.success(), "a broken file is reported, not fatal");
    let text = String::from_utf8(out.stdout).unwrap();
    // Without `[kinds]`, a file that is not YAML has no kind; the line is still named.
    let want = format!("warning: {} (head): not compared: line ", spath(1));
    assert!(text.contains(&want), "{text}");
    assert!(text.contains("no rule changes"), "{text}");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["unreadable"][0]["path"], spath(1));
    assert_eq!(v["rules"], serde_json::json!([]));

    // With `[kinds]`, the message says it is a Sigma file.
    repo.write("ruleforge.toml", "[kinds]\nsigma = [\"rules/sigma/**\"]\n");
    let v = diff_json(&repo, &[&base, &head]);
    let u = &v["unreadable"][0];
    assert_eq!(u["path"], spath(1));
    assert!(
        u["message"]
            .as_str()
            .unwrap()
            .starts_with("Sigma file: line "),
        "{u}"
    );
}

#[test]
fn policy_checks_on_sigma_rules() {
    let mut repo = GitRepo::new();
    repo.write(
        "ruleforge.toml",
        "[policy]\nrequire-deprecation-before-delete = true\n",
    );
    for n in 1..=3 {
        repo.write(&spath(n), &sigma(n, "test"));
    }
    let base = repo.commit("base");
    // 1: detection changed, `modified` not moved (RF501), `date` changed (RF504);
    // 2: deleted while `test` (RF503); 3: id edited in place (RF502).
    repo.edit(&spath(1), |t| {
        t.replace("'\\bad.exe'", "'\\evil.exe'")
            .replace("date: 2024-01-01", "date: 2023-12-01")
    });
    repo.remove(&spath(2));
    repo.edit(&spath(3), |t| t.replace(&sid(3), &sid(33)));
    let head = repo.commit("head");
    let out = repo
        .ruleforge()
        .args(["diff", &base, &head, "--check", "--output-format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let text = v.to_string();
    let found: Vec<(String, String)> = v
        .as_array()
        .unwrap_or_else(|| panic!("{v:#}"))
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(found.contains(&("RF501".into(), spath(1))), "{text}");
    assert!(found.contains(&("RF503".into(), spath(2))), "{text}");
    assert!(found.contains(&("RF502".into(), spath(3))), "{text}");
    assert!(found.contains(&("RF504".into(), spath(1))), "{text}");
    assert!(
        text.contains("detection"),
        "RF501 names the detection: {text}"
    );
    assert!(text.contains("`date` changed"), "{text}");
}

#[test]
fn changelog_lists_sigma_rules() {
    let (repo, base, head) = sigma_repo();
    let out = run(&repo, &["changelog", &base, &head]);
    for want in [
        format!("Made-up launcher number 10 started from an office program** — high, experimental; Sigma rule (`{}`)", sid(10)),
        "detection (filter\\_signed, selection\\_cli, selection\\_img)".to_string(),
        "level high → critical".to_string(),
        format!("now deprecated; Sigma rule (`{}`)", sid(5)),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn schema_lists_every_sigma_field() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/diff.schema.json"),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let names = &v["$defs"]["rule"]["properties"]["fields"]["propertyNames"]["enum"];
    for f in ruleforge::diff::sigma::FIELD_NAMES {
        assert!(
            names.as_array().unwrap().iter().any(|n| n == f),
            "{f} missing from the schema's field names"
        );
    }
}
