//! How to lint: the selection of rules, per-path ignores, the size limit, the kinds of
//! files, and the options of one run. Built from `ruleforge.toml` by [`Options::from_config`]
//! (every command that lints builds them there, so they agree), which also checks the
//! configuration's rule selectors against the registry.

use super::registry::{self, Selection, UnknownSelector};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::kind::KindPatterns;
use std::collections::HashSet;
use time::Date;

/// How to lint.
#[derive(Clone)]
pub struct Options {
    pub selection: Selection,
    /// (glob over repository-relative paths, codes ignored there)
    pub per_path_ignores: Vec<(globset::GlobMatcher, Vec<String>)>,
    pub max_file_size: u64,
    pub today: Date,
    /// Apply safe fixes and write the files back.
    pub fix: bool,
    /// When set, only these paths get per-file checks and findings; repository-wide checks
    /// still see every rule (`--changed-since`).
    pub only: Option<HashSet<String>>,
    /// `[kinds]` of `ruleforge.toml`: which paths hold which kind of rule.
    pub kinds: KindPatterns,
}

/// Rule selectors given on the command line, applied over the configuration's.
#[derive(Debug, Clone, Default)]
pub struct SelectorArgs {
    /// Replaces `lint.select` when not empty (`--select`).
    pub select: Vec<String>,
    /// Added to the selection (`--extend-select`); over the default set when nothing else
    /// selects.
    pub extend_select: Vec<String>,
    /// Added to `lint.ignore` (`--ignore`).
    pub ignore: Vec<String>,
}

/// Why lint options could not be made from a configuration (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// A selector of the configuration file (`select`, `ignore`, `per-path-ignores`) is not
    /// `ALL`, a code or a code prefix; `origin` names the file.
    #[error("{origin}: {selector}")]
    ConfigSelector {
        origin: String,
        selector: UnknownSelector,
    },
    /// A selector given on the command line is not `ALL`, a code or a code prefix.
    #[error(transparent)]
    Selector(UnknownSelector),
    /// A glob of `[kinds]` or `per-path-ignores` does not compile (the configuration
    /// checks them when it is read, so this names what was built by hand).
    #[error("{origin}: invalid {table} pattern: {error}")]
    Pattern {
        origin: String,
        table: &'static str,
        error: globset::Error,
    },
}

impl OptionsError {
    /// The process exit code for this error: 2, a usage or configuration error.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Checks every rule selector of a configuration (`lint.select`, `lint.ignore`,
/// `lint.per-path-ignores`) against the registry. Commands that do not lint call it too, so
/// a configuration `lint` would reject is rejected everywhere.
pub fn check_config(cfg: &Config) -> Result<(), OptionsError> {
    for code in cfg
        .lint
        .select
        .iter()
        .chain(&cfg.lint.ignore)
        .chain(cfg.lint.per_path_ignores.values().flatten())
    {
        registry::check_selector(code).map_err(|selector| OptionsError::ConfigSelector {
            origin: origin(cfg),
            selector,
        })?;
    }
    Ok(())
}

fn origin(cfg: &Config) -> String {
    cfg.origin
        .clone()
        .unwrap_or_else(|| crate::config::FILE_NAME.to_string())
}

impl Options {
    /// Options with `selection` and every other setting at its default.
    pub fn new(selection: Selection, today: Date) -> Self {
        Options {
            selection,
            per_path_ignores: Vec::new(),
            max_file_size: crate::config::DEFAULT_MAX_FILE_SIZE,
            today,
            fix: false,
            only: None,
            kinds: KindPatterns::default(),
        }
    }

    /// The options a configuration gives: selection and ignores, per-path ignores, the size
    /// limit and `[kinds]`. `today` is the date for date checks.
    pub fn from_config(cfg: &Config, today: Date) -> Result<Self, OptionsError> {
        Self::from_config_with(cfg, &SelectorArgs::default(), today)
    }

    /// [`Options::from_config`], with command-line selectors over the configuration's.
    pub fn from_config_with(
        cfg: &Config,
        args: &SelectorArgs,
        today: Date,
    ) -> Result<Self, OptionsError> {
        check_config(cfg)?;
        for sel in args
            .select
            .iter()
            .chain(&args.ignore)
            .chain(&args.extend_select)
        {
            registry::check_selector(sel).map_err(OptionsError::Selector)?;
        }
        let mut select = if args.select.is_empty() {
            cfg.lint.select.clone()
        } else {
            args.select.clone()
        };
        if !args.extend_select.is_empty() {
            if select.is_empty() {
                select = registry::all_rules()
                    .filter(|r| r.default_enabled)
                    .map(|r| r.code.to_string())
                    .collect();
            }
            select.extend(args.extend_select.iter().cloned());
        }
        let mut ignore = cfg.lint.ignore.clone();
        ignore.extend(args.ignore.iter().cloned());
        let mut opts = Options::new(Selection::new(select, ignore), today);
        opts.max_file_size = cfg.lint.max_file_size;
        opts.kinds = KindPatterns::new(&cfg.kinds.sigma, &cfg.kinds.native).map_err(|error| {
            OptionsError::Pattern {
                origin: origin(cfg),
                table: "kinds",
                error,
            }
        })?;
        for (pat, codes) in &cfg.lint.per_path_ignores {
            let glob = globset::Glob::new(pat).map_err(|error| OptionsError::Pattern {
                origin: origin(cfg),
                table: "per-path-ignores",
                error,
            })?;
            opts.per_path_ignores
                .push((glob.compile_matcher(), codes.clone()));
        }
        Ok(opts)
    }

    /// Every setting that shapes what the per-file part of a lint finds in a file, in a
    /// fixed order: the enabled rules, the per-path ignores, the size limit, `[kinds]` and
    /// the date the date checks compare with. The lint cache keys its entries on it (`fix`
    /// and `only` are the run's, not the file's, and are handled by the cache itself).
    pub fn settings_key(&self) -> String {
        use std::fmt::Write;
        let mut key = String::from("enabled");
        for r in registry::all_rules().filter(|r| self.selection.is_enabled(r)) {
            key.push(' ');
            key.push_str(r.code);
        }
        for (glob, codes) in &self.per_path_ignores {
            let _ = write!(
                key,
                "\nper-path-ignore {:?} {:?}",
                glob.glob().glob(),
                codes
            );
        }
        let (sigma, native) = self.kinds.patterns();
        let _ = write!(
            key,
            "\nmax-file-size {}\nkinds sigma {sigma:?} native {native:?}\ntoday {}",
            self.max_file_size, self.today
        );
        key
    }

    /// Whether `d` survives the selection and the per-path ignores.
    pub fn enabled(&self, d: &Diagnostic) -> bool {
        self.selection.is_code_enabled(d.code)
            && !self.per_path_ignores.iter().any(|(g, codes)| {
                g.is_match(&d.path)
                    && codes
                        .iter()
                        .any(|c| c == "ALL" || d.code.starts_with(c.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::RuleKind;
    use std::path::Path;

    fn today() -> Date {
        time::macros::date!(2026 - 01 - 01)
    }

    #[test]
    fn config_selectors_are_checked_and_name_the_file() {
        let cfg = Config::parse(
            "[lint]\nselect = [\"XX9\"]\n",
            Path::new("x/ruleforge.toml"),
        )
        .expect("the configuration itself is well formed");
        let e = Options::from_config(&cfg, today())
            .err()
            .expect("an unknown selector");
        assert_eq!(
            e.to_string(),
            "x/ruleforge.toml: unknown rule code or prefix `XX9` (see `ruleforge rule --all`)"
        );
        for bad in [
            "[lint]\nignore = [\"RF9\"]\n",
            "[lint.per-path-ignores]\n\"a/**\" = [\"rf201\"]\n",
        ] {
            let cfg = Config::parse(bad, Path::new("c.toml")).unwrap();
            assert!(check_config(&cfg).is_err(), "{bad}");
        }
    }

    #[test]
    fn command_line_selectors_come_after_the_configuration() {
        let cfg = Config::parse(
            "[lint]\nselect = [\"RF2\"]\nignore = [\"RF205\"]\n",
            Path::new("c"),
        )
        .unwrap();
        let args = SelectorArgs {
            select: vec![],
            extend_select: vec!["RF101".into()],
            ignore: vec!["RF201".into()],
        };
        let o = Options::from_config_with(&cfg, &args, today()).unwrap();
        assert!(o.selection.is_code_enabled("RF202"));
        assert!(o.selection.is_code_enabled("RF101"));
        assert!(!o.selection.is_code_enabled("RF205"));
        assert!(!o.selection.is_code_enabled("RF201"));
        assert!(!o.selection.is_code_enabled("RF301"));
        let args = SelectorArgs {
            select: vec!["XX1".into()],
            ..SelectorArgs::default()
        };
        let e = Options::from_config_with(&cfg, &args, today())
            .err()
            .unwrap();
        assert!(matches!(e, OptionsError::Selector(_)), "{e:?}");
    }

    /// Every command that lints (lint, diff --check, bundle) builds its options here: they
    /// carry `[kinds]`, the size limit and the per-path ignores, not only the selection.
    #[test]
    fn options_carry_kinds_size_limit_and_per_path_ignores() {
        let cfg = Config::parse(
            "[lint]\nmax-file-size = 1000\n[lint.per-path-ignores]\n\"legacy/**\" = [\"RF113\"]\n[kinds]\nsigma = [\"detections/**\"]\n",
            Path::new("c"),
        )
        .unwrap();
        let o = Options::from_config(&cfg, today()).unwrap();
        assert_eq!(o.kinds.for_path("detections/a.yml"), Some(RuleKind::Sigma));
        assert_eq!(o.kinds.for_path("rules/a.yml"), None);
        assert_eq!(o.max_file_size, 1000);
        let rule = &crate::lint::rules::rf113_file_name_convention::RULE;
        assert!(!o.enabled(&rule.diagnostic("legacy/A.yml", None, "m")));
        assert!(o.enabled(&rule.diagnostic("rules/A.yml", None, "m")));
    }
}
