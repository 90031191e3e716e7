//! `ruleforge export` end to end: the lint gate, `--rev`, `--strict`, the report (its schema,
//! its counts, reproducible bytes), all-or-nothing writing, and the Zeek Intel target.
//!
//! No Zeek engine can be installed on the build machines, so the Zeek output is checked
//! against the Intel framework's documented input format by a parser written here
//! ([`parse_intel`]); every other target is judged by its real engine in its own test file.

mod common;

use common::GitRepo;
use serde_json::Value;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

const ID_A: &str = "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c";

/// A rule with the given id, indicators (YAML under `indicators:`) and condition.
fn rule_with(id: &str, indicators: &str, condition: Option<&str>) -> String {
    let mut s = format!(
        "id: {id}
title: Export fixture {id}
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  Fixture rule used by the export tests.
references:
  - https://example.org/report
tags:
  - attack.t1505.003
indicators:
{indicators}"
    );
    if let Some(c) = condition {
        s.push_str(&format!("condition: {c}\n"));
    }
    s
}

fn id(n: u8) -> String {
    format!("0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b{n:02x}")
}

fn repo_with(rules: &[(&str, String)]) -> GitRepo {
    let repo = common::repo(&[]);
    for (path, text) in rules {
        repo.write(path, text);
    }
    repo
}

fn export(repo: &GitRepo, args: &[&str]) -> (i32, String, String) {
    let out = repo.ruleforge().arg("export").args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(dir: &Path) -> Value {
    common::export::report(dir)
}

/// The outcome of rule `id` for `target` in a report.
fn outcome<'a>(r: &'a Value, target: &str, id: &str) -> &'a Value {
    common::export::outcome(r, target, id)
}

/// One Intel item.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Item {
    indicator: String,
    kind: String,
    source: String,
    desc: String,
    url: String,
}

/// Parses a Zeek Intel input file as the Intel framework's input reader does (ASCII reader,
/// tab separator, `#fields` header naming the columns, `-` for an unset field) and checks
/// every line against the documented item types and their indicator syntax.
fn parse_intel(text: &str) -> Vec<Item> {
    let mut lines = text.lines();
    let header = lines.next().expect("a header line");
    let fields: Vec<&str> = header
        .strip_prefix("#fields\t")
        .expect("the first line is `#fields`")
        .split('\t')
        .collect();
    assert_eq!(
        fields,
        [
            "indicator",
            "indicator_type",
            "meta.source",
            "meta.desc",
            "meta.url"
        ]
    );
    assert!(text.ends_with('\n'), "the file ends with a newline");
    let mut items = Vec::new();
    for (n, line) in lines.enumerate() {
        assert!(!line.starts_with('#'), "line {}: only one header", n + 2);
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cols.len(),
            5,
            "line {}: 5 tab-separated fields: {line:?}",
            n + 2
        );
        for c in &cols {
            assert!(!c.is_empty(), "line {}: empty field", n + 2);
            assert!(
                !c.chars().any(char::is_control),
                "line {}: control character",
                n + 2
            );
        }
        let (indicator, kind) = (cols[0], cols[1]);
        assert_ne!(indicator, "-", "the indicator is set");
        match kind {
            "Intel::ADDR" => {
                indicator.parse::<std::net::IpAddr>().unwrap();
            }
            "Intel::SUBNET" => {
                let (addr, len) = indicator.split_once('/').expect("a prefix length");
                let addr: std::net::IpAddr = addr.parse().unwrap();
                let len: u8 = len.parse().unwrap();
                assert!(len <= if addr.is_ipv4() { 32 } else { 128 });
            }
            "Intel::FILE_HASH" => {
                assert!([32, 40, 64].contains(&indicator.len()));
                assert!(indicator
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            }
            "Intel::DOMAIN" => {
                assert!(!indicator.contains(['*', '/', ' ']), "{indicator}");
                assert_eq!(indicator, indicator.to_ascii_lowercase());
            }
            "Intel::URL" => {
                assert!(
                    !indicator.contains("://"),
                    "Intel URLs have no scheme: {indicator}"
                )
            }
            "Intel::EMAIL" => assert!(indicator.contains('@')),
            "Intel::FILE_NAME" | "Intel::SOFTWARE" => assert!(!indicator.contains(['*', '?'])),
            other => panic!("line {}: unknown Intel type {other}", n + 2),
        }
        items.push(Item {
            indicator: indicator.to_string(),
            kind: kind.to_string(),
            source: cols[2].to_string(),
            desc: cols[3].to_string(),
            url: cols[4].to_string(),
        });
    }
    items
}

fn intel(dir: &Path) -> Vec<Item> {
    parse_intel(&std::fs::read_to_string(dir.join("zeek/ruleforge.intel")).unwrap())
}

/// The (indicator, type) pairs of one rule's items, sorted.
fn items_of(items: &[Item], rule: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .filter(|i| i.source == format!("ruleforge-rules:{rule}"))
        .map(|i| (i.indicator.clone(), i.kind.clone()))
        .collect();
    v.sort();
    v
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn zeek_items_carry_each_expressible_value_of_each_rule() {
    let repo = repo_with(&[
        (
            "rules/net.yml",
            rule_with(
                &id(1),
                "  c2:\n    domain:\n      - evil.example\n      - '*.cdn.evil.example'\n    \
                 \n  hosts:\n    ip:\n      - 203.0.113.7\n      - 198.51.100.0/24\n\
                 \n  files:\n    sha256:\n      - 0ACB884F2F4CFA75B726CB8290B20328C8DDBCD49F95A1D761B7D131B95BAFEC\n",
                Some("1 of them"),
            ),
        ),
        (
            "rules/mail.yml",
            rule_with(
                &id(2),
                "  sender:\n    email:\n      - phish@evil.example\n",
                None,
            ),
        ),
    ]);
    let out = repo.path().join("out");
    let (code, _, err) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("zeek  1 exported, 1 partial, 0 skipped"),
        "{err}"
    );
    let items = intel(&out);
    assert_eq!(
        items_of(&items, &id(1)),
        pairs(&[
            (
                "0acb884f2f4cfa75b726cb8290b20328c8ddbcd49f95a1d761b7d131b95bafec",
                "Intel::FILE_HASH"
            ),
            ("198.51.100.0/24", "Intel::SUBNET"),
            ("203.0.113.7", "Intel::ADDR"),
            ("evil.example", "Intel::DOMAIN"),
        ])
    );
    assert_eq!(
        items_of(&items, &id(2)),
        pairs(&[("phish@evil.example", "Intel::EMAIL")])
    );
    let first = &items[0];
    assert_eq!(first.desc, format!("Export fixture {}", id(1)));
    assert_eq!(first.url, "https://example.org/report");
    // The `*.` subdomain value is left out, and the report says so.
    let r = report(&out);
    let o = outcome(&r, "zeek", &id(1));
    assert_eq!(o["status"], "partial");
    assert_eq!(o["omitted"][0]["code"], "zeek-pattern");
    assert_eq!(o["omitted"][0]["groups"], serde_json::json!(["c2"]));
    assert!(o["omitted"][0]["message"]
        .as_str()
        .unwrap()
        .contains("*.cdn.evil.example"));
    assert_eq!(outcome(&r, "zeek", &id(2))["status"], "exported");
}

/// Every Zeek reason code, and the common ones a Zeek export can give.
#[test]
fn zeek_skip_reasons() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "host.yml",
            rule_with(
                &id(1),
                "  cmd:\n    command_line:\n      - '*whoami*'\n",
                None,
            ),
            "zeek-not-observed",
        ),
        (
            "glob.yml",
            rule_with(&id(2), "  n:\n    file_name:\n      - '*.aspx'\n", None),
            "zeek-pattern",
        ),
        (
            "and.yml",
            rule_with(
                &id(3),
                "  a:\n    domain:\n      - a.example\n  b:\n    ip:\n      - 192.0.2.1\n",
                Some("a and b"),
            ),
            "zeek-and",
        ),
        (
            "two-types.yml",
            rule_with(
                &id(4),
                "  a:\n    domain:\n      - a.example\n    ip:\n      - 192.0.2.1\n",
                None,
            ),
            "zeek-and",
        ),
        (
            "ua.yml",
            rule_with(
                &id(5),
                "  ua:\n    user_agent:\n      - EvilAgent/1.0\n",
                None,
            ),
            "zeek-case-approximation",
        ),
        (
            "https.yml",
            rule_with(
                &id(6),
                "  u:\n    url:\n      - https://evil.example/gate\n",
                None,
            ),
            "zeek-url-scheme",
        ),
        (
            "dash.yml",
            rule_with(&id(7), "  n:\n    file_name:\n      - '-'\n", None),
            "zeek-field",
        ),
        (
            "not.yml",
            rule_with(
                &id(8),
                "  a:\n    domain:\n      - a.example\n  b:\n    ip:\n      - 192.0.2.1\n",
                Some("a and not b"),
            ),
            "negation",
        ),
        (
            "never.yml",
            rule_with(
                &id(9),
                "  a:\n    domain:\n      - a.example\n",
                Some("all of x_*"),
            ),
            "never-matches",
        ),
    ];
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(p, t, _)| (format!("rules/{p}"), t.clone()))
        .collect();
    let refs: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let repo = repo_with(&refs);
    repo.write("rules/whoami_web_server.yml", common::SIGMA_WHOAMI);
    // RF206 (overly broad glob) and RF302 (a prefix without groups) would refuse two of
    // these; a team may turn them off.
    repo.write(
        "ruleforge.toml",
        "[lint]\nignore = [\"RF206\", \"RF302\"]\n",
    );
    let (code, _, err) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    let r = report(&repo.path().join("out"));
    for (n, (path, _, code)) in cases.iter().enumerate() {
        let o = outcome(&r, "zeek", &id(n as u8 + 1));
        assert_eq!(o["status"], "skipped", "{path}: {o}");
        assert_eq!(o["code"], *code, "{path}: {o}");
        assert!(!o["message"].as_str().unwrap().is_empty());
    }
    let sigma = outcome(&r, "zeek", "1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01");
    assert_eq!(sigma["code"], "sigma-source");
    // Nothing was exported: the file is the header alone.
    assert!(intel(&repo.path().join("out")).is_empty());
    // --strict turns the skips into a failure, and says why.
    let (code, _, err) = export(&repo, &["zeek", "--out", "out", "--strict"]);
    assert_eq!(code, 1);
    assert!(err.contains("--strict"), "{err}");
}

#[test]
fn zeek_approximations_need_the_flag_and_are_reported() {
    let repo = repo_with(&[(
        "rules/ua.yml",
        rule_with(
            &id(1),
            "  ua:\n    user_agent:\n      - EvilAgent/1.0\n  u:\n    url:\n      - http://evil.example/Gate\n",
            Some("ua or u"),
        ),
    )]);
    let (code, _, err) = export(&repo, &["zeek", "--out", "out", "--approximate"]);
    assert_eq!(code, 0, "{err}");
    let out = repo.path().join("out");
    assert_eq!(
        items_of(&intel(&out), &id(1)),
        pairs(&[
            ("EvilAgent/1.0", "Intel::SOFTWARE"),
            ("evil.example/Gate", "Intel::URL")
        ])
    );
    let r = report(&out);
    assert_eq!(r["approximate"], true);
    let o = outcome(&r, "zeek", &id(1));
    assert_eq!(o["status"], "exported");
    assert_eq!(o["approximations"].as_array().unwrap().len(), 2, "{o}");
}

#[test]
fn lint_errors_refuse_the_export_and_write_nothing() {
    let repo = repo_with(&[(
        "rules/bad.yml",
        rule_with(&id(1), "  h:\n    sha256:\n      - abc\n", None),
    )]);
    let (code, _, err) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("RF201"), "{err}");
    assert!(
        err.contains("lint found 1 error at the working tree: nothing exported"),
        "{err}"
    );
    assert!(!repo.path().join("out").exists());
}

#[test]
fn unknown_targets_and_bad_output_folders_are_clear_errors() {
    let repo = repo_with(&[("rules/a.yml", common::rule(ID_A, "A", &common::hash(1)))]);
    let (code, _, err) = export(&repo, &["nessus", "--out", "out"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown export target `nessus`"), "{err}");
    // The output folder is a file: exit 2, the file untouched.
    repo.write("out", "not a folder\n");
    let (code, _, err) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("out: cannot write the export"), "{err}");
    assert_eq!(repo.read("out"), "not a folder\n");
}

#[test]
fn a_new_export_replaces_the_target_folder_whole_and_leaves_no_staging() {
    let repo = repo_with(&[("rules/a.yml", common::rule(ID_A, "A", &common::hash(1)))]);
    repo.write("out/zeek/stale.intel", "old\n");
    repo.write("out/keep.txt", "mine\n");
    let (code, _, err) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    let out = repo.path().join("out");
    assert!(!out.join("zeek/stale.intel").exists());
    assert!(out.join("zeek/ruleforge.intel").exists());
    assert_eq!(repo.read("out/keep.txt"), "mine\n");
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".ruleforge-export")),
        "{names:?}"
    );
}

#[test]
fn the_report_follows_its_schema_and_the_export_is_reproducible() {
    let repo = repo_with(&[
        ("rules/a.yml", common::rule(ID_A, "A", &common::hash(1))),
        (
            "rules/b.yml",
            rule_with(&id(2), "  n:\n    file_name:\n      - '*.aspx'\n", None),
        ),
    ]);
    let (c1, _, e1) = export(&repo, &["all", "--out", "one"]);
    let (c2, _, e2) = export(&repo, &["all", "--out", "two"]);
    assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
    let schema: Value =
        serde_json::from_str(include_str!("../schemas/export-report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let r = report(&repo.path().join("one"));
    let errors: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(r["source"]["rev"], "working-tree");
    assert_eq!(r["rules"]["native"], 2);
    // Every file the report lists exists with that size and hash; the two runs agree byte
    // for byte.
    let files = |dir: &str| -> BTreeMap<String, Vec<u8>> {
        let mut m = BTreeMap::new();
        for t in report(&repo.path().join(dir))["targets"]
            .as_object()
            .unwrap()
            .values()
        {
            for f in t["files"].as_array().unwrap() {
                let p = f["path"].as_str().unwrap().to_string();
                let bytes = std::fs::read(repo.path().join(dir).join(&p)).unwrap();
                assert_eq!(bytes.len() as u64, f["size"].as_u64().unwrap(), "{p}");
                assert_eq!(
                    f["sha256"].as_str().unwrap(),
                    ruleforge::bundle::verify::hex(&sha2::Sha256::digest(&bytes)),
                    "{p}"
                );
                m.insert(p, bytes);
            }
        }
        m
    };
    assert_eq!(files("one"), files("two"));
    assert_eq!(
        std::fs::read(repo.path().join("one/export-report.json")).unwrap(),
        std::fs::read(repo.path().join("two/export-report.json")).unwrap()
    );
}

#[test]
fn rev_reads_the_commit_not_the_working_tree() {
    let mut repo = repo_with(&[(
        "rules/a.yml",
        rule_with(
            &id(1),
            "  h:\n    domain:\n      - committed.example\n",
            None,
        ),
    )]);
    let commit = repo.commit("rules");
    repo.write(
        "rules/a.yml",
        &rule_with(&id(1), "  h:\n    domain:\n      - edited.example\n", None),
    );
    let (code, _, err) = export(&repo, &["zeek", "--out", "out", "--rev", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    let out = repo.path().join("out");
    assert_eq!(
        items_of(&intel(&out), &id(1)),
        pairs(&[("committed.example", "Intel::DOMAIN")])
    );
    let r = report(&out);
    assert_eq!(r["source"]["rev"], "HEAD");
    assert_eq!(r["source"]["commit"], commit);
    // Without --rev: the working tree.
    let (code, _, _) = export(&repo, &["zeek", "--out", "out"]);
    assert_eq!(code, 0);
    assert_eq!(
        items_of(&intel(&out), &id(1)),
        pairs(&[("edited.example", "Intel::DOMAIN")])
    );
    let (code, _, err) = export(&repo, &["zeek", "--out", "out", "--rev", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn the_shipped_rules_export_to_zeek() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let o = common::ruleforge(root)
        .args(["export", "zeek", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "--quiet prints nothing");
    let items = intel(out.path());
    assert!(items.len() > 50, "{} items", items.len());
    let r = report(out.path());
    let c = &r["targets"]["zeek"]["counts"];
    let total = c["exported"].as_u64().unwrap()
        + c["partial"].as_u64().unwrap()
        + c["skipped"].as_u64().unwrap();
    assert_eq!(
        total,
        r["rules"]["native"].as_u64().unwrap() + r["rules"]["sigma"].as_u64().unwrap()
    );
}

/// The STIX bundle and the MISP events are written piece by piece (each indicator printed on
/// its own and joined): their bytes must be exactly what `serde_json` prints for the whole
/// document, as the loaders and the reproducibility of bundles expect.
#[test]
fn stix_and_misp_files_are_printed_as_whole_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let o = common::ruleforge(root)
        .args(["export", "stix", "misp", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut paths = vec![out.path().join("stix/bundle.json")];
    for e in std::fs::read_dir(out.path().join("misp")).unwrap() {
        paths.push(e.unwrap().path());
    }
    assert!(paths.len() > 20, "{} files", paths.len());
    let mut markings = 0;
    for p in paths {
        let bytes = std::fs::read(&p).unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let mut whole = serde_json::to_vec_pretty(&value).unwrap();
        whole.push(b'\n');
        assert!(
            bytes == whole,
            "{}: not the whole document as serde_json prints it",
            p.display()
        );
        if let Some(objects) = value["objects"].as_array() {
            // The identity, the markings and the indicators, each with the optional fields.
            markings = objects
                .iter()
                .filter(|o| o["type"] == "marking-definition")
                .count();
            let with = |k: &str| objects.iter().filter(|o| o.get(k).is_some()).count();
            for k in [
                "kill_chain_phases",
                "external_references",
                "labels",
                "confidence",
            ] {
                assert!(with(k) > 0, "no indicator with {k}");
            }
        }
    }
    assert!(markings > 0, "the shipped rules carry a TLP marking");
}
