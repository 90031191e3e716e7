//! The one way the tests make git repositories: real repositories built with the `git` CLI in
//! temporary folders, isolated from the configuration of the machine they run on.
//!
//! A developer's `~/.gitconfig` may sign commits (and ask for a passphrase), name the default
//! branch `master`, rewrite line endings or set hooks; a test run inside a git hook inherits
//! `GIT_DIR` and `GIT_INDEX_FILE`. None of that reaches these repositories: the user and
//! system configuration files are not read, the settings the tests rely on are given on the
//! command line, the identity and the dates are fixed, so a commit id is the same on every
//! machine and every run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The author and committer of every test commit.
pub const NAME: &str = "Rule Author";
pub const EMAIL: &str = "author@example.com";

/// Settings given to every `git` run (as `-c` options, which win over any file).
const SETTINGS: &[&str] = &[
    "init.defaultBranch=main",
    "commit.gpgsign=false",
    "tag.gpgsign=false",
    "core.autocrlf=false",
    "core.hooksPath=/dev/null",
    "advice.detachedHead=false",
];

/// Variables a calling environment (a git hook, a CI runner) may set that would point git
/// somewhere else or change what it records.
const INHERITED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_DATE",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
];

/// Applies the isolation to any command that may run git or read a repository's
/// configuration (`git` itself, and the `ruleforge` binary, which reads repositories with
/// libgit2): no user or system configuration, a fixed identity, no prompt.
pub fn isolate(cmd: &mut Command) -> &mut Command {
    for var in INHERITED {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", NAME)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", NAME)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .env("GIT_TERMINAL_PROMPT", "0")
}

/// `git` in `cwd`, isolated; arguments still to be added.
pub fn command(cwd: &Path) -> Command {
    let mut cmd = Command::new("git");
    isolate(&mut cmd).current_dir(cwd);
    for setting in SETTINGS {
        cmd.args(["-c", setting]);
    }
    cmd
}

/// Runs `git ARGS` in `cwd` and returns its standard output, trimmed; panics with git's
/// error output when it fails.
pub fn git(cwd: &Path, args: &[&str]) -> String {
    run(command(cwd).args(args), args)
}

/// Like [`git`], with the author and committer dates set to `date` (ISO 8601).
pub fn git_at(cwd: &Path, args: &[&str], date: &str) -> String {
    run(
        command(cwd)
            .args(args)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date),
        args,
    )
}

fn run(cmd: &mut Command, args: &[&str]) -> String {
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A fresh repository (branch `main`) in a temporary folder, removed when dropped.
pub struct GitRepo {
    dir: TempDir,
    /// Commits made by [`GitRepo::commit`] so far: each gets the next day as its date.
    commits: u32,
}

impl GitRepo {
    pub fn new() -> GitRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        git(dir.path(), &["init", "-q"]);
        GitRepo { dir, commits: 0 }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn root(&self) -> PathBuf {
        self.path().to_path_buf()
    }

    /// `git ARGS` in the repository; its standard output, trimmed.
    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    /// Writes a file (creating its folders); `rel` is relative to the repository root.
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

    /// Stages everything and commits it, dated 2024-01-01 for the first commit, the next day
    /// for each following one; returns the commit id.
    pub fn commit(&mut self, message: &str) -> String {
        self.commits += 1;
        let date = format!("2024-01-{:02}T12:00:00Z", self.commits);
        self.commit_at(message, &date)
    }

    /// Stages everything and commits it with the given date; returns the commit id.
    pub fn commit_at(&self, message: &str, date: &str) -> String {
        git_at(self.path(), &["add", "-A"], date);
        git_at(
            self.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
            date,
        );
        self.git(&["rev-parse", "HEAD"])
    }
}
