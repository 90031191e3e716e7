//! One test per lint rule, run in-process through the library (`cargo test --test lint_rules
//! RF201` runs one; a failing rule does not hide the others).
//!
//! Each rule with a fixture has `tests/fixtures/lint/<CODE>/fires/`, which must produce the
//! code, and `clean/`, which must produce no finding at all with every rule selected. The text
//! output of each `fires` case is snapshot-tested, rendered as `ruleforge lint --select ALL`
//! renders it, so a reviewer sees exactly what a user sees. The policy rules (RF5xx) compare
//! two revisions: their tests build one git history in which all of them fire.
//!
//! Fixes are checked the way ruff's test harness checks them: every safe fix is applied, the
//! files are linted again and fixed again until no safe fix is left (within the bound
//! `lint --fix` uses); no pass may add a structural finding (RF0xx: the file no longer parses
//! or no longer fits the schema); `lint --fix` must leave the same bytes; and a rule emits safe
//! fixes if and only if the registry marks it `fixable`.

mod common;

use common::diff::{id, path, rule};
use common::GitRepo;
use ruleforge::config::Config;
use ruleforge::diagnostic::{Applicability, Diagnostic, Severity};
use ruleforge::lint::registry::{self, Check};
use ruleforge::lint::{self, Options, Outcome, SelectorArgs};
use ruleforge::report::{self, Counts, Sources};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One `#[test]` per code in module `$tests`, each calling `$check(code)`, and the list of
/// the codes as `$list` (the meta-test keeps it equal to the fixture folders and the registry).
macro_rules! one_test_per_code {
    ($tests:ident, $list:ident, $check:ident: $($code:ident)*) => {
        mod $tests {
            $(
                #[test]
                #[allow(non_snake_case)]
                fn $code() {
                    super::$check(stringify!($code));
                }
            )*
        }
        const $list: &[&str] = &[$(stringify!($code)),*];
    };
}

// The rules with fixtures: each code's `fires` and `clean` cases.
one_test_per_code! { fixture, FIXTURE_CODES, check_fixtures:
    RF001 RF002 RF003 RF004 RF005 RF006 RF007 RF008 RF010
    RF101 RF102 RF103 RF104 RF105 RF106 RF107 RF108 RF109 RF110 RF111 RF112 RF113 RF114 RF115
    RF201 RF202 RF203 RF204 RF205 RF206
    RF301 RF302 RF303
    RF401 RF402 RF403 RF404
    RF600 RF601 RF602 RF603 RF604 RF605 RF606 RF607
    RF610 RF611 RF612 RF613 RF614 RF615 RF616 RF617 RF618 RF619
    RF620 RF621 RF622 RF623 RF624 RF625 RF626 RF627 RF628 RF629 RF630 RF631 RF632
    RF635 RF636 RF637
    RF640 RF641 RF642 RF643 RF644 RF645 RF646 RF647 RF648 RF649 RF650 RF651
    RF655 RF656 RF657 RF658 RF659 RF660 RF661
    RF665 RF666 RF667
    RF690 RF691 RF692 RF693 RF694 RF695
}

// The policy rules: each code on the same git history (`policy_history`).
one_test_per_code! { policy, POLICY_CODES, check_policy:
    RF501 RF502 RF503 RF504 RF505
}

/// At most this many rounds of fixes, as `lint --fix` (src/lint/mod.rs) applies.
const MAX_FIX_PASSES: usize = 8;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Copies a fixture case into a fresh repository root: `ruleforge.toml` at the root, the
/// rule files (and sub-folders, for checks that look at folders) under `rules/`.
fn stage(code: &str, case: &str) -> tempfile::TempDir {
    let from = fixtures().join(code).join(case);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("ruleforge.toml"), "").unwrap();
    let entries = std::fs::read_dir(&from)
        .unwrap_or_else(|e| panic!("{code}: no fixture {}: {e}", from.display()));
    for entry in entries {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        let dest = if name == "ruleforge.toml" {
            dir.path().join(name)
        } else {
            dir.path().join("rules").join(name)
        };
        copy_tree(&p, &dest);
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let p = entry.unwrap().path();
            copy_tree(&p, &to.join(p.file_name().unwrap()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// Every file under `root` (but `.git`), by path: to compare two trees.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            } else if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The options of `ruleforge lint --select ALL` run at `root` under configuration `cfg`.
fn options(cfg: &Config) -> Options {
    let select_all = SelectorArgs {
        select: vec!["ALL".into()],
        ..SelectorArgs::default()
    };
    Options::from_config_with(cfg, &select_all, today()).unwrap()
}

/// What `ruleforge lint --select ALL` run at a repository root finds and prints.
struct Linted {
    outcome: Outcome,
    /// The exit status the command would have.
    status: u8,
}

impl Linted {
    /// `--output-format json`, parsed.
    fn json(&self) -> Vec<Value> {
        let text = report::json::render(&self.outcome.diagnostics, &self.outcome.sources);
        serde_json::from_str(&text).unwrap()
    }

    /// `--output-format text`, without colours.
    fn text(&self) -> String {
        report::text::render(
            &self.outcome.diagnostics,
            &self.outcome.sources,
            &Counts::of(&self.outcome),
            false,
        )
    }
}

/// Runs `ruleforge lint --select ALL` (with `--fix` when `fix`) at `root`, in-process.
fn lint_root(root: &Path, fix: bool) -> Linted {
    let root = root.canonicalize().unwrap();
    let cfg = Config::load(&root).unwrap();
    let mut opts = options(&cfg);
    opts.fix = fix;
    let paths: Vec<PathBuf> = cfg.lint.roots.iter().map(|r| root.join(r)).collect();
    let inputs = ruleforge::load::discover(&root, &paths).unwrap();
    let outcome = lint::run(&inputs, &opts).unwrap();
    let status = u8::from(Counts::of(&outcome).fails(cfg.lint.deny_warnings));
    Linted { outcome, status }
}

fn safe_fix(d: &Diagnostic) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| f.applicability == Applicability::Safe)
}

fn rule_of(code: &str) -> &'static registry::LintRule {
    registry::lookup(code).unwrap_or_else(|| panic!("{code} is not in the registry"))
}

/// A rule not marked `fixable` never emits a safe fix (`case` names where it was seen).
fn assert_fixable_flags(case: &str, diagnostics: &[Diagnostic]) {
    for d in diagnostics.iter().filter(|d| safe_fix(d)) {
        assert!(
            rule_of(d.code).fixable,
            "{}: {} emits a safe fix (\"{}\") but the registry does not mark it fixable",
            case,
            d.code,
            d.fix.as_ref().unwrap().message
        );
    }
}

/// A rule marked `fixable` offers a safe fix on at least one of its findings in its case.
fn assert_fix_offered(code: &str, hits: &[&Diagnostic]) {
    if rule_of(code).fixable {
        assert!(
            hits.iter().any(|d| safe_fix(d)),
            "{code} is marked fixable in the registry, but none of its findings in its fixture \
             carries a safe fix"
        );
    }
}

/// The structural findings (RF0xx: unreadable, not YAML, not fitting the schema) at `root`.
fn structural(root: &Path) -> BTreeSet<(String, &'static str)> {
    lint_root(root, false)
        .outcome
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with("RF0"))
        .map(|d| (d.path.clone(), d.code))
        .collect()
}

/// Applies the safe fixes that `find` reports for the tree at `root`, and again on the result,
/// until none is left; fails if that takes more than [`MAX_FIX_PASSES`] rounds or if a round
/// adds a structural finding. Returns the number of rounds that changed something.
fn apply_fixes_until_done(
    case: &str,
    root: &Path,
    find: &dyn Fn() -> (Vec<Diagnostic>, Sources),
) -> usize {
    let before = structural(root);
    for pass in 0..=MAX_FIX_PASSES {
        let (diagnostics, sources) = find();
        assert_fixable_flags(case, &diagnostics);
        let fixable: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| safe_fix(d))
            .cloned()
            .collect();
        if fixable.is_empty() {
            return pass;
        }
        let shown = report::text::render(&fixable, &sources, &counts_of(&fixable), false);
        assert!(
            pass < MAX_FIX_PASSES,
            "{case}: the fixes do not converge: after {MAX_FIX_PASSES} rounds these findings \
             still carry a safe fix:\n{shown}"
        );
        let mut by_path: BTreeMap<&str, Vec<Diagnostic>> = BTreeMap::new();
        for d in &fixable {
            by_path.entry(d.path.as_str()).or_default().push(d.clone());
        }
        for (rel, list) in &by_path {
            let file = root.join(rel);
            let text = std::fs::read_to_string(&file).unwrap();
            let (fixed, applied) = lint::fix::apply(&text, list);
            assert!(
                applied > 0,
                "{case}: no fix of {rel} could be applied:\n{shown}"
            );
            std::fs::write(&file, &fixed).unwrap();
        }
        let after = structural(root);
        let broken: Vec<_> = after.difference(&before).collect();
        if !broken.is_empty() {
            let texts: String = by_path
                .keys()
                .map(|rel| {
                    format!(
                        "--- {rel} after the fixes:\n{}\n",
                        std::fs::read_to_string(root.join(rel)).unwrap()
                    )
                })
                .collect();
            panic!(
                "{case}: the fixes left a file that no longer parses or fits the schema: \
                 {broken:?}\nfixes applied:\n{shown}\n{texts}"
            );
        }
    }
    unreachable!("the loop returns or fails within its bound")
}

/// Summary counts for showing `diagnostics` in a failure message (files: the files they name).
fn counts_of(diagnostics: &[Diagnostic]) -> Counts {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    Counts {
        files: diagnostics
            .iter()
            .map(|d| d.path.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        fixed: 0,
        fixable: diagnostics.iter().filter(|d| safe_fix(d)).count(),
    }
}

/// The checks of one code with fixtures: see the module documentation.
fn check_fixtures(code: &str) {
    let rule = rule_of(code);

    // `fires`: the code is found, with the rule's severity, at a real place.
    let fires = stage(code, "fires");
    let linted = lint_root(fires.path(), false);
    let json = linted.json();
    let hits: Vec<&Value> = json.iter().filter(|d| d["code"] == code).collect();
    assert!(
        !hits.is_empty(),
        "{code}: expected a finding, got {}",
        serde_json::to_string_pretty(&json).unwrap()
    );
    let any_error = json.iter().any(|d| d["severity"] == "error");
    assert_eq!(linted.status, u8::from(any_error), "{code}: exit status");
    if rule.severity == Severity::Error {
        assert_eq!(linted.status, 1, "{code} is an error: exit 1");
    }
    for h in hits {
        assert_eq!(h["severity"], rule.severity.as_str(), "{code}");
        assert!(h["line"].as_u64().unwrap() >= 1 && h["column"].as_u64().unwrap() >= 1);
    }

    // Fixes: offered exactly by the rules marked fixable, converging, leaving files that parse,
    // and what `lint --fix` writes.
    let diagnostics = &linted.outcome.diagnostics;
    assert_fixable_flags(code, diagnostics);
    let own: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    assert_fix_offered(code, &own);
    if diagnostics.iter().any(safe_fix) {
        let fixed = stage(code, "fires");
        let find = || {
            let l = lint_root(fixed.path(), false);
            (l.outcome.diagnostics, l.outcome.sources)
        };
        let rounds = apply_fixes_until_done(code, fixed.path(), &find);
        assert!(
            rounds >= 1,
            "{code}: safe fixes were offered but none applied"
        );
        let by_lint_fix = stage(code, "fires");
        let linted = lint_root(by_lint_fix.path(), true);
        assert!(
            linted.outcome.fixed > 0,
            "{code}: `lint --fix` fixed nothing"
        );
        assert!(
            files(by_lint_fix.path()) == files(fixed.path()),
            "{code}: `lint --fix` leaves other bytes than applying every safe fix until none \
             is left"
        );
    }

    // What a user sees.
    let out = linted.text();
    insta::with_settings!({filters => vec![(r"today is \d{4}-\d{2}-\d{2}", "today is [DATE]")]}, {
        insta::assert_snapshot!(code, out);
    });

    // `clean`: nothing at all, with every rule selected.
    let clean = stage(code, "clean");
    let linted = lint_root(clean.path(), false);
    assert!(
        linted.outcome.diagnostics.is_empty(),
        "{code}: clean fixture has findings:\n{}",
        linted.text()
    );
    assert_eq!(linted.status, 0, "{code}");
    assert_fixable_flags(code, &linted.outcome.diagnostics);
}

/// A history in which every policy rule fires: native rules 1 to 5 and a Sigma rule at the
/// base revision (5 stable), then in the working tree rule 1 changed without moving
/// `modified` (RF501), rule 2 given another id (RF502), rule 3 deleted while not deprecated
/// (RF503), rule 4's `created` changed (RF504), rule 5 demoted from stable (RF505), and the
/// Sigma rule's detection and `date` changed without moving `modified` (RF501, RF504).
fn policy_history() -> (GitRepo, String) {
    let mut repo = GitRepo::new();
    repo.write("ruleforge.toml", "");
    for n in 1..=5 {
        repo.write(&path(n), &rule(n, if n == 5 { "stable" } else { "test" }));
    }
    let sigma = "rules/proc_creation_win_webserver_whoami.yml";
    repo.write(
        sigma,
        &common::SIGMA_WHOAMI.replace(
            "date: 2024-03-01\n",
            "date: 2024-03-01\nmodified: 2024-03-02\n",
        ),
    );
    let base = repo.commit("base");
    repo.edit(sigma, |t| {
        t.replace("date: 2024-03-01", "date: 2024-02-01")
            .replace("whoami.exe'", "quser.exe'")
    });
    repo.edit(&path(1), |t| {
        t.replace("severity: medium", "severity: high")
    });
    repo.edit(&path(2), |t| t.replace(&id(2), &id(99)));
    repo.remove(&path(3));
    repo.edit(&path(4), |t| {
        t.replace("created: 2024-01-01", "created: 2023-06-01")
    });
    repo.edit(&path(5), |t| t.replace("status: stable", "status: test"));
    (repo, base)
}

/// The policy findings between `base` and the working tree, as `lint --base BASE --select
/// ALL` finds them, with the sources to show them.
fn policy_findings(root: &Path, base: &str) -> (Vec<Diagnostic>, Sources) {
    let root = root.canonicalize().unwrap();
    let cfg = Config::load(&root).unwrap();
    let opts = options(&cfg);
    let git = ruleforge::git::open_for_comparison(&root).unwrap();
    let diff_opts = ruleforge::diff::Options {
        roots: cfg.lint.roots.clone(),
        prefix: ruleforge::diff::prefix_for(&git, &root),
        max_file_size: cfg.lint.max_file_size,
        kinds: opts.kinds.clone(),
    };
    let policy_opts = ruleforge::policy::Options::from_config(&cfg.policy, opts.today);
    let diff = ruleforge::diff::compute(&git, base, None, &diff_opts).unwrap();
    ruleforge::policy::run(&diff, &policy_opts, &opts)
}

/// The checks of one policy code: it fires with its severity; fixes as for fixture codes.
fn check_policy(code: &str) {
    let rule = rule_of(code);
    let (repo, base) = policy_history();
    let (diagnostics, sources) = policy_findings(repo.path(), &base);
    let own: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    let shown = report::text::render(&diagnostics, &sources, &counts_of(&diagnostics), false);
    assert!(!own.is_empty(), "{code}: expected a finding, got:\n{shown}");
    for d in &own {
        assert_eq!(d.severity, rule.severity, "{code}");
    }
    assert_fixable_flags(code, &diagnostics);
    assert_fix_offered(code, &own);
    if own.iter().any(|d| safe_fix(d)) {
        let find = || policy_findings(repo.path(), &base);
        apply_fixes_until_done(code, repo.path(), &find);
        let (left, _) = find();
        assert!(
            !left.iter().any(|d| d.code == code),
            "{code}: still reported after its fixes were applied"
        );
    }
}

#[test]
fn every_rule_has_a_fixture() {
    let have: BTreeSet<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = FIXTURE_CODES.iter().map(|c| c.to_string()).collect();
    let unlisted: Vec<_> = have.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&have).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "fixture folders not listed for `fixture`: {unlisted:?}; listed without a folder: \
         {missing:?}"
    );
    let diff_tests =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff.rs"))
            .unwrap();
    for reg in registry::all() {
        let r = reg.rule;
        if matches!(reg.check, Check::Policy) {
            // Policy rules compare two revisions: their tests build git histories.
            assert!(
                diff_tests.contains(r.code),
                "{} ({}) is not exercised in tests/diff.rs",
                r.code,
                r.name
            );
            assert!(
                POLICY_CODES.contains(&r.code),
                "{} ({}) is not listed for `policy`",
                r.code,
                r.name
            );
            continue;
        }
        assert!(
            have.contains(r.code),
            "{} ({}) has no fixture in tests/fixtures/lint",
            r.code,
            r.name
        );
    }
    for code in POLICY_CODES {
        assert!(
            matches!(
                registry::all()
                    .iter()
                    .find(|r| r.rule.code == *code)
                    .map(|r| r.check),
                Some(Check::Policy)
            ),
            "{code} is listed for `policy` but is not a policy rule"
        );
    }
}

#[test]
fn every_rule_is_documented() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lint.md"))
        .unwrap();
    for r in registry::all_rules() {
        let row = format!("| {} | `{}` |", r.code, r.name);
        assert!(
            doc.contains(&row),
            "docs/lint.md lacks the row for {} ({})",
            r.code,
            r.name
        );
    }
}
