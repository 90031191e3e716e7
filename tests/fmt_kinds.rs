//! `ruleforge fmt` formats native rules only: Sigma files (by shape or by `[kinds]`) are left
//! byte for byte, and said so.

mod common;

use common::*;

const SIGMA: &str = "title: Whoami run by a web server
id: 7b3c1c4e-5f2a-4c3b-9d1e-2a3b4c5d6e7f
status: test
description: Detects whoami executed by an IIS worker process
author: ruleforge tests
date: 2024-01-01
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        ParentImage|endswith: '\\w3wp.exe'
    condition: selection
level: high
";

#[test]
fn fmt_leaves_sigma_files_alone() {
    let native = rule(RULE_ID, "Example web shell by hash", &hash(1))
        .replace("  - https://", "  -   https://");
    let r = repo(&[
        ("rules/sigma_whoami.yml", SIGMA),
        ("rules/native.yml", &native),
    ]);
    let (code, out, err) = run(r.path(), &["fmt", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out, "would reformat rules/native.yml\n");
    assert!(err.contains("1 Sigma file left as is"), "{err}");
    let (code, _, err) = run(r.path(), &["fmt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(r.path().join("rules/sigma_whoami.yml")).unwrap(),
        SIGMA
    );
    assert_ne!(
        std::fs::read_to_string(r.path().join("rules/native.yml")).unwrap(),
        native
    );
    // A Sigma file named by [kinds] is left alone even when it is half written.
    std::fs::write(
        r.path().join("ruleforge.toml"),
        "[kinds]\nsigma = [\"rules/draft*.yml\"]\n",
    )
    .unwrap();
    write(r.path(), "rules/draft.yml", "title: not finished\n");
    let (code, out, err) = run(r.path(), &["fmt", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("2 Sigma files left as is"), "{err}");
}
