//! `ruleforge man [COMMAND]`: the manual page (roff) of ruleforge or of one of its commands,
//! generated from the argument definitions by `clap_mangen`. `man -l <(ruleforge man)` shows it;
//! `ruleforge man --out DIR` writes every page (`ruleforge.1`, `ruleforge-lint.1`, ...) for
//! packaging.

use super::{Cli, CmdResult};
use anyhow::{anyhow, Context};
use clap::CommandFactory;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The command whose page to print (default: the page of `ruleforge` itself).
    pub command: Option<String>,
    /// Write the pages of ruleforge and of every command into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out: Option<PathBuf>,
}

/// The roff text of one page.
fn render(cmd: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the manual page")?;
    Ok(out)
}

/// `ruleforge` and its subcommands, each named as its page is (`ruleforge-lint`), and built
/// so that the page's synopsis reads `ruleforge lint ...`.
fn pages() -> Vec<(String, clap::Command)> {
    let mut root = Cli::command();
    root.build();
    let mut pages = vec![("ruleforge".to_string(), root.clone())];
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("ruleforge-{}", sub.get_name());
        let bin = format!("ruleforge {}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name).bin_name(bin)));
    }
    pages
}

pub fn exec(args: Args) -> CmdResult {
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let mut written = String::new();
        for (name, cmd) in pages() {
            let path = dir.join(format!("{name}.1"));
            crate::fsutil::write_atomic(&path, &render(cmd)?)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            written.push_str(&format!("{}\n", path.display()));
        }
        super::print(&written);
        return Ok(ExitCode::SUCCESS);
    }
    let wanted = match &args.command {
        None => "ruleforge".to_string(),
        Some(c) => format!("ruleforge-{}", c.trim_start_matches("ruleforge-")),
    };
    let Some((_, cmd)) = pages().into_iter().find(|(name, _)| *name == wanted) else {
        let known: Vec<String> = pages()
            .into_iter()
            .skip(1)
            .map(|(n, _)| n.trim_start_matches("ruleforge-").to_string())
            .collect();
        return Err(anyhow!(
            "no command `{}` (commands: {})",
            args.command.unwrap_or_default(),
            known.join(", ")
        ));
    };
    super::print(&String::from_utf8_lossy(&render(cmd)?));
    Ok(ExitCode::SUCCESS)
}
