//! `ruleforge fmt`.
use super::CmdResult;
#[derive(clap::Args, Debug)]
pub struct Args {}
pub fn exec(_args: Args) -> CmdResult { todo!() }
