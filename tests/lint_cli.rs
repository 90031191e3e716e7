//! `ruleforge lint` end to end: output formats, exit codes, bad input, fixes, selection,
//! configuration, suppressions and `--changed-since`.

mod common;

use common::*;
use serde_json::Value;

fn bad_rule() -> String {
    rule(RULE_ID, "Example web shell by hash", "NOT-A-HASH")
}

#[test]
fn clean_repository_exits_zero_with_summary() {
    let r = repo(&[(
        "rules/a.yml",
        &rule(RULE_ID, "Example web shell by hash", &hash(1)),
    )]);
    let (code, out, err) = run(r.path(), &["lint"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "All checks passed: 1 file linted, no findings.\n");
}

#[test]
fn text_format_has_location_code_and_frame() {
    let r = repo(&[("rules/a.yml", &bad_rule())]);
    let (code, out, _) = run(r.path(), &["lint"]);
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "rules/a.yml:18:9: RF201 invalid `sha256` value `NOT-A-HASH`: `sha256` must be hexadecimal"
    );
    assert!(
        out.contains("18 |       - NOT-A-HASH\n   |         ^^^^^^^^^^"),
        "{out}"
    );
    assert!(
        out.ends_with("Found 1 error, 0 warnings in 1 file linted.\n"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn colour_only_when_asked_and_not_with_no_color() {
    let r = repo(&[("rules/a.yml", &bad_rule())]);
    let out = ruleforge(r.path())
        .args(["--color", "always", "lint"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let out = ruleforge(r.path())
        .args(["lint"])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn json_format_fields() {
    let r = repo(&[(
        "rules/a.yml",
        &rule(
            RULE_ID,
            "Example web shell by hash",
            &hash(1).to_uppercase(),
        ),
    )]);
    let (code, out, _) = run(r.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 0, "warnings only");
    let v: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(v.len(), 1);
    let d = &v[0];
    assert_eq!(d["code"], "RF202");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "rules/a.yml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(18), Some(9))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(18), Some(73))
    );
    assert_eq!(d["fix"], hash(1));
    assert!(d["message"].as_str().unwrap().contains("not canonical"));
}

#[test]
fn sarif_format_has_rules_and_results() {
    let r = repo(&[("rules/a.yml", &bad_rule())]);
    let (code, out, _) = run(r.path(), &["lint", "--output-format", "sarif"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "RF201" && r["name"] == "invalid-indicator-value"));
    let res = &run["results"][0];
    assert_eq!(res["ruleId"], "RF201");
    assert_eq!(res["level"], "error");
    assert_eq!(
        rules[res["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "RF201"
    );
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "rules/a.yml");
    assert_eq!(loc["region"]["startLine"], 18);
    assert_eq!(loc["region"]["startColumn"], 9);
}

#[test]
fn github_format_workflow_commands() {
    let r = repo(&[("rules/a.yml", &bad_rule())]);
    let (code, out, _) = run(r.path(), &["lint", "--output-format", "github"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim_end(),
        "::error file=rules/a.yml,line=18,endLine=18,col=9,endColumn=19,title=RF201 (invalid-indicator-value)::RF201 invalid `sha256` value `NOT-A-HASH`%3A `sha256` must be hexadecimal"
            .replace("%3A", ":")
    );
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let r = repo(&[
        ("rules/a-broken.yml", "id: [unclosed\n"),
        ("rules/b-empty.yml", ""),
        (
            "rules/c-good.yml",
            &rule(RULE_ID, "Example web shell by hash", &hash(1)),
        ),
        (
            "rules/d-bad-value.yml",
            &rule(
                "4c1f7f3a-2d2e-4d8b-9a51-0f6f4d5f1a20",
                "Second example web shell",
                "xyz",
            ),
        ),
    ]);
    let (code, out, _) = run(r.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 1);
    let v: Vec<Value> = serde_json::from_str(&out).unwrap();
    let got: Vec<(&str, &str)> = v
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("rules/a-broken.yml", "RF001"),
            ("rules/b-empty.yml", "RF005"),
            ("rules/d-bad-value.yml", "RF201")
        ]
    );
}

#[test]
fn every_bad_input_is_a_diagnostic_in_every_format() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10u8 {
        let (p, c) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        bomb.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{p}"); 10].join(", ")
        ));
    }
    let huge = format!("# {}\n", "x".repeat(2 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("broken.yml", b"title: 'unclosed\n".to_vec(), "RF001"),
        ("dup.yml", b"id: a\nid: b\n".to_vec(), "RF002"),
        ("huge.yml", huge.into_bytes(), "RF003"),
        ("latin1.yml", b"title: caf\xe9\n".to_vec(), "RF004"),
        ("utf16.yml", b"\xff\xfei\x00d\x00".to_vec(), "RF004"),
        ("empty.yml", Vec::new(), "RF005"),
        ("bomb.yml", bomb.into_bytes(), "RF006"),
        ("tabs.yml", b"indicators:\n\tx: 1\n".to_vec(), "RF007"),
        ("two.yml", b"a: 1\n---\nb: 2\n".to_vec(), "RF008"),
        ("scalar.yml", b"just a string\n".to_vec(), "RF010"),
        ("list.yml", b"- a\n- b\n".to_vec(), "RF010"),
    ];
    for (name, bytes, code) in cases {
        let r = repo(&[]);
        std::fs::create_dir_all(r.path().join("rules")).unwrap();
        std::fs::write(r.path().join("rules").join(name), &bytes).unwrap();
        for format in ["json", "text", "sarif", "github"] {
            let start = std::time::Instant::now();
            let (status, out, err) = run(r.path(), &["lint", "--output-format", format]);
            assert_eq!(status, 1, "{name} {format}: {out}{err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
            assert!(
                out.contains(code),
                "{name} {format}: expected {code} in {out}"
            );
            assert!(
                out.contains(&format!("rules/{name}")),
                "{name} {format}: names the file"
            );
            assert!(start.elapsed().as_secs() < 20, "{name} took too long");
        }
    }
}

#[test]
fn usage_config_and_io_errors_exit_two() {
    let r = repo(&[(
        "rules/a.yml",
        &rule(RULE_ID, "Example web shell by hash", &hash(1)),
    )]);
    let (code, _, err) = run(r.path(), &["lint", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no/such/dir: no such file or directory"),
        "{err}"
    );
    let (code, _, err) = run(r.path(), &["lint", "--select", "XX1"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule code or prefix `XX1`"), "{err}");
    let (code, _, _) = run(r.path(), &["lint", "--output-format", "yaml"]);
    assert_eq!(code, 2);
    std::fs::write(
        r.path().join("ruleforge.toml"),
        "[lint]\nrots = [\"rules\"]\n",
    )
    .unwrap();
    let (code, _, err) = run(r.path(), &["lint"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("ruleforge.toml:2:1:") && err.contains("unknown field `rots`"),
        "{err}"
    );
}

#[test]
fn select_ignore_and_deny_warnings() {
    let text = rule(
        RULE_ID,
        "Example web shell by hash.",
        &hash(1).to_uppercase(),
    );
    let r = repo(&[("rules/a.yml", &text)]);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["lint", "--output-format", "json"];
        a.extend_from_slice(args);
        let (_, out, _) = run(r.path(), &a);
        serde_json::from_str::<Vec<Value>>(&out)
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&[]), vec!["RF107", "RF202"]);
    assert_eq!(codes(&["--select", "RF2"]), vec!["RF202"]);
    assert_eq!(codes(&["--ignore", "RF107"]), vec!["RF202"]);
    assert_eq!(
        codes(&["--select", "RF1", "--ignore", "RF107"]),
        Vec::<String>::new()
    );
    let (code, _, _) = run(r.path(), &["lint"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(r.path(), &["lint", "--deny-warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn config_roots_select_and_per_path_ignores() {
    let r = repo(&[
        (
            "detections/legacy/Old_Rule.yml",
            &rule(RULE_ID, "Example web shell by hash", &hash(1)),
        ),
        (
            "detections/new/bad-name_.yml",
            &rule(
                "4c1f7f3a-2d2e-4d8b-9a51-0f6f4d5f1a20",
                "Second example web shell",
                &hash(2),
            ),
        ),
        ("rules/ignored.yml", "not: [valid\n"),
    ]);
    std::fs::write(
        r.path().join("ruleforge.toml"),
        "[lint]\nroots = [\"detections\"]\n\n[lint.per-path-ignores]\n\"detections/legacy/**\" = [\"RF113\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(r.path(), &["lint", "--output-format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(v.len(), 1, "{out}");
    assert_eq!(v[0]["path"], "detections/new/bad-name_.yml");
    assert_eq!(v[0]["code"], "RF113");
}

#[test]
fn inline_suppressions() {
    let text = rule(
        RULE_ID,
        "Example web shell by hash.",
        &hash(1).to_uppercase(),
    )
    .replace(
        &hash(1).to_uppercase(),
        &format!("{} # ruleforge: ignore[RF202]", hash(1).to_uppercase()),
    );
    let r = repo(&[("rules/a.yml", &text)]);
    let (_, out, _) = run(r.path(), &["lint", "--output-format", "json"]);
    let v: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["code"], "RF107");
    let text = format!("# ruleforge: ignore-file[RF1]\n{text}");
    std::fs::write(r.path().join("rules/a.yml"), text).unwrap();
    let (_, out, _) = run(r.path(), &["lint", "--output-format", "json"]);
    assert_eq!(out.trim(), "[]");
}

#[test]
fn fix_rewrites_only_the_offending_values() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix");
    let input = std::fs::read_to_string(fixtures.join("input.yml")).unwrap();
    let expected = std::fs::read_to_string(fixtures.join("expected.yml")).unwrap();
    let r = repo(&[("rules/fix-me.yml", &input)]);
    let (code, out, _) = run(r.path(), &["lint", "--fix"]);
    let fixed = std::fs::read_to_string(r.path().join("rules/fix-me.yml")).unwrap();
    assert_eq!(fixed, expected, "lint output:\n{out}");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Fixed 7 findings."), "{out}");
    // Idempotent: a second run changes nothing.
    let (_, out, _) = run(r.path(), &["lint", "--fix"]);
    assert_eq!(
        std::fs::read_to_string(r.path().join("rules/fix-me.yml")).unwrap(),
        expected
    );
    assert!(!out.contains("Fixed"), "{out}");
}

#[test]
fn changed_since_lints_only_changed_files_but_sees_all() {
    let mut r = repo(&[
        (
            "rules/a.yml",
            &rule(RULE_ID, "Example web shell by hash", &hash(1)),
        ),
        (
            "rules/b.yml",
            &rule(
                "4c1f7f3a-2d2e-4d8b-9a51-0f6f4d5f1a20",
                "Second example web shell.",
                &hash(2),
            ),
        ),
    ]);
    r.commit("two rules");
    // Nothing changed: nothing linted, nothing reported (b's warning is old).
    let (code, out, _) = run(r.path(), &["lint", "--changed-since", "HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(out, "All checks passed: 0 files linted, no findings.\n");
    // A new file that reuses a's id: the duplicate is found through the unchanged file,
    // and reported on the changed one only.
    write(
        r.path(),
        "rules/c.yml",
        &rule(RULE_ID, "Third example web shell", &hash(3)),
    );
    let (code, out, _) = run(
        r.path(),
        &["lint", "--changed-since", "HEAD", "--output-format", "json"],
    );
    assert_eq!(code, 1);
    let v: Vec<Value> = serde_json::from_str(&out).unwrap();
    let got: Vec<(&str, &str)> = v
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![("rules/c.yml", "RF401")]);
    // A bad revision is a usage error.
    let (code, _, err) = run(r.path(), &["lint", "--changed-since", "no-such-rev"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown revision `no-such-rev`"), "{err}");
}

#[test]
fn closed_pipe_does_not_panic() {
    let mut files = Vec::new();
    for i in 0..40u8 {
        files.push((
            format!("rules/r{i}.yml"),
            rule(
                &format!("0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b{i:02x}"),
                "Example web shell.",
                "bad",
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = repo(&refs);
    let bin = assert_cmd::cargo::cargo_bin("ruleforge");
    let mut child = std::process::Command::new(bin)
        .current_dir(r.path())
        .args(["lint"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn rule_command_explains() {
    let r = repo(&[]);
    let (code, out, _) = run(r.path(), &["rule", "RF201"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("RF201 (invalid-indicator-value)\n"),
        "{out}"
    );
    assert!(out.contains("Default severity: error"));
    let (code, out, _) = run(r.path(), &["rule", "--all"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().count(),
        ruleforge::lint::registry::all_rules().count()
    );
    let (code, _, err) = run(r.path(), &["rule", "RF999"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule `RF999`"));
}
