//! Command-line interface. Each command is one file with its arguments and an `exec`
//! function; `main` maps results to exit codes: 0 clean, 1 findings, 2 usage or I/O error.

mod apply_delta;
mod authoring;
mod bundle;
mod changelog;
mod clean;
mod completions;
mod coverage;
mod diff;
mod export;
mod fmt;
mod import;
mod init;
mod keygen;
mod lint;
mod lsp;
mod man;
mod match_cmd;
mod new;
mod policy;
mod progress;
mod pull;
mod push;
mod rule;
mod schema;
mod test;
mod timestamp;
mod verify;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "ruleforge",
    version,
    about = "Validate, lint, format, test, diff and package YAML indicator rules",
    propagate_version = true
)]
pub struct Cli {
    /// When to use colours: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate and lint rule files (schema + lint rules, one pass).
    Lint(lint::Args),
    /// Remove the lint cache (`.ruleforge_cache` at the repository root, or `--cache-dir`).
    Clean(clean::Args),
    /// Explain a lint rule (`ruleforge rule RF201`) or list them all (`--all`).
    Rule(rule::Args),
    /// Semantic diff of the rules between two revisions (HEAD defaults to the working tree).
    Diff(diff::Args),
    /// Release notes (Markdown) for the rules shipped between two revisions.
    Changelog(changelog::Args),
    /// Build the bundle of a git revision: compiled rules, manifest, optional signature.
    Bundle(bundle::Args),
    /// Verify a bundle: signature, manifest, members, expiry, rollback.
    Verify(verify::Args),
    /// Rebuild a new bundle from the bundle held now and a signed delta, verified first.
    ApplyDelta(apply_delta::Args),
    /// Sign a freshness document for a bundle (re-run on a schedule; hours or days ahead).
    Timestamp(timestamp::Args),
    /// Upload a bundle, its signatures and freshness document to an OCI registry.
    Push(push::Args),
    /// Download a bundle from an OCI registry, verify everything, then write it.
    Pull(pull::Args),
    /// Generate an Ed25519 key pair in the minisign formats for signing bundles.
    Keygen(keygen::Args),
    /// Rewrite rule files into the canonical layout (comments kept).
    Fmt(fmt::Args),
    /// Scaffold a new rule (fresh id, today's dates, placeholders to fill in).
    New(new::Args),
    /// Run the rules' `tests` through the reference matcher.
    Test(test::Args),
    /// Evaluate events (JSON or NDJSON) against a rule set; one NDJSON line per match.
    Match(match_cmd::Args),
    /// Set up a rules repository: configuration, an example rule, workflows, hooks.
    Init(init::Args),
    /// ATT&CK coverage of the rules: text, JSON, Markdown, Navigator layer, SVG or HTML.
    Coverage(coverage::Args),
    /// Print a JSON Schema built into ruleforge (rule, config, Sigma, bundle).
    Schema(schema::Args),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish.
    Completions(completions::Args),
    /// Print the manual page of ruleforge or of one command (roff; `man -l` shows it).
    Man(man::Args),
    /// Write rules from STIX 2.1 bundles, MISP events or plain indicator lists.
    Import(import::Args),
    /// Export the rules for YARA, ClamAV, Suricata, Zeek, STIX 2.1, Sigma and MISP.
    Export(export::Args),
    /// Run the language server (LSP over stdio): diagnostics, fixes, formatting, hover.
    Lsp(lsp::Args),
}

/// What a command returns: its exit code, or the error that stopped it, with the library's
/// typed error inside and the context the command added (`path: cannot write: <cause>`).
pub type CmdResult = anyhow::Result<ExitCode>;

/// The exit code of an error that stopped a command: the one its library error type states
/// (the first in the chain that states one), else 2 (usage, configuration or I/O error).
pub fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|cause| {
            let stated = [
                cause
                    .downcast_ref::<crate::config::ConfigError>()
                    .map(|e| e.exit_code()),
                cause
                    .downcast_ref::<crate::lint::OptionsError>()
                    .map(|e| e.exit_code()),
                cause
                    .downcast_ref::<crate::load::IoError>()
                    .map(|e| e.exit_code()),
                cause
                    .downcast_ref::<crate::bundle::BuildError>()
                    .map(|e| e.exit_code()),
                cause
                    .downcast_ref::<crate::bundle::VerifyError>()
                    .map(|e| e.exit_code()),
                cause
                    .downcast_ref::<crate::dist::DistError>()
                    .map(|e| e.exit_code()),
            ];
            stated.into_iter().flatten().next()
        })
        .unwrap_or(2)
}

pub fn main() -> ExitCode {
    crate::timings::init();
    // A write past the file size limit (`ulimit -f`) fails with EFBIG and is reported like
    // any write error, instead of the signal ending the process (docs/reliability.md).
    #[cfg(unix)]
    // SAFETY: ignoring a signal at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.color {
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
        ColorWhen::Auto => {}
    }
    let result = match cli.command {
        Command::Lint(a) => lint::exec(a),
        Command::Clean(a) => clean::exec(a),
        Command::Rule(a) => rule::exec(a),
        Command::Diff(a) => diff::exec(a),
        Command::Changelog(a) => changelog::exec(a),
        Command::Bundle(a) => bundle::exec(a),
        Command::Verify(a) => verify::exec(a),
        Command::ApplyDelta(a) => apply_delta::exec(a),
        Command::Timestamp(a) => timestamp::exec(a),
        Command::Push(a) => push::exec(a),
        Command::Pull(a) => pull::exec(a),
        Command::Keygen(a) => keygen::exec(a),
        Command::Fmt(a) => fmt::exec(a),
        Command::New(a) => new::exec(a),
        Command::Test(a) => test::exec(a),
        Command::Match(a) => match_cmd::exec(a),
        Command::Init(a) => init::exec(a),
        Command::Coverage(a) => coverage::exec(a),
        Command::Schema(a) => schema::exec(a),
        Command::Completions(a) => completions::exec(a),
        Command::Man(a) => man::exec(a),
        Command::Import(a) => import::exec(a),
        Command::Export(a) => export::exec(a),
        Command::Lsp(a) => lsp::exec(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // `{:#}`: the message with its causes, `context: cause: cause`.
            let _ = writeln!(anstream::stderr(), "ruleforge: error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Whether stdout gets colours.
pub fn stdout_styled() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Writes to stdout; a closed pipe (`ruleforge lint | head`) ends output quietly.
pub fn print(text: &str) {
    let mut out = anstream::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(anstream::stderr(), "ruleforge: error: writing output: {e}");
        }
    }
}

/// Where a command runs: the current folder, the repository root for it, the configuration
/// (`explicit`, else `ruleforge.toml` at the root, else the defaults) and the lint options it
/// gives, with command-line selectors over the configuration's. Every command reads its
/// configuration here, so one that `lint` would reject is rejected by every command.
pub struct Workspace {
    pub cwd: std::path::PathBuf,
    pub root: std::path::PathBuf,
    pub config: crate::config::Config,
    pub lint: crate::lint::Options,
}

impl Workspace {
    pub fn open(
        explicit: Option<&std::path::Path>,
        selectors: &crate::lint::SelectorArgs,
    ) -> anyhow::Result<Workspace> {
        use crate::config::{self, Config};
        let cwd = std::env::current_dir()?;
        let root = config::find_root(&cwd);
        let config = match explicit {
            Some(p) => Config::load_file(p, true)?,
            None => Config::load(&root)?,
        };
        let lint = crate::lint::Options::from_config_with(&config, selectors, today())?;
        Ok(Workspace {
            cwd,
            root,
            config,
            lint,
        })
    }
}

/// The ruleforge root relative to the top folder of `repo`'s work tree (`""` when they are
/// the same), as [`crate::bundle::read_revision`] takes it.
pub fn repo_prefix(repo: &git2::Repository, root: &std::path::Path) -> anyhow::Result<String> {
    let workdir = repo
        .workdir()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
        .ok_or_else(|| anyhow::anyhow!("{}: a bare repository has no rule root", root.display()))?;
    Ok(if root.starts_with(&workdir) {
        crate::load::relative(&workdir, root)
    } else {
        String::new()
    })
}

/// The lint gate of `bundle` and `export`: when the outcome has errors, prints them (with
/// code frames) and `ruleforge: error: lint found N errors <what>` on stderr, and returns
/// true.
pub fn lint_gate(outcome: &crate::lint::Outcome, what: &str) -> bool {
    use crate::diagnostic::Severity;
    let errors: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    if errors.is_empty() {
        return false;
    }
    let counts = crate::report::Counts {
        files: outcome.files_checked,
        errors: errors.len(),
        warnings: 0,
        infos: 0,
        fixed: 0,
        fixable: 0,
    };
    let styled = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    let text = crate::report::text::render(&errors, &outcome.sources, &counts, styled);
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = writeln!(
        err,
        "ruleforge: error: lint found {} error{} {what}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
    );
    true
}

/// The content gate of `bundle` and `export`: prints rule problems that stop the work (one
/// line each) and `ruleforge: error: N rule problems <what>`; returns exit code 1.
pub fn rule_problems(lines: &[String], what: &str) -> ExitCode {
    let mut err = anstream::stderr().lock();
    for l in lines {
        let _ = writeln!(err, "{l}");
    }
    let _ = writeln!(
        err,
        "ruleforge: error: {} rule problem{} {what}",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
    );
    ExitCode::from(1)
}

/// Today's date (UTC).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Reads `path` if it holds at most `limit` bytes (`None` when it holds more), without
/// reading more than one byte past the bound.
pub(crate) fn read_at_most(path: &std::path::Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_codes_come_from_the_error_types() {
        let content = anyhow::Error::new(crate::bundle::BuildError::Content(vec!["x".into()]))
            .context("bundle");
        assert_eq!(exit_code(&content), 1);
        let setup = anyhow::Error::new(crate::bundle::BuildError::Setup("x".into()));
        assert_eq!(exit_code(&setup), 2);
        assert_eq!(exit_code(&anyhow::anyhow!("usage")), 2);
    }

    #[test]
    fn the_message_keeps_the_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = Err::<(), _>(io)
            .context("rules/a.yml: cannot write")
            .unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "rules/a.yml: cannot write: permission denied"
        );
    }
}
