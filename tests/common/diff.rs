//! Fixture git repositories for the diff and policy tests: real repositories built with the
//! `git` CLI, with fixed identities and dates so commit ids are the same on every run.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct Repo {
    pub dir: TempDir,
    /// Commits made so far (each gets its own fixed date).
    commits: u32,
}

/// `git` with a clean, fixed environment (no user or system configuration).
pub fn git_cmd(cwd: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(cwd)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Rule Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Rule Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .env("GIT_TERMINAL_PROMPT", "0");
    c
}

pub fn git_in(cwd: &Path, args: &[&str]) -> String {
    let out = git_cmd(cwd).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        git_in(dir.path(), &["init", "-q", "-b", "main"]);
        Repo { dir, commits: 0 }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Rewrites a file with `f`.
    pub fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let text = self.read(rel);
        self.write(rel, &f(text));
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    pub fn mv(&self, from: &str, to: &str) {
        let t = self.path().join(to);
        std::fs::create_dir_all(t.parent().unwrap()).unwrap();
        std::fs::rename(self.path().join(from), t).unwrap();
    }

    /// Stages everything and commits with a fixed date; returns the commit id.
    pub fn commit(&mut self, message: &str) -> String {
        self.commits += 1;
        let date = format!("2024-01-{:02}T12:00:00Z", self.commits);
        self.git(&["add", "-A"]);
        let out = git_cmd(self.path())
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["rev-parse", "HEAD"])
    }

    /// `ruleforge` run in the repository.
    pub fn ruleforge(&self) -> Command {
        self.ruleforge_in(self.path())
    }

    pub fn ruleforge_in(&self, cwd: &Path) -> Command {
        let mut c = Command::cargo_bin("ruleforge").unwrap();
        c.current_dir(cwd)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null");
        c
    }

    pub fn root(&self) -> PathBuf {
        self.path().to_path_buf()
    }
}

/// The id of fixture rule `n`.
pub fn id(n: u32) -> String {
    format!("6f1c2a3b-4d5e-4f60-8a7b-{n:012}")
}

/// A valid rule file for fixture rule `n`.
pub fn rule(n: u32, status: &str) -> String {
    format!(
        "# yaml-language-server: $schema=../schemas/rule.schema.json
id: {id}
title: Fixture rule number {n} for the diff tests
status: {status}
severity: medium
author: ruleforge tests
created: 2024-01-01
modified: 2024-01-02
description: |
  Fixture rule {n} of the diff tests. It matches a made-up domain and a made-up
  file hash so that indicator changes can be observed.
tags:
  - attack.t1505.003
indicators:
  bad_domain:
    domain:
      - evil{n}.example
  bad_hash:
    sha256:
      - {hash}
condition: 1 of them
",
        id = id(n),
        hash = hash(n),
    )
}

/// The sha256 indicator of fixture rule `n`.
pub fn hash(n: u32) -> String {
    format!("{:064x}", 0xabc000 + n as u64)
}

/// The path of fixture rule `n`.
pub fn path(n: u32) -> String {
    format!("rules/rule-{n}.yml")
}

/// The diff output schema (`schemas/diff.schema.json`), compiled.
pub fn diff_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/diff.schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("diff schema compiles")
}

/// Runs `ruleforge diff ARGS --format json`, checks it against the schema, returns it.
pub fn diff_json(repo: &Repo, args: &[&str]) -> Value {
    let out = repo
        .ruleforge()
        .arg("diff")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "diff failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let validator = diff_schema();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}\n{v:#}");
    v
}
