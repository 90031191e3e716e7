//! Exports: the rule set in the formats the scanners a team already runs can load.
//!
//! Every target is a module of the same shape:
//! - its doc comment says what the target can express and how each indicator type maps;
//! - `REASONS`: the stable skip reasons it may give (besides [`report::common`]);
//! - `export(set, opts) -> TargetOutput`: the files (relative paths, bytes) and one
//!   [`report::RuleOutcome`] per rule — `exported`, `partial` (what was left out and why) or
//!   `skipped` (why);
//! - tests that run the real engine (`tests/export_<target>.rs`, driven by `.ci/run`).
//!
//! The contract: an exported artifact matches exactly what the reference matcher
//! (`docs/matching.md`) matches for that rule, on everything the target can observe, or
//! that part is left out and the report says why. Approximations are off unless
//! [`Options::approximate`] is set, and are listed in the report when used.
//!
//! Outputs are byte-reproducible: the same rules give the same bytes (no clocks, no
//! random ids: ids derive from rule ids, times from rule dates).

pub mod clamav;
pub mod hashes;
pub mod misp;
pub mod model;
pub mod report;
pub mod sigma;
pub mod stix;
pub mod suricata;
pub mod write;
pub mod yara;
pub mod zeek;

pub use model::{ExportRule, ExportSet, ExportSigma, Pattern};
pub use report::{ExportReport, RuleOutcome, Skip, Status};

use std::fmt;

/// An export target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Yara,
    Clamav,
    Suricata,
    Zeek,
    Stix,
    Sigma,
    Misp,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Yara,
        Target::Clamav,
        Target::Suricata,
        Target::Zeek,
        Target::Stix,
        Target::Sigma,
        Target::Misp,
    ];

    /// The name on the command line, in `[bundle] exports` and as the output folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::Yara => "yara",
            Target::Clamav => "clamav",
            Target::Suricata => "suricata",
            Target::Zeek => "zeek",
            Target::Stix => "stix",
            Target::Sigma => "sigma",
            Target::Misp => "misp",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Parses a list of names (`all` for every target), sorted, duplicates removed.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<Target>, UnknownTarget> {
        let mut out = Vec::new();
        for n in names {
            let n = n.as_ref();
            if n == "all" {
                out.extend(Self::ALL);
                continue;
            }
            out.push(Self::from_name(n).ok_or_else(|| UnknownTarget(n.to_string()))?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn exporter(self) -> Exporter {
        match self {
            Target::Yara => yara::export,
            Target::Clamav => clamav::export,
            Target::Suricata => suricata::export,
            Target::Misp => misp::export,
            Target::Zeek => zeek::export,
            Target::Stix => stix::export,
            Target::Sigma => sigma::export,
        }
    }

    /// Every reason this target may give, the common ones first.
    pub fn reasons(self) -> Vec<report::Reason> {
        let mut v = report::common::ALL.to_vec();
        v.extend_from_slice(match self {
            Target::Yara => &yara::REASONS[..],
            Target::Clamav => &clamav::REASONS[..],
            Target::Suricata => &suricata::REASONS[..],
            Target::Misp => &misp::REASONS[..],
            Target::Zeek => &zeek::REASONS[..],
            Target::Stix => &stix::REASONS[..],
            Target::Sigma => &sigma::REASONS[..],
        });
        v
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A target name that is not one of [`Target::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export target `{0}` (known: {known}, or `all`)", known = Target::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownTarget(pub String);

type Exporter = fn(&ExportSet, &Options) -> TargetOutput;

/// Settings every target reads.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Allow the documented approximations of each target (off by default; each use is
    /// listed in the report).
    pub approximate: bool,
    /// The producer's name (the bundle name from `ruleforge.toml`), used where a target
    /// records who made the content (a STIX identity, a MISP org, meta fields).
    pub producer: String,
}

/// What a target produced.
#[derive(Debug, Clone, Default)]
pub struct TargetOutput {
    /// Files relative to the target's folder (`ruleforge.yar`, `rules/x.yml`), sorted, each
    /// path unique; `/`-separated, no `..`.
    pub files: Vec<(String, Vec<u8>)>,
    /// One outcome per rule of the set (native and Sigma), sorted by id.
    pub rules: Vec<RuleOutcome>,
}

/// Runs each target over the set. Targets run in parallel; the result is in `targets` order.
pub fn run(set: &ExportSet, targets: &[Target], opts: &Options) -> Vec<(Target, TargetOutput)> {
    use rayon::prelude::*;
    targets
        .par_iter()
        .map(|&t| (t, build(t, set, opts)))
        .collect()
}

/// One target's output, files and rules sorted.
fn build(t: Target, set: &ExportSet, opts: &Options) -> TargetOutput {
    let mut out = t.exporter()(set, opts);
    out.files.sort_by(|a, b| a.0.cmp(&b.0));
    out.rules.sort_by(|a, b| a.id.cmp(&b.id));
    if crate::timings::enabled() {
        crate::timings::mark(&format!("export: {t} built"));
    }
    out
}

/// The outcome of a rule whose condition has no OR-of-ANDs form, or `Ok(terms)`.
pub fn terms_or_skip(rule: &ExportRule) -> Result<Vec<Vec<String>>, RuleOutcome> {
    use report::common;
    match rule.dnf() {
        Ok(t) if t.is_empty() => Err(RuleOutcome::skipped(
            &rule.id,
            &rule.path,
            Skip::new(common::NEVER_MATCHES),
        )),
        Ok(t) => Ok(t),
        Err(model::DnfError::Negation) => Err(RuleOutcome::skipped(
            &rule.id,
            &rule.path,
            Skip::with(common::NEGATION, format!("`{}`", rule.condition_text)),
        )),
        Err(model::DnfError::TooLarge(n)) => Err(RuleOutcome::skipped(
            &rule.id,
            &rule.path,
            Skip::with(
                common::CONDITION_TOO_LARGE,
                format!("{n} terms, at most {}", model::MAX_TERMS),
            ),
        )),
    }
}

/// The outcome of a Sigma document for a target that does not read Sigma.
pub fn sigma_skipped(s: &ExportSigma) -> RuleOutcome {
    RuleOutcome::skipped(
        &s.entry.id,
        &s.path,
        Skip::new(report::common::SIGMA_SOURCE),
    )
}

/// Builds the report of a finished export.
pub fn make_report(
    outputs: &[(Target, TargetOutput)],
    set: &ExportSet,
    source: report::SourceInfo,
    opts: &Options,
) -> ExportReport {
    use rayon::prelude::*;
    let targets = outputs
        .iter()
        .map(|(t, out)| {
            let files = out
                .files
                .par_iter()
                .map(|(path, bytes)| report::FileEntry::of(format!("{t}/{path}"), bytes))
                .collect();
            (*t, out.rules.clone(), files)
        })
        .collect();
    report_of(targets, set, source, opts)
}

/// The report from each target's rule outcomes and written files.
fn report_of(
    targets: Vec<(Target, Vec<RuleOutcome>, Vec<report::FileEntry>)>,
    set: &ExportSet,
    source: report::SourceInfo,
    opts: &Options,
) -> ExportReport {
    let targets = targets
        .into_iter()
        .map(|(t, rules, files)| {
            (
                t.name().to_string(),
                report::TargetReport {
                    counts: report::Counts::of(&rules),
                    files,
                    rules,
                },
            )
        })
        .collect();
    ExportReport {
        format: report::REPORT_FORMAT,
        format_version: report::REPORT_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        source,
        approximate: opts.approximate,
        rules: report::RuleCounts {
            native: set.native.len(),
            sigma: set.sigma.len(),
        },
        targets,
    }
}

/// Builds `targets` from the set and writes them under `out` with the report (see
/// [`write`]): each target's files go into the staging folder as soon as that target is
/// built, so only the targets still being built hold their bytes; the size and SHA-256 of
/// each file are taken as it is written. All or nothing: on an error `out` is as it was.
pub fn export_to(
    out: &std::path::Path,
    set: &ExportSet,
    targets: &[Target],
    opts: &Options,
    source: report::SourceInfo,
) -> Result<ExportReport, write::WriteError> {
    use rayon::prelude::*;
    let staging = write::Staging::new(out)?;
    let built = targets
        .par_iter()
        .map(|&t| {
            let out = build(t, set, opts);
            let files = staging.write_target(t, &out.files)?;
            if crate::timings::enabled() {
                crate::timings::mark(&format!("export: {t} written"));
            }
            Ok((t, out.rules, files))
        })
        .collect::<Result<Vec<_>, write::WriteError>>()?;
    crate::timings::mark("export: targets built and written");
    let report = report_of(built, set, source, opts);
    crate::timings::mark("export: report built");
    staging.finish(targets, &report)?;
    Ok(report)
}

/// Lints `inputs` with `opts` and builds the export model of every file in the same pass
/// (each file parsed once). Files that could not be read are left out of the second list
/// (the lint outcome reports them).
pub fn lint_and_collect(
    inputs: &[crate::load::Input],
    opts: &crate::lint::Options,
) -> Result<(crate::lint::Outcome, Vec<model::ExportFile>), crate::load::IoError> {
    let (outcome, files) = crate::lint::run_with(inputs, opts, &model::from_parsed)?;
    Ok((outcome, files.into_iter().flatten().collect()))
}

/// The bundle's selection (statuses, expired rules) from the configuration, as of `as_of`.
pub fn selection(
    cfg: &crate::config::Config,
    as_of: time::Date,
) -> crate::bundle::compile::Selection {
    crate::bundle::compile::Selection {
        statuses: cfg.bundle.statuses.clone(),
        include_expired: cfg.bundle.include_expired,
        as_of,
    }
}

/// The folder of a bundle that holds the exports (`exports/<target>/…` and the report).
pub const BUNDLE_FOLDER: &str = "exports";

/// The bundle members of an export: `exports/<target>/<file>` for every file and
/// `exports/export-report.json`, sorted by path.
pub fn bundle_members(
    outputs: &[(Target, TargetOutput)],
    report: &ExportReport,
) -> Vec<(String, Vec<u8>)> {
    let mut members: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .flat_map(|(t, out)| {
            out.files
                .iter()
                .map(move |(name, bytes)| (format!("{BUNDLE_FOLDER}/{t}/{name}"), bytes.clone()))
        })
        .collect();
    members.push((
        format!("{BUNDLE_FOLDER}/{}", report::REPORT_NAME),
        report.to_json(),
    ));
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}
