//! `ruleforge init [DIR]`: turns a folder into a rules repository (see `crate::init`).

use super::CmdResult;
use crate::init::{self, Options};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder to set up (created if missing; default: the current folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Also write a signing key pair: `keys/ruleforge.pub` to commit, and the secret key
    /// `.ruleforge/ruleforge.key` (not password-protected, git-ignored) to store as the
    /// `RULEFORGE_SECRET_KEY` CI secret and then delete.
    #[arg(long)]
    pub keygen: bool,
}

pub fn exec(args: Args) -> CmdResult {
    let opts = Options {
        keygen: args.keygen,
        author: super::new::git_user(&args.dir),
        rule_id: None,
        today: super::today().to_string(),
    };
    let report = init::init(&args.dir, &opts)?;
    let mut out = String::new();
    let shown = args.dir.display();
    if report.git_initialized {
        out.push_str(&format!("Initialized a git repository in {shown}\n"));
    }
    if !report.created.is_empty() {
        out.push_str("Created:\n");
        for f in &report.created {
            out.push_str(&format!("  {f}\n"));
        }
    }
    if !report.skipped.is_empty() {
        out.push_str("Skipped (already there, left as they are):\n");
        for f in &report.skipped {
            out.push_str(&format!("  {f}\n"));
        }
    }
    if let Some(id) = &report.key_id {
        out.push_str(&format!(
            "Signing key {id}: store the content of {} as the RULEFORGE_SECRET_KEY secret of \
             the repository, then delete the file; commit {}.\n",
            init::SECRET_KEY_PATH,
            init::PUBLIC_KEY_PATH
        ));
    }
    if report.created.is_empty() {
        out.push_str("Nothing to do: every file is already there.\n");
    } else {
        out.push_str("Next: ruleforge lint && ruleforge test, then commit; see README.md.\n");
    }
    super::print(&out);
    Ok(ExitCode::SUCCESS)
}
