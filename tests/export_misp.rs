//! `ruleforge export misp`: every event loads into PyMISP strictly (`MISPEvent` with strict
//! validation, strict attributes and objects against their templates), carries exactly the
//! literal values of the rule (attributes `to_ids` for single-type groups, objects with
//! `to_ids: false` for AND-ed types), TLP and ATT&CK galaxy tags, and the same uuids on every
//! run. Every skip reason is checked in process.

mod common;

use common::engines;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const NET_RULE: &str = "aaaaaaaa-1111-4111-8111-111111111111";
const FILE_RULE: &str = "bbbbbbbb-2222-4222-8222-222222222222";
const HTTP_RULE: &str = "cccccccc-3333-4333-8333-333333333333";
const HOST_RULE: &str = "dddddddd-4444-4444-8444-444444444444";

const MD5_A: &str = "4f3a1a2b9c8d7e6f5a4b3c2d1e0f9a8b";
const SHA1_A: &str = "6c2b1f0c2bd8c2e3f6a1d1c1f9b1a5a7c3d2e1f0";
const SHA256_A: &str = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0";

fn rule(id: &str, tags: &str, indicators: &str, condition: &str) -> String {
    format!(
        "id: {id}
title: MISP export case {id}
status: test
severity: high
tlp: amber
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  Fixture rule for the MISP export tests.
references:
  - https://example.org/report
tags:
{tags}indicators:
{indicators}{condition}"
    )
}

fn rules() -> Vec<(String, String)> {
    vec![
        (
            "rules/net.yml".into(),
            rule(
                NET_RULE,
                "  - attack.t1071.001\n  - actor.example\n",
                "  c2_domain:\n    domain:\n      - c2.example.com\n      - '*.dga.example'\n  c2_ip:\n    ip:\n      - 203.0.113.7\n      - 198.51.100.0/24\n",
                "",
            ),
        ),
        (
            "rules/file.yml".into(),
            rule(
                FILE_RULE,
                "  - attack.t1505.003\n",
                &format!(
                    "  dropper:\n    md5:\n      - {MD5_A}\n    file_name:\n      - dropper.exe\n      - setup.exe\n  shell:\n    sha256:\n      - {SHA256_A}\n  tool:\n    sha1:\n      - {SHA1_A}\n  path:\n    file_path:\n      - 'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx'\n  key:\n    registry_path:\n      - 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\updater'\n"
                ),
                "",
            ),
        ),
        (
            "rules/http.yml".into(),
            rule(
                HTTP_RULE,
                "  - attack.t1190\n",
                "  gate:\n    url:\n      - http://files.example/gate.php?id=1\n  owa:\n    url_path:\n      - /owa/auth/x.js\n  agent:\n    user_agent:\n      - EvilAgent/1.0\n  mail:\n    email:\n      - sender@example.org\n",
                "",
            ),
        ),
        (
            "rules/host.yml".into(),
            rule(
                HOST_RULE,
                "  - attack.t1190\n",
                "  host:\n    domain:\n      - update.example\n  agent:\n    user_agent:\n      - Acme Updater/2.1\n      - Acme Updater/2.2\n  check:\n    url_path:\n      - /check\n",
                "condition: host and agent and check\n",
            ),
        ),
    ]
}

fn export(dir: &Path) -> Value {
    export_with(dir, &[])
}

fn export_with(dir: &Path, extra: &[&str]) -> Value {
    common::export::run(dir, "misp", Path::new("out"), extra, &[])
}

fn statuses(report: &Value) -> BTreeMap<String, Value> {
    common::export::outcomes(report, "misp")
}

/// Runs the PyMISP validator over `dir`: (exit success, one summary per event by uuid, stderr).
fn validate(python: &str, dir: &Path) -> (bool, BTreeMap<String, Value>, String) {
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/engines/misp_validate.py"
        ))
        .arg(dir)
        .output()
        .unwrap();
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["uuid"].as_str().unwrap().to_string(), v)
        })
        .collect();
    (
        out.status.success(),
        events,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn attrs(event: &Value) -> BTreeSet<(String, String, bool)> {
    event["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
                a[2].as_bool().unwrap(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String, bool)> {
    items
        .iter()
        .map(|(t, v)| (t.to_string(), v.to_string(), true))
        .collect()
}

#[test]
fn engines_pymisp_loads_every_event_strictly_with_the_rule_values() {
    let Some(python) = engines::python("pymisp") else {
        return;
    };
    let repo = common::repo(&[]);
    for (path, text) in rules() {
        repo.write(&path, &text);
    }
    let report = export(repo.path());
    let outcomes = statuses(&report);
    // `*.dga.example` is a glob: left out, the rest of the rule is kept.
    assert_eq!(outcomes[NET_RULE]["status"], "partial");
    assert_eq!(outcomes[NET_RULE]["omitted"][0]["code"], "misp-pattern");
    for id in [FILE_RULE, HTTP_RULE, HOST_RULE] {
        assert_eq!(outcomes[id]["status"], "exported", "{id}");
    }
    let (ok, events, stderr) = validate(&python, &repo.path().join("out/misp"));
    assert!(ok, "PyMISP refused an event:\n{stderr}");
    assert_eq!(events.len(), 4, "{stderr}");

    let net = &events[NET_RULE];
    assert_eq!(
        attrs(net),
        set(&[
            ("hostname", "c2.example.com"),
            ("ip-dst", "198.51.100.0/24"),
            ("ip-dst", "203.0.113.7"),
        ])
    );
    let tags: Vec<&str> = net["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"tlp:amber"), "{tags:?}");
    assert!(
        tags.contains(&"misp-galaxy:mitre-attack-pattern=\"Web Protocols - T1071.001\""),
        "{tags:?}"
    );
    assert!(
        tags.contains(&"ruleforge:tag=\"actor.example\""),
        "{tags:?}"
    );

    // md5 AND file_name: two file objects (one per file name), not IDS attributes.
    let file = &events[FILE_RULE];
    let lower = |set: BTreeSet<(String, String, bool)>| -> BTreeSet<(String, String, bool)> {
        set.into_iter()
            .map(|(t, v, b)| (t, v.to_lowercase(), b))
            .collect()
    };
    // Paths and registry keys are shipped in their canonical (case-folded) form.
    assert_eq!(
        lower(attrs(file)),
        lower(set(&[
            ("sha256", SHA256_A),
            ("sha1", SHA1_A),
            ("filename", "C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"),
            (
                "regkey",
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\updater"
            ),
        ]))
    );
    let objects = file["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2, "{file}");
    for o in objects {
        assert_eq!(o["name"], "file");
        let rels: Vec<&str> = o["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_str().unwrap())
            .collect();
        assert_eq!(rels, ["filename", "md5"], "{o}");
    }
    assert!(file["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "misp-galaxy:mitre-attack-pattern=\"Web Shell - T1505.003\""));

    assert_eq!(
        attrs(&events[HTTP_RULE]),
        set(&[
            ("url", "http://files.example/gate.php?id=1"),
            ("uri", "/owa/auth/x.js"),
            ("user-agent", "EvilAgent/1.0"),
            ("email", "sender@example.org"),
        ])
    );

    // domain AND user_agent: http-request objects only.
    let host = &events[HOST_RULE];
    assert!(attrs(host).is_empty(), "{host}");
    let objects = host["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    assert!(objects.iter().all(|o| o["name"] == "http-request"));

    // Same rules, same bytes (uuids are derived, not drawn).
    let first: Vec<u8> =
        std::fs::read(repo.path().join(format!("out/misp/{HOST_RULE}.json"))).unwrap();
    export(repo.path());
    let second = std::fs::read(repo.path().join(format!("out/misp/{HOST_RULE}.json"))).unwrap();
    assert_eq!(first, second);
}

#[test]
fn engines_pymisp_refuses_a_broken_event() {
    // The judge can fail: a `hostname` in a category MISP does not allow for it is refused.
    let Some(python) = engines::python("pymisp") else {
        return;
    };
    let repo = common::repo(&[]);
    for (path, text) in rules() {
        repo.write(&path, &text);
    }
    export(repo.path());
    let path = repo.path().join(format!("out/misp/{NET_RULE}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"Network activity\"", "\"Financial fraud\"", 1),
    )
    .unwrap();
    let (ok, _, stderr) = validate(&python, &repo.path().join("out/misp"));
    assert!(!ok);
    assert!(stderr.contains(NET_RULE), "{stderr}");
}

#[test]
fn engines_shipped_rules_load_in_pymisp() {
    let Some(python) = engines::python("pymisp") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = common::ruleforge(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["export", "misp", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (ok, events, stderr) = validate(&python, &out.join("misp"));
    assert!(ok, "{stderr}");
    assert!(events.len() > 10, "{stderr}");
}

#[test]
fn every_skip_reason_is_reported() {
    let id = |n: u32| format!("{n:08x}-0000-4000-8000-0000000000aa");
    // 9 file names AND 8 md5s in one group: 72 objects.
    let too_many = format!(
        "  a:\n    file_name:\n{}    md5:\n{}",
        (0..9)
            .map(|i| format!("      - tool{i}.exe\n"))
            .collect::<String>(),
        (0..8)
            .map(|i| format!("      - {:032x}\n", 0xabc0 + i))
            .collect::<String>()
    );
    let cases: Vec<(String, String, &str, &str)> = vec![
        (
            id(1),
            "  drop:\n    file_name:\n      - '*.aspx'\n".into(),
            "",
            "misp-pattern",
        ),
        (
            id(2),
            "  cmd:\n    command_line:\n      - whoami /all\n".into(),
            "",
            "misp-type",
        ),
        (
            id(3),
            "  both:\n    registry_path:\n      - 'HKLM\\SOFTWARE\\x'\n    domain:\n      - c2.example.com\n"
                .into(),
            "",
            "misp-and",
        ),
        (id(4), too_many, "", "misp-too-many"),
        (
            id(5),
            "  c2:\n    domain:\n      - c2.example.com\n  benign:\n    domain:\n      - ok.example.com\n"
                .into(),
            "condition: c2 and not benign\n",
            "negation",
        ),
    ];
    let repo = common::repo(&[]);
    for (id, ind, cond, _) in &cases {
        repo.write(
            &format!("rules/{id}.yml"),
            &rule(id, "  - actor.example\n", ind, cond),
        );
    }
    let got = statuses(&export(repo.path()));
    for (id, _, _, code) in &cases {
        let o = &got[id];
        assert_eq!(o["status"], "skipped", "{id}: {o}");
        assert_eq!(o["code"], *code, "{id}: {o}");
        assert!(!repo.path().join(format!("out/misp/{id}.json")).exists());
    }
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.3).collect();
    for r in ruleforge::export::misp::REASONS {
        assert!(covered.contains(r.code), "no test for {}", r.code);
    }
}

#[test]
fn subdomains_become_a_domain_attribute_only_with_approximate() {
    let repo = common::repo(&[]);
    for (path, text) in rules() {
        repo.write(&path, &text);
    }
    let event = |repo: &common::GitRepo| -> Value {
        serde_json::from_str(&repo.read(&format!("out/misp/{NET_RULE}.json"))).unwrap()
    };
    let has_domain = |e: &Value| {
        e["Event"]["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "domain" && a["value"] == "dga.example")
    };
    let plain = statuses(&export(repo.path()));
    assert_eq!(plain[NET_RULE]["status"], "partial");
    assert!(plain[NET_RULE].get("approximations").is_none());
    assert!(!has_domain(&event(&repo)));

    let approx = statuses(&export_with(repo.path(), &["--approximate"]));
    assert_eq!(
        approx[NET_RULE]["status"], "exported",
        "{}",
        approx[NET_RULE]
    );
    let notes = approx[NET_RULE]["approximations"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].as_str().unwrap().contains("*.dga.example"));
    assert!(has_domain(&event(&repo)));
}
