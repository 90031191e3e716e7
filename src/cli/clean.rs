//! `ruleforge clean`: removes the lint cache.

use super::lint::CacheArgs;
use super::CmdResult;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder of the lint cache (default: `.ruleforge_cache` at the repository root).
    #[arg(long, value_name = "DIR", env = "RULEFORGE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub fn exec(args: Args) -> CmdResult {
    let cwd = std::env::current_dir()?;
    let root = crate::config::find_root(&cwd);
    let dir = CacheArgs {
        cache_dir: args.cache_dir,
        no_cache: false,
    }
    .dir(&cwd, &root);
    let shown = dir.strip_prefix(&cwd).unwrap_or(&dir).display().to_string();
    if crate::lint::cache::clean(&dir)? {
        super::print(&format!("removed {shown}\n"));
    } else {
        super::print(&format!("no cache at {shown}\n"));
    }
    Ok(ExitCode::SUCCESS)
}
