//! `ruleforge lsp`: the language server, on stdin and stdout (see docs/editors.md).

use super::CmdResult;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Accepted for editors that pass it; stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn exec(_args: Args) -> CmdResult {
    Ok(ExitCode::from(crate::lsp::serve_stdio()))
}
