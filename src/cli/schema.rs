//! `ruleforge schema NAME`: prints one of the JSON Schemas built into the binary, so a
//! repository can keep a copy that editors resolve (`ruleforge init` writes the rule schema
//! to `.ruleforge/rule.schema.json`).

use super::CmdResult;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which schema to print.
    #[arg(value_enum)]
    pub name: SchemaName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaName {
    /// A native indicator rule (what the `yaml-language-server` modeline points at).
    Rule,
    /// `ruleforge.toml`.
    Config,
    /// A Sigma detection rule.
    SigmaRule,
    /// A Sigma correlation rule.
    SigmaCorrelation,
    /// A Sigma filter.
    SigmaFilter,
    /// A bundle's `manifest.json`.
    BundleManifest,
    /// A bundle's `rules.json`.
    BundleRules,
    /// A bundle's `sigma.json`.
    BundleSigma,
    /// `export-report.json`, written by `ruleforge export`.
    ExportReport,
}

impl SchemaName {
    /// The schema's text, as shipped in `schemas/`.
    pub fn text(self) -> &'static str {
        match self {
            SchemaName::Rule => crate::schema::RULE_SCHEMA,
            SchemaName::Config => crate::schema::CONFIG_SCHEMA,
            SchemaName::SigmaRule => crate::schema::SIGMA_RULE_SCHEMA,
            SchemaName::SigmaCorrelation => crate::schema::SIGMA_CORRELATION_SCHEMA,
            SchemaName::SigmaFilter => crate::schema::SIGMA_FILTER_SCHEMA,
            SchemaName::BundleManifest => crate::bundle::MANIFEST_SCHEMA,
            SchemaName::BundleRules => crate::bundle::RULES_SCHEMA,
            SchemaName::BundleSigma => crate::bundle::SIGMA_SCHEMA,
            SchemaName::ExportReport => crate::export::report::REPORT_SCHEMA,
        }
    }
}

pub fn exec(args: Args) -> CmdResult {
    super::print(args.name.text());
    Ok(ExitCode::SUCCESS)
}
