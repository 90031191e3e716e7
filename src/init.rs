//! `ruleforge init`: the files of a new rules repository.
//!
//! Everything a team needs on day one, each file written only where none exists yet: running
//! it again, or in a repository that already has some of the files, changes nothing that is
//! there and says what it left alone. The workflows, the Action and the CI scripts are the
//! ones this project ships (embedded at build time), so a new repository runs the same
//! checks. The rule modeline points at a copy of the rule schema inside the repository
//! (`.ruleforge/rule.schema.json`), so editors resolve it without this project's sources.

use crate::bundle::sign;
use crate::fsutil::write_atomic_mode;
use std::path::{Path, PathBuf};

/// Where the rule schema is written, relative to the repository root.
pub const SCHEMA_PATH: &str = ".ruleforge/rule.schema.json";
/// Where `--keygen` writes the secret key (git-ignored by `.ruleforge/.gitignore`).
pub const SECRET_KEY_PATH: &str = ".ruleforge/ruleforge.key";
/// Where `--keygen` writes the public key (the path the publish workflow verifies with).
pub const PUBLIC_KEY_PATH: &str = "keys/ruleforge.pub";
/// The example rule.
pub const EXAMPLE_RULE_PATH: &str = "rules/examples/eicar-test-file.yml";

/// What to set up besides the files every repository gets.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also write an unprotected signing key pair: the public key to commit, the secret key
    /// git-ignored (to be stored as the CI secret).
    pub keygen: bool,
    /// The example rule's author (default: `ruleforge init`).
    pub author: Option<String>,
    /// The example rule's id (default: a fresh UUID).
    pub rule_id: Option<String>,
    /// The example rule's dates (`YYYY-MM-DD`).
    pub today: String,
}

/// What `init` did.
#[derive(Debug, Default)]
pub struct Report {
    /// The folder was not in a git repository and one was created there.
    pub git_initialized: bool,
    /// Files written, repository-relative.
    pub created: Vec<String>,
    /// Files left alone because they exist, repository-relative.
    pub skipped: Vec<String>,
    /// The signing key's id, when `--keygen` wrote a pair.
    pub key_id: Option<String>,
}

/// Why `init` stopped. Files written before the failure stay (each was written whole).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The target exists and is not a folder.
    #[error("{0}: not a folder")]
    NotAFolder(String),
    /// A file or folder could not be created or read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The git repository could not be opened or created.
    #[error("{path}: git: {message}")]
    Git { path: String, message: String },
    /// `--keygen` would leave the secret key where git does not ignore it.
    #[error("{0}: git would not ignore the secret key here (an existing .gitignore un-ignores it?): no key written")]
    KeyNotIgnored(String),
    /// The key pair could not be generated.
    #[error("key generation failed: {0}")]
    Key(#[from] sign::KeyError),
}

impl InitError {
    /// A stable identifier of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            InitError::NotAFolder(_) => "not-a-folder",
            InitError::Io { .. } => "io",
            InitError::Git { .. } => "git",
            InitError::KeyNotIgnored(_) => "key-not-ignored",
            InitError::Key(_) => "key",
        }
    }

    /// The process exit code: 2, as for every usage, configuration or I/O error.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// One file `init` writes.
struct Planned {
    path: &'static str,
    text: String,
    mode: u32,
}

const CONFIG: &str = r#"# ruleforge configuration. Every key is optional: the values below are the defaults.
# Reference: `ruleforge schema config`; codes: `ruleforge rule --all`.

[lint]
# Folders that hold rules, relative to this file.
roots = ["rules"]
# Codes or prefixes to enable (empty: the default set; "ALL": every rule).
select = []
# Codes or prefixes to disable.
ignore = []
# Exit 1 on warnings too.
deny-warnings = false
# Larger rule files (bytes) are rejected unread.
max-file-size = 1048576

# Codes ignored under a path glob:
# [lint.per-path-ignores]
# "rules/drafts/**" = ["RF114"]

[bundle]
# Name in file names, the manifest and the signature comment.
name = "ruleforge-rules"
# Statuses whose rules are shipped.
statuses = ["experimental", "test", "stable"]
# Ship rules whose `expires` date has passed.
include-expired = false
# Days from the commit time until a bundle expires.
validity-days = 90

[policy]
# A rule must be deprecated in an earlier revision before it is deleted.
require-deprecation-before-delete = true

# Which files are Sigma rules, when their shape does not say (globs over paths):
# [kinds]
# sigma = ["sigma/**"]
"#;

const PRE_COMMIT: &str = r#"# pre-commit hooks (https://pre-commit.com): `pre-commit install` once, then every commit is
# linted, format-checked and tested. They run the ruleforge on your PATH (`language: system`),
# as the hooks of ruleforge's .pre-commit-hooks.yaml do; change `files:` with the rule roots.
repos:
  - repo: local
    hooks:
      - id: ruleforge-lint
        name: ruleforge lint
        entry: ruleforge lint
        language: system
        files: ^rules/.*\.ya?ml$
      - id: ruleforge-fmt
        name: ruleforge fmt --check
        entry: ruleforge fmt --check
        language: system
        files: ^rules/.*\.ya?ml$
      - id: ruleforge-test
        name: ruleforge test
        entry: ruleforge test
        language: system
        files: ^rules/.*\.ya?ml$
        pass_filenames: false
"#;

const GITIGNORE: &str = "# Bundles built locally\n/dist/\n# Signing keys never enter the repository (the public key lives in keys/)\n*.key\n# The lint cache (`ruleforge clean` removes it)\n/.ruleforge_cache/\n";

const RULEFORGE_GITIGNORE: &str =
    "# The secret signing key written by `ruleforge init --keygen`: never committed\n*.key\n";

const README: &str = r#"# Indicator rules

Detection rules kept with ruleforge: one YAML file per rule under `rules/`, checked on every
pull request and published as a signed bundle on every merge to `main`.

## Daily commands

```sh
ruleforge new --title "What the rule detects"   # a new rule with a fresh id and today's dates
ruleforge lint                                   # schema and lint checks, with the exact place
ruleforge lint --fix                             # apply the safe fixes
ruleforge fmt                                    # canonical layout (comments kept)
ruleforge test                                   # run every rule's tests
ruleforge coverage --format markdown             # which ATT&CK techniques the rules cover
ruleforge diff origin/main                       # what this branch changes, rule by rule
ruleforge bundle --out dist                      # the bundle of HEAD (signed with --secret-key)
```

`pre-commit install` runs lint, fmt and test before each commit (`.pre-commit-config.yaml`).
Pull requests run `.github/workflows/rules-pr.yml`; merges to `main` publish a signed bundle
with `.github/workflows/rules-publish.yml` (the secret key is the `RULEFORGE_SECRET_KEY`
secret; the public key is `keys/ruleforge.pub`).
"#;

/// The example rule: the EICAR anti-malware test file, harmless and recognised by every
/// scanner, so the first bundle can be tried end to end.
fn example_rule(id: &str, author: &str, today: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema=../../{SCHEMA_PATH}
id: {id}
title: EICAR anti-malware test file
status: test
severity: low
confidence: high
tlp: clear
author: {author}
created: {today}
modified: {today}
description: |
  The EICAR test file, a harmless 68-byte file that anti-malware products detect as if it
  were malware. It stands in for a malicious file a user opens, so that the path from a rule
  to a scanner can be tried without real malware. Replace it with your own rules.
references:
  - https://www.eicar.org/download-anti-malware-testfile/
tags:
  - attack.t1204.002
  - attack.execution
falsepositives:
  - Anti-malware tests that use the EICAR file on purpose
indicators:
  eicar:
    sha256:
      - 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
    md5:
      - 44d88612fea8a8f36de82e1278abb02f
condition: eicar
tests:
  - name: EICAR file written
    expect: match
    event:
      file.hash.sha256: 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
      file.hash.md5: 44d88612fea8a8f36de82e1278abb02f
  - name: another file
    expect: no_match
    event:
      file.hash.sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
"#,
        author = crate::yaml::emit::quote(author),
    )
}

/// The files every new repository gets, in the order they are written.
fn plan(opts: &Options) -> Vec<Planned> {
    let id = opts
        .rule_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let author = opts.author.as_deref().unwrap_or("ruleforge init");
    let file = |path, text: &str| Planned {
        path,
        text: text.to_string(),
        mode: 0o644,
    };
    let script = |path, text: &str| Planned {
        path,
        text: text.to_string(),
        mode: 0o755,
    };
    vec![
        file("ruleforge.toml", CONFIG),
        file(SCHEMA_PATH, crate::schema::RULE_SCHEMA),
        Planned {
            path: EXAMPLE_RULE_PATH,
            text: example_rule(&id, author, &opts.today),
            mode: 0o644,
        },
        file(".gitignore", GITIGNORE),
        file(".ruleforge/.gitignore", RULEFORGE_GITIGNORE),
        file(".pre-commit-config.yaml", PRE_COMMIT),
        file("README.md", README),
        file("action.yml", include_str!("../action.yml")),
        file(
            ".github/workflows/rules-pr.yml",
            include_str!("../.github/workflows/rules-pr.yml"),
        ),
        file(
            ".github/workflows/rules-publish.yml",
            include_str!("../.github/workflows/rules-publish.yml"),
        ),
        script(
            "scripts/install-ruleforge.sh",
            include_str!("../scripts/install-ruleforge.sh"),
        ),
        script(
            "scripts/rules-check.sh",
            include_str!("../scripts/rules-check.sh"),
        ),
        script(
            "scripts/pr-comment.sh",
            include_str!("../scripts/pr-comment.sh"),
        ),
        script("scripts/publish.sh", include_str!("../scripts/publish.sh")),
        script("scripts/release.sh", include_str!("../scripts/release.sh")),
    ]
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `text` to `dir/rel` unless something is there; `Ok(false)` when it was.
fn write_new(dir: &Path, rel: &str, text: &[u8], mode: u32) -> Result<bool, InitError> {
    let path = dir.join(rel);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    match write_atomic_mode(&path, text, mode, false) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(&path)(e)),
    }
}

/// Turns `dir` (created if missing) into a rules repository. Never overwrites a file.
pub fn init(dir: &Path, opts: &Options) -> Result<Report, InitError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => return Err(InitError::NotAFolder(dir.display().to_string())),
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(dir).map_err(io(dir))?,
    }
    let dir: PathBuf = dir.canonicalize().map_err(io(dir))?;
    let mut report = Report::default();
    let git = |e: git2::Error| InitError::Git {
        path: dir.display().to_string(),
        message: e.message().to_string(),
    };
    let repo = match git2::Repository::discover(&dir) {
        Ok(r) if r.workdir().is_some() => r,
        _ => {
            report.git_initialized = true;
            git2::Repository::init(&dir).map_err(git)?
        }
    };
    for file in plan(opts) {
        if write_new(&dir, file.path, file.text.as_bytes(), file.mode)? {
            report.created.push(file.path.to_string());
        } else {
            report.skipped.push(file.path.to_string());
        }
    }
    if opts.keygen {
        keygen(&dir, &repo, &mut report)?;
    }
    Ok(report)
}

/// Writes the key pair, unless either file exists; refuses when git would not ignore the
/// secret key.
fn keygen(dir: &Path, repo: &git2::Repository, report: &mut Report) -> Result<(), InitError> {
    let secret = dir.join(SECRET_KEY_PATH);
    let public = dir.join(PUBLIC_KEY_PATH);
    let mut present = false;
    for (rel, path) in [(SECRET_KEY_PATH, &secret), (PUBLIC_KEY_PATH, &public)] {
        if std::fs::symlink_metadata(path).is_ok() {
            report.skipped.push(rel.to_string());
            present = true;
        }
    }
    if present {
        return Ok(());
    }
    let workdir = repo.workdir().unwrap_or(dir);
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let in_repo = secret.strip_prefix(&workdir).unwrap_or(&secret);
    let ignored = repo.is_path_ignored(in_repo).map_err(|e| InitError::Git {
        path: dir.display().to_string(),
        message: e.message().to_string(),
    })?;
    if !ignored {
        return Err(InitError::KeyNotIgnored(SECRET_KEY_PATH.to_string()));
    }
    let key = sign::generate(None)?;
    if !write_new(dir, SECRET_KEY_PATH, key.secret_key_text.as_bytes(), 0o600)? {
        report.skipped.push(SECRET_KEY_PATH.to_string());
        return Ok(());
    }
    report.created.push(SECRET_KEY_PATH.to_string());
    if write_new(dir, PUBLIC_KEY_PATH, key.public_key_text.as_bytes(), 0o644)? {
        report.created.push(PUBLIC_KEY_PATH.to_string());
    } else {
        report.skipped.push(PUBLIC_KEY_PATH.to_string());
    }
    report.key_id = Some(key.id.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_workflows_pin_this_version() {
        let want = format!("RULEFORGE_VERSION: \"{}\"", env!("CARGO_PKG_VERSION"));
        for f in plan(&Options::default()) {
            if f.path.starts_with(".github/workflows/") {
                assert!(f.text.contains(&want), "{} lacks {want}", f.path);
            }
        }
    }

    #[test]
    fn example_rule_is_canonical() {
        let text = example_rule("0b8d7cf2-5d8a-4b4e-9c59-1f2b1ef0d6a1", "a b", "2026-01-02");
        let src = crate::source::SourceFile::new(EXAMPLE_RULE_PATH, text.clone());
        assert_eq!(crate::format::format_source(&src).unwrap(), text);
    }
}
