//! `ruleforge export`: the rule set in the formats of YARA, ClamAV, Suricata, Zeek, STIX 2.1,
//! Sigma and MISP.

use super::CmdResult;
use crate::export::{self, report::SourceInfo, Target};
use crate::lint::SelectorArgs;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Targets: yara, clamav, suricata, zeek, stix, sigma, misp, or `all`.
    #[arg(required = true, value_name = "TARGET", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// Output folder (created if missing); each target replaces `DIR/<target>/` whole.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Read the rules and configuration of this git revision from the object database (as
    /// `bundle` does) instead of the working tree.
    #[arg(long, value_name = "REV", conflicts_with = "paths")]
    pub rev: Option<String>,
    /// Exit 1 when any rule was skipped or only partly exported.
    #[arg(long)]
    pub strict: bool,
    /// Allow each target's documented approximations (listed in the report when used).
    #[arg(long)]
    pub approximate: bool,
    /// Print no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Configuration file (default: `ruleforge.toml` at the repository root).
    #[arg(long, value_name = "FILE", conflicts_with = "rev")]
    pub config: Option<PathBuf>,
    /// Files or folders to export (default: the rule roots of `ruleforge.toml`).
    #[arg(value_name = "PATH", last = true)]
    pub paths: Vec<PathBuf>,
}

pub fn exec(args: Args) -> CmdResult {
    let targets = Target::parse_list(&args.targets)?;
    let (outcome, files, cfg, source, as_of) = match &args.rev {
        None => {
            let ws = super::Workspace::open(args.config.as_deref(), &SelectorArgs::default())?;
            let paths: Vec<PathBuf> = if args.paths.is_empty() {
                ws.config
                    .lint
                    .roots
                    .iter()
                    .map(|r| ws.root.join(r))
                    .collect()
            } else {
                args.paths.clone()
            };
            let inputs = crate::load::discover(&ws.root, &paths)?;
            let progress = start_progress(&args, inputs.len());
            let (outcome, files) = export::lint_and_collect(&inputs, &ws.lint)?;
            drop(progress);
            let source = SourceInfo {
                rev: "working-tree".into(),
                commit: None,
            };
            (outcome, files, ws.config, source, super::today())
        }
        Some(rev) => {
            let cwd = std::env::current_dir()?;
            let root = crate::config::find_root(&cwd);
            let repo = crate::git::open(&root)?;
            let prefix = super::repo_prefix(&repo, &root)?;
            let revision = crate::bundle::read_revision(&repo, rev, &prefix)?;
            let opts = crate::lint::Options::from_config(&revision.config, super::today())?;
            let progress = start_progress(&args, revision.inputs.len());
            let (outcome, files) = export::lint_and_collect(&revision.inputs, &opts)?;
            drop(progress);
            let source = SourceInfo {
                rev: rev.clone(),
                commit: Some(revision.commit.clone()),
            };
            (
                outcome,
                files,
                revision.config,
                source,
                revision.time.date(),
            )
        }
    };
    crate::timings::mark("export: linted and read");
    let at = match &source.commit {
        Some(c) => format!("`{}` (commit {})", source.rev, &c[..12]),
        None => "the working tree".to_string(),
    };
    if super::lint_gate(&outcome, &format!("at {at}: nothing exported")) {
        return Ok(ExitCode::from(1));
    }
    let set = match export::model::select(files, &export::selection(&cfg, as_of)) {
        Ok(s) => s,
        Err(lines) => {
            return Ok(super::rule_problems(
                &lines,
                &format!("at {at}: nothing exported"),
            ))
        }
    };
    let opts = export::Options {
        approximate: args.approximate,
        producer: cfg.bundle.name.clone(),
    };
    crate::timings::mark("export: rules selected");
    let report = export::export_to(&args.out, &set, &targets, &opts, source)
        .with_context(|| format!("{}: cannot write the export", args.out.display()))?;
    if !args.quiet {
        let mut err = anstream::stderr().lock();
        let _ = write!(err, "{}", report.summary());
        let _ = writeln!(
            err,
            "report: {}",
            args.out.join(export::report::REPORT_NAME).display()
        );
    }
    if args.strict && report.anything_left_out() {
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge: error: --strict: some rules were skipped or only partly exported (see the report)"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn start_progress(args: &Args, files: usize) -> super::progress::Progress {
    super::progress::Progress::start(
        super::progress::wanted(!args.quiet),
        "linting and reading",
        "files",
        Some(files as u64),
    )
}
