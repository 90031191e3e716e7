//! The real engines the interop tests run (yara, clamscan, suricata, Python packages).
//!
//! `.ci/run` installs them and sets `RULEFORGE_REQUIRE_ENGINES=1`, so there a missing engine
//! fails the test. A developer's plain `cargo test` without them prints `skipped: …` and the
//! test returns early; the engine checks of CI are the ones that count.

#![allow(dead_code)]

use std::process::Command;

fn missing(what: &str, hint: &str) {
    if std::env::var("RULEFORGE_REQUIRE_ENGINES").as_deref() == Ok("1") {
        panic!("{what} is not available: {hint}");
    }
    eprintln!("skipped: {what} is not available ({hint})");
}

/// The Python that has the engines (`RULEFORGE_PYTHON`, else `python3`), if it can import
/// `module`.
pub fn python(module: &str) -> Option<String> {
    let python = std::env::var("RULEFORGE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    missing(
        &format!("the Python module `{module}` ({python})"),
        "RULEFORGE_PYTHON names a Python that has it; .ci/run installs it",
    );
    None
}

/// A program on `PATH` (or named by the environment variable `env`), if it runs with
/// `version_arg`.
pub fn tool(program: &str, env: &str, version_arg: &str) -> Option<String> {
    let exe = std::env::var(env).unwrap_or_else(|_| program.to_string());
    let ok = Command::new(&exe)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(exe);
    }
    missing(
        &format!("`{exe}`"),
        &format!("install it or set {env}; .ci/run installs it"),
    );
    None
}
