//! `ruleforge rule`: explain lint rules.

use super::CmdResult;
use crate::lint::registry::{self, LintRule};
use std::fmt::Write;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule code (`RF201`) or name (`invalid-indicator-value`).
    #[arg(required_unless_present = "all")]
    pub code: Option<String>,
    /// List every rule.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RuleFormat::Text)]
    pub output_format: RuleFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RuleFormat {
    Text,
    Json,
}

fn to_json(r: &LintRule) -> serde_json::Value {
    serde_json::json!({
        "code": r.code, "name": r.name, "severity": r.severity.as_str(),
        "category": r.category.as_str(), "summary": r.summary,
        "explanation": r.explanation, "fixable": r.fixable, "default_enabled": r.default_enabled,
    })
}

pub fn exec(args: Args) -> CmdResult {
    let rules: Vec<&LintRule> = if args.all {
        registry::all_rules().collect()
    } else {
        let code = args.code.unwrap_or_default();
        let found =
            registry::all_rules().find(|r| r.code.eq_ignore_ascii_case(&code) || r.name == code);
        match found {
            Some(r) => vec![r],
            None => {
                return Err(anyhow::anyhow!(
                    "unknown rule `{code}` (see `ruleforge rule --all`)"
                ))
            }
        }
    };
    let text = match args.output_format {
        RuleFormat::Json => {
            let v: Vec<_> = rules.iter().map(|r| to_json(r)).collect();
            let v = if args.all {
                serde_json::Value::Array(v)
            } else {
                v.into_iter().next().unwrap_or_default()
            };
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        RuleFormat::Text if args.all => {
            let mut s = String::new();
            for r in &rules {
                let _ = writeln!(
                    s,
                    "{}  {:<32} {:<8} {}{}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary,
                    if r.fixable { " (fixable)" } else { "" }
                );
            }
            s
        }
        RuleFormat::Text => registry::explain(rules[0]),
    };
    super::print(&text);
    Ok(ExitCode::SUCCESS)
}
