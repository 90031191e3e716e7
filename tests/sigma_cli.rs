//! Sigma rules as a second rule kind, through the real binary: kind detection by shape and by
//! `[kinds]`, mixed repositories, multi-document Sigma files, and bad inputs.

mod common;

use common::{repo, rule, run, write, RULE_ID, SIGMA_WHOAMI as SIGMA};
use serde_json::Value;

const CORRELATION: &str = "title: Repeated Whoami From a Web Server Process
id: 3e8f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b
status: test
description: Several whoami runs by one web server worker within minutes.
author: ruleforge tests
date: 2024-03-01
correlation:
    type: event_count
    rules:
        - 1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01
    group-by:
        - ComputerName
    timespan: 10m
    condition:
        gte: 3
level: high
";

fn json(out: &str) -> Vec<Value> {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn codes(out: &str) -> Vec<String> {
    json(out)
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_mixed_repository_lints_both_kinds_clean() {
    let dir = repo(&[
        ("ruleforge.toml", "[lint]\nroots = [\"rules\", \"sigma\"]\n"),
        (
            "rules/webshell-hash.yml",
            &rule(RULE_ID, "Webshell hash rule", &common::hash(1)),
        ),
        ("sigma/proc_creation_win_webserver_whoami.yml", SIGMA),
    ]);
    let (code, out, err) = run(dir.path(), &["lint", "--select", "ALL"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 files linted, no findings"), "{out}");
}

#[test]
fn sigma_problems_point_at_the_place() {
    let bad = SIGMA
        .replace(
            "condition: all of selection_*",
            "condition: selection_parent and selection_kid",
        )
        .replace("\n        Image|endswith:", "\n        Image|endwith:");
    let dir = repo(&[("rules/proc_creation_win_webserver_whoami.yml", &bad)]);
    let (code, out, _) = run(dir.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 1, "{out}");
    let diags = json(&out);
    let find = |c: &str| {
        diags
            .iter()
            .find(|d| d["code"] == c)
            .unwrap_or_else(|| panic!("{c}: {out}"))
    };
    // `selection_kid`: line 20, after `    condition: selection_parent and `.
    let d = find("RF603");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(20), Some(37))
    );
    let d = find("RF610");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(19), Some(15))
    );
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `endswith`"));
    find("RF604"); // selection_child is now unused
                   // Native checks do not run on Sigma files.
    assert!(
        !codes(&out)
            .iter()
            .any(|c| c.starts_with("RF0") || c.starts_with("RF1")),
        "{out}"
    );
}

#[test]
fn kinds_table_decides_before_the_shape() {
    // Without `logsource`/`detection` the shape says nothing: native by default.
    let half = "title: Half-written Sigma rule\nstatus: test\n";
    let dir = repo(&[("detections/proc_creation_win_half_written.yml", half)]);
    let (_, out, _) = run(
        dir.path(),
        &["lint", "detections", "--output-format", "json"],
    );
    assert!(codes(&out).contains(&"RF010".to_string()), "{out}");
    // With `[kinds] sigma`, the Sigma schema explains what is missing.
    write(
        dir.path(),
        "ruleforge.toml",
        "[kinds]\nsigma = [\"detections/**\"]\n",
    );
    let (code, out, _) = run(
        dir.path(),
        &["lint", "detections", "--output-format", "json"],
    );
    assert_eq!(code, 1);
    let diags = json(&out);
    assert!(diags.iter().all(|d| d["code"] != "RF010"), "{out}");
    assert!(
        diags.iter().any(|d| d["code"] == "RF600"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("missing the required key `logsource`")),
        "{out}"
    );
    // `[kinds] native` wins over the shape (and over `sigma`).
    write(
        dir.path(),
        "detections/proc_creation_win_webserver_whoami.yml",
        SIGMA,
    );
    write(
        dir.path(),
        "ruleforge.toml",
        "[kinds]\nsigma = [\"detections/**\"]\nnative = [\"detections/proc_creation_win_webserver_*\"]\n",
    );
    let (_, out, _) = run(
        dir.path(),
        &["lint", "detections", "--output-format", "json"],
    );
    let diags = json(&out);
    assert!(
        diags.iter().any(|d| d["code"] == "RF010"
            && d["path"] == "detections/proc_creation_win_webserver_whoami.yml"),
        "{out}"
    );
}

#[test]
fn multi_document_files_are_sigma_only() {
    let both = format!("{SIGMA}---\n{CORRELATION}");
    let dir = repo(&[("rules/correlation_webserver_whoami_burst.yml", &both)]);
    let (code, out, err) = run(
        dir.path(),
        &["lint", "--select", "ALL", "--output-format", "json"],
    );
    assert_eq!(out.trim(), "[]", "{err}");
    assert_eq!(code, 0);
    // The correlation refers to a rule that exists only in the same file: removing it breaks it.
    let alone = CORRELATION.to_string();
    write(
        dir.path(),
        "rules/correlation_webserver_whoami_burst.yml",
        &alone,
    );
    let (code, out, _) = run(dir.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&out), vec!["RF695"]);
    // A native rule file still holds exactly one document.
    let two = format!(
        "{}---\n{}",
        rule(RULE_ID, "Webshell hash rule", &common::hash(1)),
        "a: 1\n"
    );
    write(dir.path(), "rules/webshell-hash.yml", &two);
    let (_, out, _) = run(
        dir.path(),
        &["lint", "rules/webshell-hash.yml", "--output-format", "json"],
    );
    let diags = json(&out);
    assert_eq!(diags[0]["code"], "RF008", "{out}");
    assert_eq!(diags[0]["line"].as_u64(), Some(19), "{out}");
}

#[test]
fn repository_wide_sigma_checks_stay_within_sigma() {
    // A native rule and a Sigma rule with the same title are not duplicates of each other.
    let native = rule(
        RULE_ID,
        "Whoami Execution From a Web Server Process",
        &common::hash(2),
    );
    let dir = repo(&[
        ("rules/whoami-webserver.yml", &native),
        ("rules/proc_creation_win_webserver_whoami.yml", SIGMA),
    ]);
    let (code, out, _) = run(dir.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 0, "{out}");
    // Two Sigma rules with one id are.
    let copy = SIGMA.replace("title: Whoami Execution", "title: Copied Whoami Execution");
    write(
        dir.path(),
        "rules/proc_creation_win_webserver_whoami_copy.yml",
        &copy,
    );
    let (code, out, _) = run(dir.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&out), vec!["RF690", "RF690"], "{out}");
}

#[test]
fn bad_sigma_inputs_are_diagnostics() {
    let dir = repo(&[
        (
            "rules/proc_creation_win_broken_yaml.yml",
            "title: x\ndetection: [\n",
        ),
        (
            "rules/proc_creation_win_dup_keys.yml",
            "title: a\ntitle: b\nlogsource: {}\n",
        ),
        (
            "rules/proc_creation_win_deep_nest.yml",
            &format!(
                "logsource: {{}}\ndetection:\n  s: {}1{}\n  condition: s\n",
                "[".repeat(100),
                "]".repeat(100)
            ),
        ),
        (
            "rules/proc_creation_win_condition_list.yml",
            &SIGMA.replace(
                "condition: all of selection_*",
                "condition:\n        - all of selection_*\n        - selection_parent and (",
            ),
        ),
    ]);
    let (code, out, err) = run(dir.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    let diags = json(&out);
    let by_path = |p: &str| -> Vec<String> {
        diags
            .iter()
            .filter(|d| d["path"] == format!("rules/{p}"))
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(by_path("proc_creation_win_broken_yaml.yml"), vec!["RF001"]);
    assert_eq!(by_path("proc_creation_win_dup_keys.yml"), vec!["RF002"]);
    assert_eq!(by_path("proc_creation_win_deep_nest.yml"), vec!["RF001"]);
    // A list of conditions is checked condition by condition (and the schema wants a string).
    let c = by_path("proc_creation_win_condition_list.yml");
    assert!(
        c.contains(&"RF601".to_string()) && c.contains(&"RF600".to_string()),
        "{c:?}"
    );
}

#[test]
fn invalid_kinds_pattern_is_a_usage_error() {
    let dir = repo(&[("ruleforge.toml", "[kinds]\nsigma = [\"sigma/[\"]\n")]);
    let (code, _, err) = run(dir.path(), &["lint"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("kinds.sigma") && err.contains("sigma/["),
        "{err}"
    );
}

#[test]
fn sarif_and_github_formats_carry_sigma_findings() {
    let bad = SIGMA.replace("level: high", "level: urgent");
    let dir = repo(&[("rules/proc_creation_win_webserver_whoami.yml", &bad)]);
    let (code, out, _) = run(dir.path(), &["lint", "--output-format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleId"], "RF600");
    let (_, out, _) = run(dir.path(), &["lint", "--output-format", "github"]);
    assert!(
        out.starts_with("::error file=rules/proc_creation_win_webserver_whoami.yml,line=23,"),
        "{out}"
    );
}
