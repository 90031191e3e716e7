//! The lint engine: reads, parses, validates and checks rule files in parallel, then runs
//! the repository-wide checks once over the whole set.

pub mod cache;
pub mod context;
pub mod fix;
mod options;
pub mod registry;
pub mod repo_index;
pub mod rules;

pub use options::{check_config, Options, OptionsError, SelectorArgs};
pub use registry::Selection;

use crate::diagnostic::{Diagnostic, Severity};
use crate::kind::RuleKind;
use crate::kind::{parse_source, Parsed, ParsedRef};
use crate::load::ContentError;
use crate::load::{self, Input, IoError};
use crate::rule::{Rule, RuleFile};
use crate::sigma::SigmaFile;
use crate::source::SourceFile;
use crate::suppress::Suppressions;
use crate::yaml::{LoadError, LoadErrorKind};
use context::{FileContext, RepoContext, RuleSummary, SigmaContext};
use rayon::prelude::*;
use registry::Check;
use std::collections::HashMap;
use std::sync::Arc;

/// The result of a lint run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub files_checked: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// Sources of the files that have diagnostics (for code frames).
    pub sources: HashMap<String, Arc<SourceFile>>,
    pub fixed: usize,
    pub files_fixed: usize,
    /// What the run is done with but has not freed yet (every rule's summary): freed on
    /// another thread when the outcome is dropped, left to the exit by a command that
    /// forgets the outcome.
    spare: Spare,
}

/// Memory a run is done with (hundreds of thousands of small allocations for a large
/// repository), kept so the owner of the [`Outcome`] chooses when it goes: dropping it frees
/// it on another thread (a long-lived caller such as the language server gets it all back);
/// a process about to exit can `forget` the outcome and never pay for the frees (a cold run
/// with the cache, which waits for its writer, would otherwise free them beside it).
#[derive(Default)]
pub(crate) struct Spare(Option<Box<dyn std::any::Any + Send>>);

impl Spare {
    /// `value`, kept until the spare is dropped.
    pub(crate) fn of<T: Send + 'static>(value: T) -> Spare {
        Spare(Some(Box::new(value)))
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            crate::drop_in_background(value);
        }
    }
}

impl std::fmt::Debug for Spare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Spare(..)"
        } else {
            "Spare"
        })
    }
}

impl Outcome {
    pub fn count(&self, sev: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == sev)
            .count()
    }
}

struct Checked<T> {
    path: String,
    /// What the caller's per-file hook made of the parsed file (None when unreadable).
    extra: Option<T>,
    diagnostics: Vec<Diagnostic>,
    source: Option<Arc<SourceFile>>,
    summaries: Vec<RuleSummary>,
    suppressions: Suppressions,
    fixed: usize,
    /// Whether an enabled finding (suppressed or not) carries a safe fix: `--fix` would
    /// then change the file.
    fixable: bool,
}

/// Parses and checks one file of either kind (the per-file part of `run`).
pub fn check_source(source: SourceFile, opts: &Options) -> Vec<Diagnostic> {
    match parse_source(source, &opts.kinds) {
        Parsed::Native(f) => check_file(&f, opts),
        Parsed::Sigma(f) => check_sigma_file(&f, opts),
    }
}

/// The rule that reports a kind of YAML problem.
pub fn yaml_rule(kind: LoadErrorKind) -> &'static registry::LintRule {
    use rules::*;
    match kind {
        LoadErrorKind::Syntax => &rf001_yaml_syntax::RULE,
        LoadErrorKind::DuplicateKey => &rf002_duplicate_key::RULE,
        LoadErrorKind::Empty => &rf005_empty_file::RULE,
        LoadErrorKind::TooManyNodes => &rf006_alias_limit::RULE,
        LoadErrorKind::TabIndentation => &rf007_tab_indentation::RULE,
        LoadErrorKind::SecondDocument => &rf008_multiple_documents::RULE,
    }
}

/// The finding for a file that is read but cannot be used as text (RF003, RF004).
pub fn content_diagnostic(path: &str, e: &ContentError) -> Diagnostic {
    let rule = match e {
        ContentError::TooLarge { .. } => &rules::rf003_file_too_large::RULE,
        ContentError::Utf16 { .. } | ContentError::NotUtf8 { .. } => {
            &rules::rf004_invalid_utf8::RULE
        }
    };
    rule.diagnostic(path, e.span(), e.to_string())
}

/// The finding for a file that is not a YAML document (RF001, RF002, RF005..RF008); a
/// duplicate key names its first occurrence.
pub fn load_diagnostic(source: &SourceFile, e: &LoadError) -> Diagnostic {
    let path = source.path.as_str();
    let mut d = yaml_rule(e.kind).diagnostic(path, Some(e.span), e.message.clone());
    if let Some(other) = e.other {
        let lc = source.line_col(other.start);
        d.message
            .push_str(&format!(" (first defined on line {})", lc.line));
        d = d.with_related(crate::diagnostic::Related {
            path: path.to_string(),
            span: Some(other),
            message: "first defined here".into(),
        });
    }
    d
}

/// Runs the per-file part on one parsed Sigma file: each document is validated against the
/// schema of its type (RF600), then the Sigma checks run on it.
pub fn check_sigma_file(file: &SigmaFile, opts: &Options) -> Vec<Diagnostic> {
    let path = file.source.path.as_str();
    let mut out = Vec::new();
    match &file.parsed {
        Err(e) => out.push(load_diagnostic(&file.source, e)),
        Ok(docs) => {
            let schema_rule = &rules::rf600_sigma_schema_violation::RULE;
            let schema = opts.selection.is_enabled(schema_rule);
            for (i, doc) in docs.iter().enumerate() {
                if schema {
                    let target = crate::schema::for_sigma(doc.rule.doc_type);
                    out.extend(
                        crate::schema::validate(target, &doc.node)
                            .into_iter()
                            .map(|v| schema_rule.diagnostic(path, Some(v.span), v.message)),
                    );
                }
                let cx = SigmaContext {
                    path,
                    source: &file.source,
                    node: &doc.node,
                    rule: &doc.rule,
                    doc_index: i,
                    today: opts.today,
                };
                for r in registry::all() {
                    if let Check::Sigma(f) = r.check {
                        if opts.selection.is_enabled(r.rule) {
                            f(&cx, &mut out);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Runs the per-file part on one parsed file.
pub fn check_file(file: &RuleFile, opts: &Options) -> Vec<Diagnostic> {
    let path = file.source.path.as_str();
    let mut out = Vec::new();
    match &file.parsed {
        Err(e) => out.push(load_diagnostic(&file.source, e)),
        Ok((node, rule)) => {
            let schema_rule = &rules::rf010_schema_violation::RULE;
            if opts.selection.is_enabled(schema_rule) {
                out.extend(
                    crate::schema::validate_rule(node)
                        .into_iter()
                        .map(|v| schema_rule.diagnostic(path, Some(v.span), v.message)),
                );
            }
            let cx = FileContext {
                path,
                source: &file.source,
                node,
                rule,
                today: opts.today,
            };
            for r in registry::all() {
                if let Check::File(f) = r.check {
                    if opts.selection.is_enabled(r.rule) {
                        f(&cx, &mut out);
                    }
                }
            }
        }
    }
    out
}

fn process<T>(
    input: &Input,
    opts: &Options,
    hook: &(dyn Fn(ParsedRef<'_>) -> T + Sync),
) -> Result<Checked<T>, IoError> {
    match load::read(input, opts.max_file_size)? {
        Ok(source) => process_source(input, source, opts, hook),
        Err((e, src)) => Ok(unreadable(input, &e, src, opts)),
    }
}

/// A file read but not usable as text: its RF003/RF004 finding.
fn unreadable<T>(input: &Input, e: &ContentError, src: SourceFile, opts: &Options) -> Checked<T> {
    let d = content_diagnostic(&input.path, e);
    let diagnostics: Vec<_> = [d].into_iter().filter(|d| opts.enabled(d)).collect();
    Checked {
        path: input.path.clone(),
        extra: None,
        source: Some(Arc::new(src)),
        diagnostics,
        summaries: Vec::new(),
        suppressions: Suppressions::default(),
        fixed: 0,
        fixable: false,
    }
}

/// The per-file part of a lint run on a file's text read from `input`.
fn process_source<T>(
    input: &Input,
    source: SourceFile,
    opts: &Options,
    hook: &(dyn Fn(ParsedRef<'_>) -> T + Sync),
) -> Result<Checked<T>, IoError> {
    let per_file = opts.only.as_ref().is_none_or(|o| o.contains(&input.path));
    let original = opts.fix.then(|| source.text.clone());
    let FileResult {
        parsed,
        diagnostics,
        suppressions,
        fixed,
        fixable,
    } = check_parsed(source, opts, per_file, opts.fix);
    if let (Some(original), Parsed::Native(file)) = (original, &parsed) {
        if file.source.text != original {
            if let load::Origin::Disk(p) = &input.origin {
                crate::fsutil::write_atomic(p, file.source.text.as_bytes()).map_err(|error| {
                    IoError::WriteFixes {
                        path: input.path.clone(),
                        error,
                    }
                })?;
            }
        }
    }
    let extra = Some(hook(match &parsed {
        Parsed::Native(f) => ParsedRef::Native(f),
        Parsed::Sigma(f) => ParsedRef::Sigma(f),
    }));
    let summaries = summaries_of(&input.path, &parsed);
    let keep_source = !diagnostics.is_empty() || !suppressions.is_empty();
    let source = keep_source.then(|| {
        Arc::new(match parsed {
            Parsed::Native(f) => f.source,
            Parsed::Sigma(f) => f.source,
        })
    });
    Ok(Checked {
        path: input.path.clone(),
        extra,
        diagnostics,
        source,
        summaries,
        suppressions,
        fixed,
        fixable,
    })
}

/// One file after its per-file checks: the parsed file (after fixes when they were asked
/// for), its findings that survive the selection, the per-path ignores and its inline
/// suppressions, and the number of fixes applied.
struct FileResult {
    parsed: Parsed,
    diagnostics: Vec<Diagnostic>,
    suppressions: Suppressions,
    fixed: usize,
    /// See [`Checked::fixable`].
    fixable: bool,
}

/// The per-file part of a lint run on a file's text: parse, check, and with `fix` apply the
/// safe fixes until none is left (bounded; native rules only), re-checking after each pass.
fn check_parsed(source: SourceFile, opts: &Options, per_file: bool, fix: bool) -> FileResult {
    let (parsed, mut diagnostics, fixed) = match parse_source(source, &opts.kinds) {
        Parsed::Native(mut file) => {
            let mut diagnostics = if per_file {
                check_file(&file, opts)
            } else {
                Vec::new()
            };
            let mut fixed = 0;
            if fix && per_file {
                for _ in 0..8 {
                    let fixable: Vec<_> = diagnostics
                        .iter()
                        .filter(|d| opts.enabled(d))
                        .cloned()
                        .collect();
                    let (text, n) = fix::apply(&file.source.text, &fixable);
                    if n == 0 {
                        break;
                    }
                    fixed += n;
                    file = RuleFile::parse(SourceFile::new(file.source.path.clone(), text));
                    diagnostics = check_file(&file, opts);
                }
            }
            (Parsed::Native(file), diagnostics, fixed)
        }
        Parsed::Sigma(file) => {
            let diagnostics = if per_file {
                check_sigma_file(&file, opts)
            } else {
                Vec::new()
            };
            (Parsed::Sigma(file), diagnostics, 0)
        }
    };
    let source = parsed.source();
    let suppressions = Suppressions::parse(source);
    diagnostics.retain(|d| opts.enabled(d));
    let fixable = diagnostics.iter().any(|d| {
        d.fix
            .as_ref()
            .is_some_and(|f| f.applicability == crate::diagnostic::Applicability::Safe)
    });
    diagnostics.retain(|d| !suppressions.suppresses(d, source));
    FileResult {
        parsed,
        diagnostics,
        suppressions,
        fixed,
        fixable,
    }
}

/// What the repository-wide checks need of a parsed file: one summary per rule (a Sigma
/// file may hold several documents).
fn summaries_of(path: &str, parsed: &Parsed) -> Vec<RuleSummary> {
    match parsed {
        Parsed::Native(f) => f
            .rule()
            .map(|r: &Rule| RuleSummary::from_rule(path, r))
            .into_iter()
            .collect(),
        Parsed::Sigma(f) => f
            .rules()
            .map(|r| RuleSummary::from_sigma(path, r))
            .collect(),
    }
}

/// The repository-wide facts of one file's text, without checking it: what an index of the
/// whole rule set (the language server's) keeps for the files not being edited.
pub fn summarize(source: SourceFile, opts: &Options) -> Vec<RuleSummary> {
    let path = source.path.clone();
    summaries_of(&path, &parse_source(source, &opts.kinds))
}

/// One file checked from text in memory (an editor's unsaved buffer), exactly as `run`
/// checks a file read from disk: the size limit (RF003), the per-file checks of its kind,
/// the selection, the per-path ignores and its inline suppressions. The repository-wide
/// checks are the caller's: [`check_repository`] over every file's `summaries`.
pub struct TextCheck {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub summaries: Vec<RuleSummary>,
    pub suppressions: Suppressions,
}

/// Checks `text` as the file at the repository-relative `path` (see [`TextCheck`]).
pub fn check_text(path: &str, text: String, opts: &Options) -> TextCheck {
    if let Some(too_large) = oversized(text.len(), opts) {
        let d = content_diagnostic(path, &too_large);
        return TextCheck {
            source: SourceFile::new(path, String::new()),
            diagnostics: [d].into_iter().filter(|d| opts.enabled(d)).collect(),
            summaries: Vec::new(),
            suppressions: Suppressions::default(),
        };
    }
    let r = check_parsed(SourceFile::new(path, text), opts, true, false);
    let summaries = summaries_of(path, &r.parsed);
    TextCheck {
        source: match r.parsed {
            Parsed::Native(f) => f.source,
            Parsed::Sigma(f) => f.source,
        },
        diagnostics: r.diagnostics,
        summaries,
        suppressions: r.suppressions,
    }
}

/// The text `lint --fix` would write for `text` at `path`: every safe fix applied until none
/// is left. `None` when nothing changes (or the text is over the size limit).
pub fn fix_text(path: &str, text: &str, opts: &Options) -> Option<String> {
    oversized(text.len(), opts).is_none().then_some(())?;
    let r = check_parsed(SourceFile::new(path, text), opts, true, true);
    let fixed = &r.parsed.source().text;
    (r.fixed > 0 && fixed != text).then(|| fixed.clone())
}

fn oversized(len: usize, opts: &Options) -> Option<ContentError> {
    (len as u64 > opts.max_file_size).then_some(ContentError::TooLarge {
        size: len as u64,
        limit: opts.max_file_size,
    })
}

/// Runs the enabled repository-wide checks over the whole rule set, in parallel (one task
/// per check: they are few, and unequal). Findings come back unfiltered by path scope and
/// inline suppressions, which are the caller's; the selection and per-path ignores apply.
pub fn check_repository(
    native: &[RuleSummary],
    sigma: &[RuleSummary],
    opts: &Options,
) -> Vec<Diagnostic> {
    let cx = RepoContext {
        rules: native,
        sigma,
    };
    let repo_checks: Vec<_> = registry::all()
        .iter()
        .filter(|r| opts.selection.is_enabled(r.rule))
        .filter_map(|r| match r.check {
            Check::Repo(f) => Some((r.rule.code, f)),
            _ => None,
        })
        .collect();
    repo_checks
        .par_iter()
        .with_max_len(1)
        .flat_map_iter(|(code, f)| {
            let mut out = Vec::new();
            f(&cx, &mut out);
            if crate::timings::enabled() {
                crate::timings::mark(&format!("lint: {code} done"));
            }
            out
        })
        .filter(|d| opts.enabled(d))
        .collect()
}

/// Lints `inputs`.
pub fn run(inputs: &[Input], opts: &Options) -> Result<Outcome, IoError> {
    run_with(inputs, opts, &|_| ()).map(|(o, _)| o)
}

/// Lints `inputs` and, in the same parallel pass, applies `hook` to every parsed file of
/// either kind (native files after fixes), so a caller that needs the parsed rules (the
/// bundle compiler) parses each file once. The hook results come back in input order; `None`
/// for files that could not be read.
pub fn run_with<T: Send>(
    inputs: &[Input],
    opts: &Options,
    hook: &(dyn Fn(ParsedRef<'_>) -> T + Sync),
) -> Result<(Outcome, Vec<Option<T>>), IoError> {
    crate::timings::mark("lint: start");
    // An indexed collect writes each file's result into its place; collecting straight into
    // `Result<Vec<_>>` would push every result into per-thread lists, then copy them.
    let mut results: Vec<Result<Checked<T>, IoError>> = inputs
        .par_iter()
        .map(|i| {
            let checked = process(i, opts, hook);
            crate::progress::add(1);
            checked
        })
        .collect();
    // The first error in input order, if any; otherwise the results are taken from where
    // they were written (collecting them into a `Vec<Checked>` would copy every one into
    // fresh memory).
    if let Some(k) = results.iter().position(Result::is_err) {
        return Err(results
            .swap_remove(k)
            .err()
            .expect("the result at k is an error"));
    }
    let checked = results.into_iter().map(|r| match r {
        Ok(c) => c,
        Err(_) => unreachable!("errors were returned above"),
    });
    Ok(assemble(checked, inputs, opts))
}

/// The items `second` rejects and those it accepts, each in the order given: what
/// `partition` gives with the two sides swapped, in vectors sized once (all on one side,
/// as the summaries of a repository of one kind are, keeps the vector as it is).
fn split_by<T>(items: Vec<T>, second: impl Fn(&T) -> bool) -> (Vec<T>, Vec<T>) {
    let n_second = items.iter().filter(|x| second(x)).count();
    if n_second == 0 {
        return (items, Vec::new());
    }
    if n_second == items.len() {
        return (Vec::new(), items);
    }
    let mut first = Vec::with_capacity(items.len() - n_second);
    let mut other = Vec::with_capacity(n_second);
    for x in items {
        if second(&x) {
            other.push(x);
        } else {
            first.push(x);
        }
    }
    (first, other)
}

/// The rest of a lint run once every file has had its per-file part: the findings gathered,
/// the repository-wide checks run over every file's summaries, suppressions applied to
/// theirs, and the findings sorted.
fn assemble<T>(
    checked: impl ExactSizeIterator<Item = Checked<T>>,
    inputs: &[Input],
    opts: &Options,
) -> (Outcome, Vec<Option<T>>) {
    assemble_with(checked, inputs, opts, |summaries| {
        let (native, sigma) = split_by(summaries, |s| s.kind == RuleKind::Sigma);
        let repo = check_repository(&native, &sigma, opts);
        (repo, Spare::of((native, sigma)))
    })
}

/// [`assemble`] with the repository-wide findings given by `repo` from every file's
/// summaries (in input order): the lint cache gives the stored ones. What `repo` gives
/// back to be freed later goes into the outcome.
fn assemble_with<T, I>(
    checked: I,
    inputs: &[Input],
    opts: &Options,
    repo: impl FnOnce(Vec<RuleSummary>) -> (Vec<Diagnostic>, Spare),
) -> (Outcome, Vec<Option<T>>)
where
    I: IntoIterator<Item = Checked<T>>,
    I::IntoIter: ExactSizeIterator,
{
    let checked = checked.into_iter();
    let mut extras = Vec::with_capacity(checked.len());
    let mut outcome = Outcome {
        files_checked: opts.only.as_ref().map_or(inputs.len(), |o| {
            inputs.iter().filter(|i| o.contains(&i.path)).count()
        }),
        ..Outcome::default()
    };
    let mut summaries = Vec::with_capacity(checked.len());
    let mut suppressions: HashMap<String, (Suppressions, Option<Arc<SourceFile>>)> = HashMap::new();
    for mut c in checked {
        extras.push(c.extra.take());
        if c.fixed > 0 {
            outcome.fixed += c.fixed;
            outcome.files_fixed += 1;
        }
        summaries.extend(c.summaries);
        if !c.suppressions.is_empty() {
            suppressions.insert(c.path.clone(), (c.suppressions, c.source.clone()));
        }
        if let Some(src) = c.source {
            if !c.diagnostics.is_empty() {
                outcome.sources.insert(c.path.clone(), src);
            }
        }
        outcome.diagnostics.extend(c.diagnostics);
    }
    crate::timings::mark("lint: per-file checks");
    // Repository-wide checks, once, in parallel across rules.
    let (mut repo, spare) = repo(summaries);
    outcome.spare = spare;
    // In a total order (place, code, message, span), so that findings at the same place come
    // out alike however they were found (a whole run, or the lint cache's stored findings).
    repo.sort_by(|a, b| {
        (
            a.path.as_str(),
            a.span.map(|s| s.start),
            a.code,
            a.message.as_str(),
            a.span,
        )
            .cmp(&(
                b.path.as_str(),
                b.span.map(|s| s.start),
                b.code,
                b.message.as_str(),
                b.span,
            ))
    });
    crate::timings::mark("lint: repository checks");
    // Built only when a repository-wide finding is in a file whose text is not at hand, and
    // the inputs are not sorted by path (as discovery gives them: then a binary search).
    let sorted = inputs.windows(2).all(|w| w[0].path < w[1].path);
    let mut by_path: Option<rustc_hash::FxHashMap<&str, &Input>> = None;
    for d in repo {
        if opts.only.as_ref().is_some_and(|o| !o.contains(&d.path)) {
            continue;
        }
        if let Some((s, Some(src))) = suppressions.get(&d.path) {
            if s.suppresses(&d, src) {
                continue;
            }
        }
        if !outcome.sources.contains_key(&d.path) {
            let input = if sorted {
                inputs
                    .binary_search_by(|i| i.path.as_str().cmp(&d.path))
                    .ok()
                    .map(|k| &inputs[k])
            } else {
                by_path
                    .get_or_insert_with(|| inputs.iter().map(|i| (i.path.as_str(), i)).collect())
                    .get(d.path.as_str())
                    .copied()
            };
            if let Some(input) = input {
                if let Ok(Ok(src)) = load::read(input, opts.max_file_size) {
                    outcome.sources.insert(d.path.clone(), Arc::new(src));
                }
            }
        }
        outcome.diagnostics.push(d);
    }
    outcome.diagnostics.sort_by(|a, b| {
        (a.path.as_str(), a.span.map(|s| s.start), a.code).cmp(&(
            b.path.as_str(),
            b.span.map(|s| s.start),
            b.code,
        ))
    });
    (outcome, extras)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spare keeps what it holds until it is dropped, and then frees it on another thread
    /// (a long-lived caller gets the memory back without waiting for it).
    #[test]
    fn a_spare_frees_what_it_holds_on_another_thread() {
        struct Told(std::sync::mpsc::Sender<Option<String>>);
        impl Drop for Told {
            fn drop(&mut self) {
                let by = std::thread::current().name().map(str::to_string);
                let _ = self.0.send(by);
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let spare = Spare::of(Told(tx));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(rx.try_recv().is_err(), "freed before the spare was dropped");
        drop(spare);
        let by = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("never freed");
        assert_eq!(by.as_deref(), Some("drop"));
    }

    /// A run's outcome keeps every rule summary (native and Sigma, as the repository-wide
    /// checks saw them) instead of freeing them: the caller chooses when they go.
    #[test]
    fn the_outcome_keeps_the_rule_summaries() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("a.yml", "id: a\ntitle: Same\nindicators: {}\n"),
            ("b.yml", "id: b\ntitle: same\nindicators: {}\n"),
            (
                "c.yml",
                "title: Sigma\nlogsource: {}\ndetection: {sel: {a: 1}, condition: sel}\n",
            ),
        ];
        let mut inputs = Vec::new();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            inputs.push(Input {
                path: name.to_string(),
                origin: load::Origin::Disk(path),
            });
        }
        let opts = Options::new(
            Selection::new(vec!["ALL".into()], Vec::new()),
            time::macros::date!(2026 - 01 - 01),
        );
        let outcome = run(&inputs, &opts).unwrap();
        assert!(outcome.diagnostics.iter().any(|d| d.code == "RF404"));
        let kept = outcome.spare.0.as_ref().expect("nothing kept");
        let (native, sigma) = kept
            .downcast_ref::<(Vec<RuleSummary>, Vec<RuleSummary>)>()
            .expect("not the summaries");
        let paths = |v: &[RuleSummary]| v.iter().map(|s| s.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(native), ["a.yml", "b.yml"]);
        assert_eq!(paths(sigma), ["c.yml"]);
    }

    #[test]
    fn split_by_kind_is_partition() {
        // Every mix of two kinds up to 8 items: the same two lists, in the same order, as
        // `Iterator::partition` (whose sides are swapped).
        for n in 0..=8u32 {
            for mask in 0..(1u32 << n) {
                let items: Vec<(u32, bool)> = (0..n).map(|i| (i, mask >> i & 1 == 1)).collect();
                let (b, a): (Vec<_>, Vec<_>) = items.clone().into_iter().partition(|x| x.1);
                assert_eq!(split_by(items, |x| x.1), (a, b), "n {n} mask {mask:b}");
            }
        }
    }

    /// The loader finds problems by kind; lint reports each kind under its own code.
    #[test]
    fn loader_problems_map_to_their_codes() {
        let cases = [
            ("a: [\n", "RF001"),
            ("a: 1\na: 2\n", "RF002"),
            ("# nothing\n", "RF005"),
            ("a:\n\tb: 1\n", "RF007"),
            ("a: 1\n---\nb: 2\n", "RF008"),
        ];
        for (text, code) in cases {
            let source = SourceFile::new("a.yml", text);
            let e = crate::yaml::parse(&source).unwrap_err();
            let d = load_diagnostic(&source, &e);
            assert_eq!(d.code, code, "{text:?}");
            assert_eq!(d.span, Some(e.span));
        }
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for c in b'b'..=b'l' {
            let (prev, cur) = ((c - 1) as char, c as char);
            bomb.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let source = SourceFile::new("a.yml", bomb);
        let e = crate::yaml::parse(&source).unwrap_err();
        assert_eq!(load_diagnostic(&source, &e).code, "RF006");

        let too_large = ContentError::TooLarge { size: 9, limit: 8 };
        let d = content_diagnostic("a.yml", &too_large);
        assert_eq!((d.code, d.span), ("RF003", None));
        let (bad, _) = load::decode("a.yml", b"a: \xff\n".to_vec()).unwrap_err();
        let d = content_diagnostic("a.yml", &bad);
        assert_eq!((d.code, d.span), ("RF004", bad.span()));
    }

    #[test]
    fn a_duplicate_key_names_its_first_place() {
        let source = SourceFile::new("a.yml", "a: 1\nb: 2\na: 3\n");
        let e = crate::yaml::parse(&source).unwrap_err();
        let d = load_diagnostic(&source, &e);
        assert!(
            d.message.ends_with("(first defined on line 1)"),
            "{}",
            d.message
        );
        assert_eq!(d.related.len(), 1);
        assert_eq!(d.related[0].span, e.other);
    }
}
