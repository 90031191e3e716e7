//! `ruleforge lint`: schema validation and lint rules in one pass.

use super::CmdResult;
use crate::lint::{self, SelectorArgs};
use crate::report::{self, Counts, Format};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders to lint (default: the rule roots of `ruleforge.toml`, or `rules/`).
    pub paths: Vec<PathBuf>,
    /// Enable only these codes or prefixes (comma-separated; `ALL` for every rule).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Enable these codes or prefixes in addition to the selection.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Disable these codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Apply safe fixes in place (comments and untouched lines are kept byte for byte).
    #[arg(long)]
    pub fix: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output_format: Format,
    /// Lint only rule files changed since this git revision (repository-wide checks still
    /// see every rule).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Also run the policy checks (RF501..RF505) between this git revision and the working
    /// tree (`origin/main`, `A...B` for a merge base, a tag).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Configuration file (default: `ruleforge.toml` at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print no summary line (text format).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Where the lint cache lives, or that it is not used.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CacheArgs {
    /// Folder of the lint cache (default: `.ruleforge_cache` at the repository root).
    #[arg(long, value_name = "DIR", env = "RULEFORGE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the lint cache: read and check every file.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The cache folder for the repository at `root` (relative to `cwd` when given).
    pub fn dir(&self, cwd: &std::path::Path, root: &std::path::Path) -> PathBuf {
        match &self.cache_dir {
            Some(d) => cwd.join(d),
            None => root.join(lint::cache::DIR_NAME),
        }
    }
}

pub fn exec(args: Args) -> CmdResult {
    let selectors = SelectorArgs {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    let super::Workspace {
        cwd,
        root,
        config: cfg,
        lint: mut opts,
    } = super::Workspace::open(args.config.as_deref(), &selectors)?;
    opts.fix = args.fix;
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        cfg.lint.roots.iter().map(|r| root.join(r)).collect()
    } else {
        args.paths.clone()
    };
    let inputs = crate::load::discover(&root, &paths)?;
    if let Some(rev) = &args.changed_since {
        let repo = crate::git::open(&root)?;
        let workdir = repo
            .workdir()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| root.clone());
        let prefix =
            crate::load::relative(&workdir.canonicalize().unwrap_or(workdir.clone()), &root);
        let changed = crate::git::changed_since(&repo, rev)?;
        // Paths from git are relative to the work tree; ours to the ruleforge root.
        let changed = changed
            .into_iter()
            .filter_map(|p| {
                if prefix.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(&format!("{prefix}/")).map(str::to_string)
                }
            })
            .collect();
        opts.only = Some(changed);
    }
    let show = args.output_format == Format::Text && !args.quiet;
    let progress = super::progress::Progress::start(
        super::progress::wanted(show),
        "linting",
        "files",
        Some(inputs.len() as u64),
    );
    // The cache's next pack is written while the report is printed; dropping this waits.
    let mut _pending_write = None;
    let mut outcome = if args.cache.no_cache {
        lint::run(&inputs, &opts)?
    } else {
        // Linting the configured roots covers the whole rule set: entries of files it does
        // not see are dropped.
        let cache = lint::cache::LintCache::open(
            &args.cache.dir(&cwd, &root),
            &root,
            &opts,
            args.paths.is_empty(),
        );
        let (outcome, _, pending) = cache.run(&inputs, &opts)?;
        _pending_write = Some(pending);
        outcome
    };
    if let Some(base) = &args.base {
        let scope: Option<Vec<String>> = (!args.paths.is_empty()).then(|| {
            args.paths
                .iter()
                .map(|p| {
                    let abs = cwd.join(p);
                    let abs = abs.canonicalize().unwrap_or(abs);
                    crate::load::relative(&root, &abs)
                })
                .collect()
        });
        super::policy::run(base, &root, &cfg, &opts, scope.as_deref(), &mut outcome)?;
    }
    drop(progress);
    let counts = Counts::of(&outcome);
    let text = match args.output_format {
        Format::Text => {
            let mut t = report::text::render(
                &outcome.diagnostics,
                &outcome.sources,
                &counts,
                super::stdout_styled(),
            );
            if args.quiet {
                let keep = t.trim_end().rfind('\n').map_or(0, |i| i + 1);
                t.truncate(keep);
            }
            t
        }
        Format::Json => report::json::render(&outcome.diagnostics, &outcome.sources),
        Format::Sarif => report::sarif::render(&outcome.diagnostics, &outcome.sources),
        Format::Github => report::github::render(&outcome.diagnostics, &outcome.sources),
    };
    super::print(&text);
    // `[trust]`: key rotation problems (docs/distribution.md), on stderr beside the report.
    let config_name = cfg.origin.as_deref().unwrap_or(crate::config::FILE_NAME);
    let trust = crate::dist::trust::check(&cfg.trust, &root, config_name);
    for problem in &trust {
        let _ = writeln!(anstream::stderr(), "ruleforge: {problem}");
    }
    let trust_fails = trust
        .iter()
        .any(|p| p.error || args.deny_warnings || cfg.lint.deny_warnings);
    let code = if trust_fails || counts.fails(args.deny_warnings || cfg.lint.deny_warnings) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends next: the rule set's paths, sources and findings (hundreds of
    // thousands of allocations in a large repository) are left to the exit instead of being
    // freed one by one. The cache's pending write is still waited for.
    std::mem::forget(outcome);
    std::mem::forget(inputs);
    Ok(code)
}
