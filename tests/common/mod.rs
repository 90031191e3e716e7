//! Helpers shared by the integration tests: temporary repositories and the real binary.
#![allow(dead_code)]

pub mod diff;
pub mod engines;
pub mod export;
pub mod file_samples;
pub mod git;

use assert_cmd::Command;
pub use git::GitRepo;
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

/// A fresh git repository with `ruleforge.toml` and the given files (not committed).
pub fn repo(files: &[(&str, &str)]) -> GitRepo {
    let repo = GitRepo::new();
    repo.write("ruleforge.toml", "");
    for (path, text) in files {
        repo.write(path, text);
    }
    repo
}

pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The `ruleforge` binary, run in `dir`, without colours and isolated from the machine's git
/// configuration like the test repositories are.
pub fn ruleforge(dir: &Path) -> Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ruleforge"));
    git::isolate(&mut c)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    Command::from_std(c)
}

impl GitRepo {
    /// The `ruleforge` binary, run at the repository root.
    pub fn ruleforge(&self) -> Command {
        ruleforge(self.path())
    }
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
