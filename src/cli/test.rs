//! `ruleforge test`: runs every rule's `tests` through the reference matcher.

use super::authoring::{self, Loaded};
use super::CmdResult;
use crate::matcher::{Explanation, Observable, RuleMatcher};
use crate::rule::RuleFile;
use rayon::prelude::*;
use serde_json::json;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule files or folders (default: the rule roots of `ruleforge.toml`, or `rules/`).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub output_format: TestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    Text,
    Json,
}

struct TestOutcome {
    path: String,
    line: usize,
    column: usize,
    rule_id: String,
    name: String,
    /// `None` when `expect` is missing or not `match`/`no_match`.
    expect: Option<bool>,
    event: Observable,
    explanation: Explanation,
}

impl TestOutcome {
    fn passed(&self) -> bool {
        self.expect == Some(self.explanation.matched)
    }
}

/// What one file gave: an error (it does not load, or its condition does not parse) or its
/// test outcomes.
enum FileOutcome {
    Error(String),
    Tests {
        outcomes: Vec<TestOutcome>,
        has_tests: bool,
    },
}

fn run_file(file: &RuleFile) -> FileOutcome {
    let spec = match authoring::spec_of(file) {
        Ok(s) => s,
        Err(line) => return FileOutcome::Error(line),
    };
    let rule = file.rule().expect("parsed");
    let matcher = match RuleMatcher::new(&spec) {
        Ok(m) => m,
        Err(e) => return FileOutcome::Error(format!("{}: {e}", file.source.path)),
    };
    let outcomes = rule
        .tests
        .iter()
        .map(|t| {
            let lc = file.source.line_col(t.span.start);
            let event = Observable::from(t.event.as_slice());
            TestOutcome {
                path: file.source.path.clone(),
                line: lc.line,
                column: lc.column,
                rule_id: spec.id.clone(),
                name: t.name.clone(),
                expect: t.expect_match,
                explanation: matcher.explain(&event),
                event,
            }
        })
        .collect();
    FileOutcome::Tests {
        outcomes,
        has_tests: !rule.tests.is_empty(),
    }
}

fn expect_word(e: Option<bool>) -> &'static str {
    match e {
        Some(true) => "match",
        Some(false) => "no_match",
        None => "(missing or invalid `expect`)",
    }
}

pub fn exec(args: Args) -> CmdResult {
    let (ws, paths) = authoring::targets(&args.paths)?;
    let (root, cfg) = (ws.root, ws.config);
    let inputs = crate::load::discover(&root, &paths)?;
    let loaded = authoring::load_all(&inputs, cfg.lint.max_file_size)?;
    let results: Vec<FileOutcome> = loaded
        .par_iter()
        .map(|l| match l {
            Loaded::Error(line) => FileOutcome::Error(line.clone()),
            Loaded::Rule(file) => run_file(file),
        })
        .collect();
    let mut errors = Vec::new();
    let mut outcomes = Vec::new();
    let mut rules = 0;
    let mut without_tests = 0;
    for r in results {
        match r {
            FileOutcome::Error(e) => errors.push(e),
            FileOutcome::Tests {
                outcomes: o,
                has_tests,
            } => {
                rules += 1;
                if !has_tests {
                    without_tests += 1;
                }
                outcomes.extend(o);
            }
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed = outcomes.len() - passed;
    let ok = failed == 0 && errors.is_empty();
    let text = match args.output_format {
        TestFormat::Text => {
            let mut s = String::new();
            for e in &errors {
                let _ = writeln!(s, "error: {e}\n");
            }
            for o in outcomes.iter().filter(|o| !o.passed()) {
                let got = if o.explanation.matched {
                    "match"
                } else {
                    "no_match"
                };
                let _ = writeln!(
                    s,
                    "FAIL {}:{}:{}: test `{}` expected {}, got {got}",
                    o.path,
                    o.line,
                    o.column,
                    o.name,
                    expect_word(o.expect)
                );
                let _ = writeln!(s, "  event:");
                for (f, vs) in o.event.fields() {
                    for v in vs {
                        let _ = writeln!(s, "    {f}: {v}");
                    }
                }
                let _ = writeln!(s, "  explanation:");
                s.push_str(&o.explanation.render_text(&o.event, "    "));
                s.push('\n');
            }
            let _ = writeln!(
                s,
                "test result: {}. {passed} passed, {failed} failed; {} {}; {rules} {} ({without_tests} without tests)",
                if ok { "ok" } else { "FAILED" },
                errors.len(),
                if errors.len() == 1 { "file with errors" } else { "files with errors" },
                if rules == 1 { "rule" } else { "rules" },
            );
            s
        }
        TestFormat::Json => {
            let results: Vec<_> = outcomes
                .iter()
                .map(|o| {
                    json!({
                        "path": o.path,
                        "line": o.line,
                        "column": o.column,
                        "rule_id": o.rule_id,
                        "test": o.name,
                        "expect": o.expect.map(|e| if e { "match" } else { "no_match" }),
                        "outcome": if o.explanation.matched { "match" } else { "no_match" },
                        "passed": o.passed(),
                        "event": o.event.to_json(),
                        "explanation": o.explanation,
                    })
                })
                .collect();
            let v = json!({
                "summary": {
                    "ok": ok,
                    "rules": rules,
                    "rules_without_tests": without_tests,
                    "tests": outcomes.len(),
                    "passed": passed,
                    "failed": failed,
                    "errors": errors.len(),
                },
                "errors": errors,
                "results": results,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
    };
    super::print(&text);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
