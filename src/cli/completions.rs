//! `ruleforge completions SHELL`: the shell completion script, generated from the argument
//! definitions by `clap_complete`, so it never disagrees with the commands.

use super::{Cli, CmdResult};
use clap::CommandFactory;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn exec(args: Args) -> CmdResult {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ruleforge", &mut out);
    super::print(&String::from_utf8_lossy(&out));
    Ok(ExitCode::SUCCESS)
}
