//! What the export tests share: running `ruleforge export` and reading its report.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs `ruleforge export TARGET -q --out OUT ARGS [-- PATHS]` in `cwd` (isolated like every
/// test run), asserts it succeeded and returns `OUT/export-report.json`.
pub fn run(cwd: &Path, target: &str, out: &Path, args: &[&str], paths: &[&str]) -> Value {
    let mut cmd = super::ruleforge(cwd);
    cmd.args(["export", target, "-q", "--out"])
        .arg(out)
        .args(args);
    if !paths.is_empty() {
        cmd.arg("--").args(paths);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    report(&cwd.join(out))
}

/// `DIR/export-report.json`.
pub fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("export-report.json")).unwrap())
        .expect("the report is JSON")
}

/// The outcome of rule `id` for `target`.
pub fn outcome<'a>(report: &'a Value, target: &str, id: &str) -> &'a Value {
    report["targets"][target]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the {target} report"))
}

/// Every outcome for `target`, by rule id.
pub fn outcomes(report: &Value, target: &str) -> BTreeMap<String, Value> {
    report["targets"][target]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}
