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

fn explain(r: &LintRule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", r.code, r.name);
    let _ = writeln!(s);
    let _ = writeln!(s, "{}.", r.summary);
    let _ = writeln!(s);
    let _ = writeln!(s, "Default severity: {}", r.severity);
    let _ = writeln!(s, "Category: {}", r.category);
    let _ = writeln!(
        s,
        "Enabled by default: {}",
        if r.default_enabled {
            "yes"
        } else {
            "no (select it with --select)"
        }
    );
    let _ = writeln!(
        s,
        "Fix: {}",
        if r.fixable {
            "safe fix available (`ruleforge lint --fix`)"
        } else {
            "none"
        }
    );
    let _ = writeln!(s);
    for line in wrap(r.explanation, 88) {
        let _ = writeln!(s, "{line}");
    }
    s
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
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
        RuleFormat::Text => explain(rules[0]),
    };
    super::print(&text);
    Ok(ExitCode::SUCCESS)
}
