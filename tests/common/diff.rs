//! Fixture rules for the diff and policy tests, and the diff output checked against its
//! schema. The repositories are [`GitRepo`]s: fixed identity and dates, so commit ids are the
//! same on every run.

#![allow(dead_code)]

use super::git::GitRepo;
use serde_json::Value;

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
pub fn diff_json(repo: &GitRepo, args: &[&str]) -> Value {
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
