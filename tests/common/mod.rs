//! Helpers shared by the integration tests: temporary repositories and the real binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::Path;

pub const RULE_ID: &str = "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c";

/// A valid Sigma detection rule (two selections, ATT&CK tags), shared by the Sigma tests.
pub const SIGMA_WHOAMI: &str = "title: Whoami Execution From a Web Server Process
id: 1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01
status: test
description: Detects whoami.exe started by a web server worker, a first step after a web shell.
references:
    - https://example.org/research/webshell-discovery
author: ruleforge tests
date: 2024-03-01
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection_parent:
        ParentImage|endswith: '\\w3wp.exe'
    selection_child:
        Image|endswith: '\\whoami.exe'
    condition: all of selection_*
falsepositives:
    - Administrators debugging application pools
level: high
";

/// A valid rule with the given id, title and sha256 value.
pub fn rule(id: &str, title: &str, sha256: &str) -> String {
    format!(
        "# yaml-language-server: $schema=../schemas/rule.schema.json
id: {id}
title: {title}
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: 2021-03-10
description: |
  Fixture rule used by the tests; it detects a made-up web shell by its hash.
references:
  - https://example.org/report
tags:
  - attack.t1505.003
indicators:
  webshell:
    sha256:
      - {sha256}
"
    )
}

pub fn hash(n: u8) -> String {
    format!("{:064x}", 0xabcdef00_u64 + n as u64)
}

/// Runs `git` in `dir` with a fixed identity and dates.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "ruleforge tests")
        .env("GIT_AUTHOR_EMAIL", "tests@ruleforge.invalid")
        .env("GIT_COMMITTER_NAME", "ruleforge tests")
        .env("GIT_COMMITTER_EMAIL", "tests@ruleforge.invalid")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh git repository with `ruleforge.toml` and the given files.
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("ruleforge.toml"), "").unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// The `ruleforge` binary, run in `dir`, without colours.
pub fn ruleforge(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("ruleforge").unwrap();
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    c
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ruleforge(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
