//! `ruleforge coverage`: ATT&CK coverage of the rules (see `crate::coverage`).

use super::authoring;
use super::CmdResult;
use crate::coverage::{self, attack::Attack, heatmap, json, navigator, text};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule files or folders (default: the rule roots of `ruleforge.toml`, or `rules/`).
    pub paths: Vec<PathBuf>,
    /// Output format: a text summary, JSON, a Markdown table (for a pull request's job
    /// summary), an ATT&CK Navigator layer (format 4.5), or an SVG/HTML heatmap.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
    pub format: CoverageFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The Navigator layer's name.
    #[arg(long, default_value = "ruleforge coverage")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CoverageFormat {
    Text,
    Json,
    Markdown,
    Navigator,
    Svg,
    Html,
}

pub fn exec(args: Args) -> CmdResult {
    let (ws, paths) = authoring::targets(&args.paths)?;
    let inputs = crate::load::discover(&ws.root, &paths)?;
    let (rules, skipped) =
        coverage::read_rules(&inputs, &ws.lint.kinds, ws.config.lint.max_file_size)?;
    let c = coverage::compute(Attack::enterprise(), rules, skipped);
    let output = match args.format {
        CoverageFormat::Text => text::render_text(&c),
        CoverageFormat::Markdown => text::render_markdown(&c),
        CoverageFormat::Json => json::render(&c),
        CoverageFormat::Navigator => navigator::render(&c, &args.name),
        CoverageFormat::Svg => heatmap::render_svg(&c),
        CoverageFormat::Html => heatmap::render_html(&c),
    };
    match &args.out {
        Some(path) => crate::fsutil::write_atomic(path, output.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?,
        None => super::print(&output),
    }
    Ok(ExitCode::SUCCESS)
}
