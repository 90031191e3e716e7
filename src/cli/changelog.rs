//! `ruleforge changelog BASE [HEAD]`: release notes in Markdown for the rules shipped in the
//! bundles built from two revisions.

use super::CmdResult;
use crate::diff::{self, changelog};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Revision of the previous release (a tag such as `v2026.03.01`, a commit, `A...B`).
    pub base: String,
    /// Revision of this release (default: `HEAD`, the current commit; bundles are built from
    /// commits, so the working tree is never used).
    #[arg(default_value = "HEAD")]
    pub head: String,
    /// Heading of the notes (default: `Rule changes BASE → HEAD`).
    #[arg(long)]
    pub title: Option<String>,
    /// Write the notes to this file (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: `ruleforge.toml` at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn exec(args: Args) -> CmdResult {
    let (repo, ws, opts) = super::diff::setup(args.config.as_deref())?;
    let cfg = ws.config;
    let d = diff::compute(&repo, &args.base, Some(&args.head), &opts)?;
    let text = changelog::render(
        &d,
        &changelog::Options {
            statuses: cfg.bundle.statuses.clone(),
            title: args.title.clone(),
        },
    );
    super::diff::emit(&text, args.output.as_deref())?;
    for u in &d.unreadable {
        eprintln!(
            "ruleforge: warning: {} ({}): not compared: {}",
            u.path,
            u.side.as_str(),
            u.message
        );
    }
    Ok(ExitCode::SUCCESS)
}
