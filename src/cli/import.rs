//! `ruleforge import`: rules from STIX 2.1 bundles, MISP events and plain indicator lists.

use super::CmdResult;
use crate::import::{self, plan, report, Format};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// A STIX 2.1 bundle, TAXII 2.1 envelope or lone object (JSON).
    Stix,
    /// A MISP event (JSON) or a MISP feed folder with `manifest.json`.
    Misp,
    /// A list of values, one a line, or free text from a report.
    Text,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StatusArg {
    Experimental,
    Test,
    Stable,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The source format.
    #[arg(value_enum)]
    pub format: FormatArg,
    /// Input files (for `misp`, also feed folders).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Folder for new rule files (a rule that already holds an imported id is updated where
    /// it is).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The author of every rule (default: the source's creator, else git's user.name).
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// The status of the rules.
    #[arg(long, value_enum, default_value_t = StatusArg::Experimental)]
    pub status: StatusArg,
    /// The severity when the source gives none.
    #[arg(long, value_enum, default_value_t = SeverityArg::Medium)]
    pub severity: SeverityArg,
    /// Show what would be written; write no rule file.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite rule files edited by hand since import wrote them.
    #[arg(long)]
    pub force: bool,
    /// Keep known-benign values (with an inline RF205 suppression) instead of dropping them.
    #[arg(long)]
    pub keep_benign: bool,
    /// Write the JSON report to this file (`-`: standard output, the summary then goes to
    /// standard error).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print only the totals line.
    #[arg(long, short)]
    pub quiet: bool,
}

fn name<T: clap::ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let abs = cwd.join(p);
    abs.canonicalize().unwrap_or(abs)
}

pub fn exec(args: Args) -> CmdResult {
    let ws = super::Workspace::open(None, &Default::default())?;
    let root = ws.root.canonicalize().unwrap_or(ws.root.clone());
    let format = match args.format {
        FormatArg::Stix => Format::Stix,
        FormatArg::Misp => Format::Misp,
        FormatArg::Text => Format::Text,
    };
    let opts = plan::Options {
        out_dir: absolute(&ws.cwd, &args.out),
        rule_dirs: ws.config.lint.roots.iter().map(|r| root.join(r)).collect(),
        author: args.author.clone(),
        default_author: super::new::git_user(&root).unwrap_or_else(|| "ruleforge import".into()),
        status: name(args.status),
        severity: name(args.severity),
        keep_benign: args.keep_benign,
        force: args.force,
        today: ws.lint.today,
        lint: ws.lint.clone(),
        root,
    };
    if opts.out_dir.exists() && !opts.out_dir.is_dir() {
        bail!("--out {}: not a folder", args.out.display());
    }
    let items = import::read_sources(format, &args.files)?;
    let planned = plan::plan(items, &opts)?;
    if !args.dry_run {
        plan::write(&planned)?;
    }
    let summary = report::text(&planned, args.dry_run);
    let summary = if args.quiet {
        summary.lines().last().unwrap_or("").to_string() + "\n"
    } else {
        summary
    };
    match &args.report {
        Some(path) => {
            let json =
                serde_json::to_string_pretty(&report::build(format, args.dry_run, &planned))?
                    + "\n";
            if path.as_os_str() == "-" {
                super::print(&json);
                eprint!("{summary}");
            } else {
                crate::fsutil::write_atomic(path, json.as_bytes())
                    .with_context(|| format!("{}: cannot write the report", path.display()))?;
                super::print(&summary);
            }
        }
        None => super::print(&summary),
    }
    let s = report::summary(&planned);
    Ok(if s.refused + s.skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
