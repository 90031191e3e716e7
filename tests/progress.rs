//! Progress bars: drawn on standard error when it is a terminal (a real pseudo-terminal made
//! by Python's `pty` module), never in captured output, in CI, with `--quiet` or with a
//! machine output format.

mod common;

use std::path::Path;
use std::process::Command;

/// A repository of `n` valid rules.
fn corpus(n: usize) -> common::GitRepo {
    let files: Vec<(String, String)> = (0..n)
        .map(|i| {
            let id = format!("0b9e6c5e-3a5f-4f0a-9d57-{i:012x}");
            let title = format!("Fixture web shell number {i} by hash");
            (
                format!("rules/r{i:05}.yml"),
                common::rule(&id, &title, &format!("{:064x}", 0xfeed_0000_u64 + i as u64))
                    .replace("../schemas", "../../schemas"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    common::repo(&refs)
}

/// Runs ruleforge in `dir` on a pseudo-terminal (stdin, stdout and stderr); returns the exit
/// code and everything the terminal received. `None` when Python's pty module is missing.
fn on_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<(i32, String)> {
    let python = std::env::var("RULEFORGE_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_pty = Command::new(&python)
        .args(["-c", "import pty"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pty {
        if std::env::var_os("RULEFORGE_REQUIRE_ENGINES").is_some_and(|v| v == "1") {
            panic!("Python's pty module is required (RULEFORGE_REQUIRE_ENGINES=1)");
        }
        eprintln!("note: {python} with the pty module not found; the terminal checks need it");
        return None;
    }
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut cmd = Command::new(python);
    cmd.current_dir(dir)
        .args(["-c", script, env!("CARGO_BIN_EXE_ruleforge")])
        .args(args)
        .env_remove("CI")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    Some((
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    ))
}

const NOW: (&str, &str) = ("RULEFORGE_PROGRESS_DELAY_MS", "0");

#[test]
fn a_terminal_gets_a_progress_bar_that_is_cleared_before_the_result() {
    let dir = corpus(300);
    let Some((code, screen)) = on_terminal(dir.path(), &["lint"], &[NOW]) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("linting"), "no bar: {screen}");
    assert!(screen.contains("/300 files"), "no count: {screen}");
    // The bar line is erased (ESC [2K) and the result printed after it.
    let erased = screen.rfind("\x1b[2K").expect("the bar is cleared");
    let result = screen
        .find("All checks passed: 300 files linted")
        .unwrap_or_else(|| panic!("no result: {screen:?}"));
    assert!(result > erased, "{screen:?}");
    let Some((code, screen)) = on_terminal(dir.path(), &["fmt", "--check"], &[NOW]) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("checking") && screen.contains("/300 files"),
        "{screen}"
    );
}

#[test]
fn no_bar_in_ci_with_quiet_or_a_machine_format() {
    let dir = corpus(200);
    for (args, env) in [
        (&["lint"][..], &[NOW, ("CI", "true")][..]),
        (&["lint", "--quiet"], &[NOW]),
        (&["lint", "--output-format", "json"], &[NOW]),
        (&["lint", "--output-format", "sarif"], &[NOW]),
        (&["lint"], &[("TERM", "dumb"), NOW]),
    ] {
        let Some((code, screen)) = on_terminal(dir.path(), args, env) else {
            return;
        };
        assert_eq!(code, 0, "{args:?}: {screen}");
        assert!(!screen.contains("/200 files"), "{args:?} {env:?}: {screen}");
    }
    // Work that ends before the delay draws nothing, even on a terminal.
    let small = corpus(3);
    let Some((_, screen)) = on_terminal(small.path(), &["lint"], &[]) else {
        return;
    };
    assert!(!screen.contains("/3 files"), "{screen}");
}

#[test]
fn captured_output_never_has_a_bar() {
    let mut dir = corpus(200);
    for args in [&["lint"][..], &["fmt", "--check"], &["test"]] {
        let out = common::ruleforge(dir.path())
            .args(args)
            .env(NOW.0, NOW.1)
            .env_remove("CI")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        for text in [&stderr, &stdout] {
            assert!(
                !text.contains("linting") && !text.contains("checking") && !text.contains('\x1b'),
                "{args:?}: {text:?}"
            );
        }
    }
    // The bundle of a revision, captured: its report and nothing else.
    dir.commit("rules");
    let out_dir = dir.path().join("out");
    let out = common::ruleforge(dir.path())
        .args(["bundle", "--out", out_dir.to_str().unwrap()])
        .env(NOW.0, NOW.1)
        .env_remove("CI")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("linting and compiling"), "{stderr}");
}
