//! `ruleforge fmt`: rewrites rule files into the canonical layout, comments kept.

use super::authoring;
use super::CmdResult;
use crate::format::{self, FormatError};
use crate::load::{self, Origin};
use anyhow::Context;
use rayon::prelude::*;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders to format (default: the rule roots of `ruleforge.toml`, or `rules/`).
    pub paths: Vec<PathBuf>,
    /// Write nothing; list the files that would change and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print a unified diff of the changes and exit 1 if there are any.
    #[arg(long)]
    pub diff: bool,
}

/// Counts one file done for the progress display when dropped, whichever way the file's
/// closure returns.
struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        crate::progress::add(1);
    }
}

enum Outcome {
    Unchanged,
    /// A Sigma file: `fmt` formats native rules only and leaves Sigma files byte for byte.
    Sigma,
    Changed {
        path: String,
        diff: String,
    },
    Error(String),
}

pub fn exec(args: Args) -> CmdResult {
    let (ws, paths) = authoring::targets(&args.paths)?;
    let (root, cfg, kinds) = (ws.root, ws.config, ws.lint.kinds);
    let inputs = load::discover(&root, &paths)?;
    let write = !args.check && !args.diff;
    let progress = super::progress::Progress::start(
        super::progress::wanted(true),
        if write { "formatting" } else { "checking" },
        "files",
        Some(inputs.len() as u64),
    );
    let outcomes: Vec<Outcome> = inputs
        .par_iter()
        .map(|input| -> anyhow::Result<Outcome> {
            let _counted = Counted;
            let src = match load::read(input, cfg.lint.max_file_size)? {
                Ok(s) => s,
                Err((e, src)) => return Ok(Outcome::Error(authoring::content_line(&e, &src))),
            };
            if crate::kind::kind_of(&src, &kinds) == crate::kind::RuleKind::Sigma {
                return Ok(Outcome::Sigma);
            }
            let new = match format::format_source(&src) {
                Ok(t) => t,
                Err(FormatError::Load(e)) => {
                    let file = crate::rule::RuleFile {
                        source: src,
                        parsed: Err(e),
                    };
                    let d = authoring::load_error(&file).expect("an error");
                    return Ok(Outcome::Error(authoring::diag_line(&d, Some(&file.source))));
                }
                Err(FormatError::Unsupported { span, message }) => {
                    let d = crate::lint::rules::rf001_yaml_syntax::RULE.diagnostic(
                        &input.path,
                        span,
                        message,
                    );
                    let line = authoring::diag_line(&d, Some(&src));
                    // Not a lint finding: drop the code.
                    return Ok(Outcome::Error(line.replacen(" RF001 ", " ", 1)));
                }
            };
            if new == src.text {
                return Ok(Outcome::Unchanged);
            }
            let diff = if args.diff {
                // Bounded: a short file of YAML aliases can expand to tens of thousands of
                // lines, and an exact line diff of that is quadratic. Past the deadline the
                // diff is still correct, only less minimal.
                similar::TextDiff::configure()
                    .timeout(std::time::Duration::from_millis(500))
                    .diff_lines(&src.text, &new)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{}", input.path), &format!("b/{}", input.path))
                    .to_string()
            } else {
                String::new()
            };
            if write {
                if let Origin::Disk(p) = &input.origin {
                    crate::fsutil::write_atomic(p, new.as_bytes())
                        .with_context(|| format!("{}: cannot write", input.path))?;
                }
            }
            Ok(Outcome::Changed {
                path: input.path.clone(),
                diff,
            })
        })
        .collect::<Result<_, _>>()?;
    drop(progress);

    let mut out = String::new();
    let mut errors = String::new();
    let (mut changed, mut unchanged, mut failed, mut sigma) = (0, 0, 0, 0);
    for o in &outcomes {
        match o {
            Outcome::Unchanged => unchanged += 1,
            Outcome::Sigma => sigma += 1,
            Outcome::Changed { path, diff } => {
                changed += 1;
                if args.diff {
                    out.push_str(diff);
                    if !diff.ends_with('\n') {
                        out.push('\n');
                    }
                } else if args.check {
                    let _ = writeln!(out, "would reformat {path}");
                }
            }
            Outcome::Error(line) => {
                failed += 1;
                let _ = writeln!(errors, "{line}");
            }
        }
    }
    let plural = |n: usize| if n == 1 { "file" } else { "files" };
    let mut summary = if write {
        format!(
            "{changed} {} reformatted, {unchanged} {} left unchanged",
            plural(changed),
            plural(unchanged)
        )
    } else {
        format!(
            "{changed} {} would be reformatted, {unchanged} {} already formatted",
            plural(changed),
            plural(unchanged)
        )
    };
    if sigma > 0 {
        let _ = write!(summary, ", {sigma} Sigma {} left as is", plural(sigma));
    }
    if failed > 0 {
        let _ = write!(
            summary,
            ", {failed} {} could not be formatted",
            plural(failed)
        );
    }
    if !errors.is_empty() {
        use std::io::Write as _;
        let _ = write!(anstream::stderr(), "{errors}");
    }
    super::print(&out);
    {
        use std::io::Write as _;
        let _ = writeln!(anstream::stderr(), "{summary}");
    }
    let fail = failed > 0 || (!write && changed > 0);
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
