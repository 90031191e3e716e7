//! `ruleforge diff`, `ruleforge changelog` and the policy checks (`lint --base`,
//! `diff --check`) on real git repositories built at test time.

mod common;

use common::diff::{diff_json, hash, id, path, rule};
use common::GitRepo;
use predicates::prelude::*;
use serde_json::Value;

fn kinds(v: &Value) -> Vec<(String, String)> {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["change"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn find(v: &Value, n: u32) -> &Value {
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id(n).as_str())
        .unwrap_or_else(|| panic!("rule {n} not in the diff: {v:#}"))
}

/// Base: rules 1..=7 (6 deprecated). Head: 10 added, 2 removed, 3 modified, 4 moved,
/// 5 deprecated, 6 undeprecated, 7 reformatted only.
fn all_kinds_repo() -> (GitRepo, String, String) {
    let mut repo = GitRepo::new();
    for n in 1..=7 {
        repo.write(
            &path(n),
            &rule(n, if n == 6 { "deprecated" } else { "test" }),
        );
    }
    let base = repo.commit("base");
    repo.write(&path(10), &rule(10, "experimental"));
    repo.remove(&path(2));
    repo.edit(&path(3), |t| {
        t.replace("severity: medium", "severity: high")
            .replace("modified: 2024-01-02", "modified: 2024-02-01")
            .replace(
                "      - evil3.example",
                "      - evil3.example\n      - evil3b.example",
            )
            .replace(
                &format!("  bad_hash:\n    sha256:\n      - {}\n", hash(3)),
                "",
            )
            .replace(
                "made-up domain and a made-up\n  file hash",
                "made-up domain\n  only",
            )
    });
    repo.mv(&path(4), "rules/moved/rule-4.yml");
    repo.edit(&path(5), |t| {
        t.replace("status: test", "status: deprecated")
            .replace("modified: 2024-01-02", "modified: 2024-02-01")
    });
    repo.edit(&path(6), |t| {
        t.replace("status: deprecated", "status: test")
            .replace("modified: 2024-01-02", "modified: 2024-02-01")
    });
    repo.write(
        &path(7),
        &format!(
            "# reformatted: keys reordered, quotes and hash case changed\nid: '{}'\nstatus: \"test\"\ntitle: Fixture rule number 7 for the diff tests\nseverity: medium\nauthor: ruleforge tests\ncreated: '2024-01-01'\nmodified: 2024-01-02\ndescription: >\n  Fixture rule 7 of the diff tests. It matches a made-up domain and a made-up file hash so that indicator changes can be observed.\ntags: [attack.t1505.003]\nindicators:\n  bad_hash:\n    sha256: ['{}']\n  bad_domain:\n    domain: [\"evil7.example\"]\ncondition: (1 of them)\n",
            id(7),
            hash(7).to_uppercase()
        ),
    );
    let head = repo.commit("head");
    (repo, base, head)
}

#[test]
fn every_change_kind_is_reported_in_json() {
    let (repo, base, head) = all_kinds_repo();
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["base"], base.as_str());
    assert_eq!(v["head"], head.as_str());
    let mut k = kinds(&v);
    k.sort();
    let mut expected = vec![
        (id(10), "added".to_string()),
        (id(2), "removed".into()),
        (id(3), "modified".into()),
        (id(4), "moved".into()),
        (id(5), "deprecated".into()),
        (id(6), "undeprecated".into()),
    ];
    expected.sort();
    assert_eq!(k, expected, "{v:#}");
    let s = &v["summary"];
    assert_eq!(s["rules_changed"], 6);
    assert_eq!(s["reformatted"], 1, "rule 7 changed only in form");
    // 10 added (2 indicators), 2 removed (2), 3: +1 domain, -1 hash
    assert_eq!(s["indicators_added"], 3);
    assert_eq!(s["indicators_removed"], 3);

    let r3 = find(&v, 3);
    assert_eq!(r3["fields"]["severity"]["old"], "medium");
    assert_eq!(r3["fields"]["severity"]["new"], "high");
    assert_eq!(r3["fields"]["modified"]["new"], "2024-02-01");
    assert!(r3["fields"]["description"].is_object());
    assert_eq!(
        r3["indicators"]["added"],
        serde_json::json!([{"group": "bad_domain", "type": "domain", "value": "evil3b.example"}])
    );
    assert_eq!(r3["indicators"]["removed"][0]["type"], "sha256");
    let r4 = find(&v, 4);
    assert_eq!(r4["path"], "rules/moved/rule-4.yml");
    assert_eq!(r4["old_path"], "rules/rule-4.yml");
    assert_eq!(r4["fields"], serde_json::json!({}));
    let r2 = find(&v, 2);
    assert_eq!(r2["path"], "rules/rule-2.yml");
    assert_eq!(r2["indicators"]["removed"].as_array().unwrap().len(), 2);
    assert_eq!(find(&v, 10)["old_path"], Value::Null);
    assert_eq!(find(&v, 5)["fields"]["status"]["new"], "deprecated");
}

#[test]
fn text_output_has_a_summary_and_word_diff() {
    let (repo, base, head) = all_kinds_repo();
    let out = repo
        .ruleforge()
        .args(["diff", &base, &head])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("6 rules changed (1 added, 1 removed, 1 modified, 1 moved, 1 deprecated, 1 undeprecated); indicators +3 -3"),
        "{first}"
    );
    assert!(
        text.contains("1 changed file without a change in meaning"),
        "{text}"
    );
    assert!(text.contains("severity: medium → high"), "{text}");
    assert!(
        text.contains("made-up domain [-and a made-up file hash-]{+only+} so that"),
        "{text}"
    );
    assert!(
        text.contains("rules/rule-4.yml → rules/moved/rule-4.yml"),
        "{text}"
    );
    assert!(
        text.contains("+ bad_domain/domain: evil3b.example"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colours off a terminal");
}

#[test]
fn exit_code_flag() {
    let (repo, base, head) = all_kinds_repo();
    repo.ruleforge()
        .args(["diff", &base, &head, "--exit-code"])
        .assert()
        .code(1);
    repo.ruleforge()
        .args(["diff", &head, &head, "--exit-code"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no rule changes"));
}

#[test]
fn markdown_snapshot() {
    let (repo, base, head) = all_kinds_repo();
    let out = repo
        .ruleforge()
        .args(["diff", &base, &head, "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert!(md.starts_with("<!-- ruleforge-diff -->\n"));
    insta::assert_snapshot!("markdown_all_kinds", md);
}

#[test]
fn reformatting_only_is_no_change() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    let base = repo.commit("base");
    repo.edit(&path(1), |t| {
        t.replace("status: test", "status: 'test'")
            .replace(&hash(1), &hash(1).to_uppercase())
            .replace("condition: 1 of them", "# any group\ncondition: \"1 of them\"")
            .replace("description: |\n  Fixture rule 1 of the diff tests. It matches a made-up domain and a made-up\n  file hash", "description: >-\n  Fixture rule 1 of the diff tests.\n  It matches a made-up domain and a made-up file hash")
    });
    let head = repo.commit("reformat");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(v["rules"], serde_json::json!([]));
    assert_eq!(v["summary"]["reformatted"], 1);
    repo.ruleforge()
        .args(["diff", &base, &head, "--exit-code"])
        .assert()
        .code(0);
}

#[test]
fn rename_with_changes_is_a_move_with_fields() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.write(&path(2), &rule(2, "test"));
    let base = repo.commit("base");
    repo.remove(&path(1));
    repo.write(
        "rules/renamed/new-name.yml",
        &rule(1, "test").replace("severity: medium", "severity: critical"),
    );
    let head = repo.commit("rename and edit");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(kinds(&v), vec![(id(1), "moved".to_string())]);
    let r = find(&v, 1);
    assert_eq!(r["moved"], true);
    assert_eq!(r["old_path"], "rules/rule-1.yml");
    assert_eq!(r["path"], "rules/renamed/new-name.yml");
    assert_eq!(r["fields"]["severity"]["new"], "critical");
}

#[test]
fn working_tree_is_the_default_head() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.write(&path(2), &rule(2, "test"));
    repo.write(&path(3), &rule(3, "deprecated"));
    repo.commit("base");
    // unstaged edit, staged move, untracked new file, deletion
    repo.edit(&path(1), |t| t.replace("severity: medium", "severity: low"));
    std::fs::create_dir_all(repo.path().join("rules/sub")).unwrap();
    repo.git(&["mv", &path(2), "rules/sub/rule-2.yml"]);
    repo.write("rules/new/untracked.yml", &rule(4, "test"));
    repo.remove(&path(3));
    let v = diff_json(&repo, &["HEAD"]);
    assert_eq!(v["head"], Value::Null);
    assert_eq!(v["head_rev"], Value::Null);
    let mut k = kinds(&v);
    k.sort();
    let mut expected = vec![
        (id(1), "modified".to_string()),
        (id(2), "moved".into()),
        (id(3), "removed".into()),
        (id(4), "added".into()),
    ];
    expected.sort();
    assert_eq!(k, expected);
    repo.ruleforge()
        .args(["diff", "HEAD"])
        .assert()
        .success()
        .stdout(predicate::str::contains(" → working tree: 4 rules changed"));
}

#[test]
fn missing_revision_is_exit_2() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.commit("base");
    repo.ruleforge()
        .args(["diff", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown revision `no-such-branch`",
        ));
    repo.ruleforge()
        .args(["diff", "HEAD", "deadbeef"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown revision `deadbeef`"));
    repo.ruleforge()
        .args(["changelog", "v9.9.9"])
        .assert()
        .code(2);
    repo.ruleforge()
        .args(["lint", "--base", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown revision `nope`"));
}

#[test]
fn outside_a_repository_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("ruleforge").unwrap();
    cmd.current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["diff", "HEAD"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not in a git repository"));
}

#[test]
fn shallow_clone_with_enough_depth() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.commit("one");
    repo.write(&path(2), &rule(2, "test"));
    repo.commit("two");
    repo.write(&path(3), &rule(3, "test"));
    repo.commit("three");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    common::git::git(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"]);
    let c = clone.path().join("c");
    assert_eq!(
        common::git::git(&c, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let out = common::ruleforge(&c)
        .args(["diff", "HEAD~1", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(kinds(&v), vec![(id(3), "added".to_string())]);
    // The working tree of a shallow clone works too.
    common::ruleforge(&c)
        .args(["diff", "HEAD~1", "--exit-code"])
        .assert()
        .code(1);
    // Beyond the depth: a clear error with a hint, exit 2.
    common::ruleforge(&c)
        .args(["diff", "HEAD~2", "HEAD"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown revision `HEAD~2`"))
        .stderr(predicate::str::contains("shallow clone"));
}

#[test]
fn merge_base_syntax() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(&path(2), &rule(2, "test"));
    repo.commit("feature adds 2");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(&path(3), &rule(3, "test"));
    repo.commit("main adds 3");
    // Two dots in git terms: main..feature would also show 3 as removed.
    let direct = diff_json(&repo, &["main", "feature"]);
    assert_eq!(direct["summary"]["rules_changed"], 2);
    // The merge base: only what the feature branch did.
    let v = diff_json(&repo, &["main...feature", "feature"]);
    assert_eq!(kinds(&v), vec![(id(2), "added".to_string())]);
    assert_eq!(v["base_rev"], "main...feature");
    let mb = repo.git(&["merge-base", "main", "feature"]);
    assert_eq!(v["base"], mb.as_str());
}

#[test]
fn unreadable_files_are_reported_not_fatal() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    repo.write(&path(3), &rule(3, "test"));
    let base = repo.commit("base");
    repo.write("rules/broken.yml", "id: [unclosed\n");
    repo.write(&path(2), &rule(2, "test"));
    // A rule file broken in head is not a removed rule: its state is unknown.
    repo.edit(&path(3), |t| t.replace("title:", "title: [oops"));
    let head = repo.commit("head");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(kinds(&v), vec![(id(2), "added".to_string())]);
    assert_eq!(v["unreadable"][0]["path"], "rules/broken.yml");
    assert_eq!(v["unreadable"][0]["side"], "head");
    assert_eq!(v["unreadable"][1]["path"], path(3));
    let msg = v["unreadable"][1]["message"].as_str().unwrap();
    assert!(msg.starts_with("line 4 column 7: invalid YAML"), "{msg}");
    repo.ruleforge()
        .args(["diff", &base, &head])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: rules/broken.yml (head): not compared:",
        ));
    repo.ruleforge()
        .args(["diff", &base, &head, "--check"])
        .assert()
        .success();
    repo.ruleforge()
        .args(["diff", &format!("{base}..{head}")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a range"));
}

#[test]
fn rule_roots_in_a_subfolder() {
    let mut repo = GitRepo::new();
    repo.write("detections/ruleforge.toml", "[lint]\nroots = [\"rules\"]\n");
    repo.write(&format!("detections/{}", path(1)), &rule(1, "test"));
    repo.write("other/rules/not-rules.yml", &rule(9, "test"));
    let base = repo.commit("base");
    repo.write(&format!("detections/{}", path(2)), &rule(2, "test"));
    repo.write("other/rules/more.yml", &rule(8, "test"));
    let head = repo.commit("head");
    let out = common::ruleforge(&repo.path().join("detections"))
        .args(["diff", &base, &head, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(kinds(&v), vec![(id(2), "added".to_string())]);
    assert_eq!(v["rules"][0]["path"], "rules/rule-2.yml");
}

// ---- policy checks: each via `lint --base` and `diff --check` ----

/// Runs `lint --base BASE --select RF5 --output-format json` and `diff BASE --check
/// --output-format json`; both must agree. Returns (code, path, line) triples.
fn policy(repo: &GitRepo, base: &str) -> Vec<(String, String, u64)> {
    let run = |args: &[&str]| -> (i32, Vec<(String, String, u64)>) {
        let out = repo.ruleforge().args(args).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let found = v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["path"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                )
            })
            .collect();
        (out.status.code().unwrap(), found)
    };
    let (lint_code, lint) = run(&[
        "lint",
        "--base",
        base,
        "--select",
        "RF5",
        "--output-format",
        "json",
    ]);
    let (diff_code, check) = run(&["diff", base, "--check", "--output-format", "json"]);
    assert_eq!(lint, check, "lint --base and diff --check agree");
    let expect = if lint.is_empty() { 0 } else { 1 };
    assert_eq!(lint_code, expect);
    assert_eq!(diff_code, expect);
    lint
}

fn policy_repo() -> (GitRepo, String) {
    let mut repo = GitRepo::new();
    for n in 1..=3 {
        repo.write(&path(n), &rule(n, if n == 3 { "stable" } else { "test" }));
    }
    let base = repo.commit("base");
    (repo, base)
}

#[test]
fn rf501_modified_not_moved_forward() {
    let (repo, base) = policy_repo();
    repo.edit(&path(1), |t| {
        t.replace("severity: medium", "severity: high")
    });
    assert_eq!(policy(&repo, &base), vec![("RF501".into(), path(1), 8)]);
    // Bumping the date satisfies it; a move alone needs no bump.
    repo.edit(&path(1), |t| {
        t.replace("modified: 2024-01-02", "modified: 2024-03-01")
    });
    repo.mv(&path(2), "rules/elsewhere/rule-2.yml");
    assert_eq!(policy(&repo, &base), vec![]);
    // Backwards is reported even without another change.
    repo.edit(&path(1), |t| {
        t.replace("severity: high", "severity: medium")
            .replace("modified: 2024-03-01", "modified: 2024-01-01")
    });
    let found = policy(&repo, &base);
    assert_eq!(found, vec![("RF501".into(), path(1), 8)]);
}

#[test]
fn rf501_fix_bumps_the_date() {
    let (repo, base) = policy_repo();
    repo.edit(&path(1), |t| {
        t.replace("severity: medium", "severity: high")
    });
    repo.ruleforge()
        .args(["lint", "--base", &base, "--select", "RF5", "--fix"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Fixed 1 finding"));
    let text = repo.read(&path(1));
    assert!(!text.contains("modified: 2024-01-02"), "{text}");
    assert!(
        text.contains("# yaml-language-server"),
        "rest of the file kept"
    );
    assert_eq!(policy(&repo, &base), vec![]);
}

#[test]
fn rf502_id_changed_in_place() {
    let (repo, base) = policy_repo();
    repo.edit(&path(1), |t| t.replace(&id(1), &id(99)));
    let found = policy(&repo, &base);
    // Reported once, as RF502 (not also as a deletion without deprecation).
    assert_eq!(found, vec![("RF502".into(), path(1), 2)]);
    // Two files swapping contents is not an id change.
    let (repo, base) = policy_repo();
    let (a, b) = (repo.read(&path(1)), repo.read(&path(2)));
    repo.write(&path(1), &b);
    repo.write(&path(2), &a);
    assert_eq!(policy(&repo, &base), vec![]);
}

#[test]
fn rf503_deleted_without_deprecation() {
    let (mut repo, base) = policy_repo();
    repo.remove(&path(1));
    assert_eq!(policy(&repo, &base), vec![("RF503".into(), path(1), 1)]);
    // Deprecated in an earlier commit, then deleted: fine.
    repo.write(
        &path(1),
        &rule(1, "deprecated").replace("modified: 2024-01-02", "modified: 2024-02-01"),
    );
    let deprecated = repo.commit("deprecate 1");
    repo.remove(&path(1));
    assert_eq!(policy(&repo, &deprecated), vec![]);
    // The policy can be turned off.
    repo.write(&path(1), &rule(1, "test"));
    let restored = repo.commit("restore 1");
    repo.remove(&path(1));
    assert_eq!(policy(&repo, &restored).len(), 1);
    repo.write(
        "ruleforge.toml",
        "[policy]\nrequire-deprecation-before-delete = false\n",
    );
    assert_eq!(policy(&repo, &restored), vec![]);
}

#[test]
fn rf504_created_changed() {
    let (repo, base) = policy_repo();
    repo.edit(&path(2), |t| {
        t.replace("created: 2024-01-01", "created: 2023-06-01")
            .replace("modified: 2024-01-02", "modified: 2024-03-01")
    });
    assert_eq!(policy(&repo, &base), vec![("RF504".into(), path(2), 7)]);
    // --fix restores it.
    repo.ruleforge()
        .args(["lint", "--base", &base, "--select", "RF504", "--fix"])
        .assert()
        .success();
    assert!(repo.read(&path(2)).contains("created: 2024-01-01"));
}

#[test]
fn rf505_stable_demoted() {
    let (repo, base) = policy_repo();
    repo.edit(&path(3), |t| {
        t.replace("status: stable", "status: test")
            .replace("modified: 2024-01-02", "modified: 2024-03-01")
    });
    assert_eq!(policy(&repo, &base), vec![("RF505".into(), path(3), 4)]);
    // Explained: the description says why (and the date moved).
    repo.edit(&path(3), |t| {
        t.replace(
            "so that indicator changes can be observed.",
            "so that indicator changes can be observed.\n  Demoted: false positives on build servers.",
        )
    });
    assert_eq!(policy(&repo, &base), vec![]);
    // Or acknowledged inline.
    let (repo, base) = policy_repo();
    repo.edit(&path(3), |t| {
        t.replace(
            "status: stable",
            "status: experimental # ruleforge: ignore[RF505]",
        )
        .replace("modified: 2024-01-02", "modified: 2024-03-01")
    });
    assert_eq!(policy(&repo, &base), vec![]);
    // Deprecating a stable rule is not a demotion.
    let (repo, base) = policy_repo();
    repo.edit(&path(3), |t| {
        t.replace("status: stable", "status: deprecated")
            .replace("modified: 2024-01-02", "modified: 2024-03-01")
    });
    assert_eq!(policy(&repo, &base), vec![]);
}

#[test]
fn policy_findings_respect_selection_and_formats() {
    let (repo, base) = policy_repo();
    repo.edit(&path(1), |t| {
        t.replace("severity: medium", "severity: high")
    });
    // Ignored by code: clean.
    repo.ruleforge()
        .args([
            "lint", "--base", &base, "--select", "RF5", "--ignore", "RF501",
        ])
        .assert()
        .success();
    // Text: file:line:col with a code frame, counted in the exit code.
    repo.ruleforge()
        .args(["lint", "--base", &base, "--select", "RF5"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("rules/rule-1.yml:8:11: RF501"))
        .stdout(predicate::str::contains("8 | modified: 2024-01-02"));
    repo.ruleforge()
        .args(["diff", &base, "--check", "--output-format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=rules/rule-1.yml,line=8",
        ));
    let out = repo
        .ruleforge()
        .args(["diff", &base, "--check", "--output-format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RF501");
    // Without --base, lint does not run policy checks.
    repo.ruleforge()
        .args(["lint", "--select", "RF5"])
        .assert()
        .success();
}

// ---- markdown size cap ----

#[test]
fn markdown_of_a_thousand_rules_is_capped() {
    let mut repo = GitRepo::new();
    repo.write(&path(1), &rule(1, "test"));
    let base = repo.commit("base");
    for n in 1000..2000 {
        let mut text = rule(n, "test");
        // many indicators per rule
        let extra: String = (0..60)
            .map(|i| format!("      - host{i}.evil{n}.example\n"))
            .collect();
        text = text.replace(
            &format!("      - evil{n}.example\n"),
            &format!("      - evil{n}.example\n{extra}"),
        );
        repo.write(&format!("rules/bulk/rule-{n}.yml"), &text);
    }
    let head = repo.commit("bulk");
    let out = repo
        .ruleforge()
        .args(["diff", &base, &head, "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert!(md.len() <= 50_000, "{} bytes", md.len());
    assert!(md.chars().count() < 65_536);
    assert!(md.starts_with("<!-- ruleforge-diff -->"));
    assert!(
        md.contains("| Added | 1000 |"),
        "the table counts everything"
    );
    assert!(md.contains("| Indicators added | 62000 |"));
    assert!(
        md.contains("more changed rules not shown"),
        "{}",
        &md[md.len() - 400..]
    );
    assert!(md.contains("… and 37 more"), "long indicator lists are cut");
    // Every opened <details> is closed.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

// ---- changelog ----

#[test]
fn changelog_lists_bundle_changes() {
    let (repo, base, head) = all_kinds_repo();
    let out = repo
        .ruleforge()
        .args(["changelog", &base, &head, "--title", "Rules 2024.01.02"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    insta::assert_snapshot!("changelog_all_kinds", md);
    // Written atomically to a file on request.
    let file = repo.path().join("notes.md");
    repo.ruleforge()
        .args(["changelog", &base, &head, "-o", file.to_str().unwrap()])
        .assert()
        .success()
        .stdout("");
    assert!(std::fs::read_to_string(file)
        .unwrap()
        .starts_with("## Rule changes `"));
}

#[test]
fn whole_repository_root_skips_hidden_folders() {
    let mut repo = GitRepo::new();
    repo.write("ruleforge.toml", "[lint]\nroots = [\".\"]\n");
    repo.write("detections/one.yml", &rule(1, "test"));
    let base = repo.commit("base");
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    repo.write("detections/two.yaml", &rule(2, "test"));
    let head = repo.commit("head");
    let v = diff_json(&repo, &[&base, &head]);
    assert_eq!(kinds(&v), vec![(id(2), "added".to_string())]);
    assert_eq!(v["unreadable"], serde_json::json!([]));
}

/// The fixture repositories of every test (`tests/common/git.rs`) must not depend on the
/// machine's git configuration: here a user configuration signs commits with a program that
/// fails, names the default branch `master`, sets another identity and ignores rule files.
#[test]
fn fixture_repositories_ignore_the_machines_git_configuration() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("ignore"), "*.yml\n").unwrap();
    let hostile = format!(
        "[user]\n\tname = Someone Else\n\temail = else@example.org\n\
         [commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n\
         [init]\n\tdefaultBranch = master\n[core]\n\texcludesFile = {}\n",
        home.path().join("ignore").display()
    );
    std::fs::write(home.path().join(".gitconfig"), &hostile).unwrap();
    std::fs::create_dir_all(home.path().join(".config/git")).unwrap();
    std::fs::write(home.path().join(".config/git/config"), hostile).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let in_home = |mut cmd: std::process::Command| {
        cmd.current_dir(dir.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"));
        cmd
    };
    // Plain git reads that configuration: a commit would fail to sign. (A calling
    // environment may point git at another global file, as `.ci/run` does: not here.)
    let mut plain = std::process::Command::new("git");
    for var in [
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
    ] {
        plain.env_remove(var);
    }
    let out = in_home(plain)
        .args(["config", "--get", "init.defaultBranch"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "master");
    let isolated = |args: &[&str]| {
        let mut cmd = in_home(common::git::command(dir.path()));
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    isolated(&["init", "-q"]);
    std::fs::write(dir.path().join("a.yml"), rule(1, "test")).unwrap();
    isolated(&["add", "-A"]);
    isolated(&["commit", "-q", "-m", "one"]);
    assert_eq!(isolated(&["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(isolated(&["ls-files"]), "a.yml");
    assert_eq!(
        isolated(&["log", "-1", "--format=%an <%ae> %G?"]),
        "Rule Author <author@example.com> N"
    );
}
