//! `ruleforge diff BASE [HEAD]`: the semantic diff of the rule set between two revisions
//! (HEAD defaults to the working tree), or with `--check` the policy findings between them.

use super::CmdResult;
use crate::diagnostic::Severity;
use crate::diff;
use crate::report::{self, Counts, Format};
use anyhow::{anyhow, Context};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Summary line and changes (coloured on a terminal).
    Text,
    /// For a pull-request comment or a job summary (size-capped, collapsible sections).
    Markdown,
    /// Stable shape described by `schemas/diff.schema.json`.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base revision: a branch, tag or commit, `origin/main`, or `A...B` for the merge base
    /// of A and B.
    pub base: String,
    /// Head revision (default: the working tree, with staged, unstaged and untracked files).
    pub head: Option<String>,
    /// Output format of the diff.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when rules changed, like `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
    /// Instead of the diff, run the policy checks (RF501..RF505) between BASE and HEAD.
    #[arg(long)]
    pub check: bool,
    /// Output format of the `--check` findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output_format: Format,
    /// Markdown: cap on the output size in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = diff::markdown::MAX_BYTES)]
    pub max_size: usize,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: `ruleforge.toml` at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The repository, the workspace (root, configuration, lint options) and the diff options
/// for the current directory.
pub(super) fn setup(
    config_file: Option<&Path>,
) -> anyhow::Result<(git2::Repository, super::Workspace, diff::Options)> {
    let ws = super::Workspace::open(config_file, &Default::default())?;
    let repo = crate::git::open_for_comparison(&ws.root)?;
    let opts = diff::Options::for_lint(
        ws.config.lint.roots.clone(),
        diff::prefix_for(&repo, &ws.root),
        &ws.lint,
    );
    Ok((repo, ws, opts))
}

/// Prints `text`, or writes it atomically to `output`.
pub(super) fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        None => {
            super::print(text);
            Ok(())
        }
        Some(p) => crate::fsutil::write_atomic(p, text.as_bytes())
            .with_context(|| format!("{}: cannot write", p.display())),
    }
}

/// Renders diagnostics in one of the lint output formats.
pub(super) fn render_findings(
    diags: &[crate::Diagnostic],
    sources: &report::Sources,
    format: Format,
    files: usize,
) -> String {
    match format {
        Format::Text => {
            let counts = Counts {
                files,
                errors: diags
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count(),
                warnings: diags
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count(),
                infos: diags
                    .iter()
                    .filter(|d| d.severity == Severity::Info)
                    .count(),
                fixed: 0,
                fixable: 0,
            };
            report::text::render(diags, sources, &counts, super::stdout_styled())
        }
        Format::Json => report::json::render(diags, sources),
        Format::Sarif => report::sarif::render(diags, sources),
        Format::Github => report::github::render(diags, sources),
    }
}

pub fn exec(args: Args) -> CmdResult {
    for rev in std::iter::once(&args.base).chain(&args.head) {
        if rev.contains("..") && !rev.contains("...") {
            return Err(anyhow!(
                "`{rev}` is a range: give two revisions (`ruleforge diff A B`), or `A...B` for the merge base of A and B"
            ));
        }
    }
    let (repo, ws, opts) = setup(args.config.as_deref())?;
    let (cfg, lint_opts) = (ws.config, ws.lint);
    let d = diff::compute(&repo, &args.base, args.head.as_deref(), &opts)?;
    if args.check {
        let popts = crate::policy::Options::from_config(&cfg.policy, super::today());
        let (diags, sources) = crate::policy::run(&d, &popts, &lint_opts);
        let files = d.changes.len();
        let text = render_findings(&diags, &sources, args.output_format, files);
        emit(&text, args.output.as_deref())?;
        let errors = diags.iter().any(|x| x.severity == Severity::Error);
        let warnings = diags.iter().any(|x| x.severity == Severity::Warning);
        let fail =
            errors || (cfg.lint.deny_warnings && warnings) || (args.exit_code && !d.is_empty());
        return Ok(if fail {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let text = match args.format {
        DiffFormat::Text => diff::text::render(&d, args.output.is_none() && super::stdout_styled()),
        DiffFormat::Markdown => diff::markdown::render_capped(&d, args.max_size),
        DiffFormat::Json => diff::json::render(&d),
    };
    emit(&text, args.output.as_deref())?;
    if !d.unreadable.is_empty() && args.format != DiffFormat::Text {
        let mut warn = String::new();
        for u in &d.unreadable {
            warn.push_str(&format!(
                "ruleforge: warning: {} ({}): not compared: {}\n",
                u.path,
                u.side.as_str(),
                u.message
            ));
        }
        eprint!("{warn}");
    }
    Ok(if args.exit_code && !d.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
