//! Zeek: an Intel framework input file, `zeek/ruleforge.intel`.
//!
//! What it can express: single values seen on the wire, each matched on its own (an intel
//! item is an OR of everything loaded). So a rule is exported when every AND-term of its
//! condition is one group with one type; the values of that type become items. A term that
//! ANDs several groups or types is left out (the rule is `partial`, or `skipped` when
//! nothing is left).
//!
//! | ruleforge type | Intel type | faithful? |
//! |----------------|------------|-----------|
//! | `ip` | `Intel::ADDR` (one address), `Intel::SUBNET` (a network) | yes |
//! | `domain` (exact) | `Intel::DOMAIN` | yes (Zeek lower-cases; ruleforge compares lower-case) |
//! | `md5`, `sha1`, `sha256` | `Intel::FILE_HASH` | yes (lower-case hex) |
//! | `file_name` (exact) | `Intel::FILE_NAME` | yes (both sides case-insensitive) |
//! | `email` | `Intel::EMAIL` | yes (both sides lower-cased) |
//! | `url` (exact, `http://` only) | `Intel::URL` (no scheme) | only with `--approximate`: Zeek lower-cases the whole URL, ruleforge compares the path as written |
//! | `user_agent` (exact) | `Intel::SOFTWARE` | only with `--approximate`: Zeek lower-cases, ruleforge's user-agent match is case-sensitive |
//!
//! Not expressible: globs, `regex:` values and `*.` subdomains (the Intel framework only
//! compares whole strings), and the host-side types (`file_path`, `process_name`,
//! `command_line`, `registry_path`, `url_path`), which Zeek does not observe.
//!
//! Fields: `indicator`, `indicator_type`, `meta.source` = `<producer>:<rule id>` (one source
//! per rule, so the same value in two rules stays two items and a hit names its rule),
//! `meta.desc` = the rule title, `meta.url` = the rule's first reference or `-`. No Zeek can
//! be installed on the build machines, so the tests check this documented format with a
//! parser of their own.

use super::model::{ExportRule, Pattern};
use super::report::{Omitted, Reason, Skip};
use super::{sigma_skipped, terms_or_skip, ExportSet, Options, RuleOutcome, TargetOutput};
use crate::indicator::IndicatorType;

pub const FILE_NAME: &str = "ruleforge.intel";

pub const NOT_OBSERVED: Reason = Reason {
    code: "zeek-not-observed",
    sentence: "Zeek does not observe this indicator type on the network",
};
pub const PATTERN: Reason = Reason {
    code: "zeek-pattern",
    sentence: "the Intel framework compares whole strings: globs, regular expressions and `*.` subdomains cannot be expressed",
};
pub const AND_TERM: Reason = Reason {
    code: "zeek-and",
    sentence: "intel items match one value each: a condition term that needs several groups or types at once cannot be expressed",
};
pub const CASE: Reason = Reason {
    code: "zeek-case-approximation",
    sentence: "Zeek lower-cases intel strings, which would widen this case-sensitive match; pass --approximate to export it anyway",
};
pub const URL_SCHEME: Reason = Reason {
    code: "zeek-url-scheme",
    sentence: "Zeek sees only plain-HTTP URLs, written without the scheme: only `http://` URLs can be exported",
};
pub const FIELD: Reason = Reason {
    code: "zeek-field",
    sentence:
        "the value contains a tab, a line break or is `-`, which the Intel file format cannot carry",
};

pub const REASONS: [Reason; 6] = [NOT_OBSERVED, PATTERN, AND_TERM, CASE, URL_SCHEME, FIELD];

/// One intel line: (indicator, Intel type).
type Item = (String, &'static str);

/// The Intel item of one value, or why there is none (and the approximation note, if any).
fn item(ty: IndicatorType, p: &Pattern, opts: &Options) -> Result<(Item, Option<String>), Skip> {
    use IndicatorType::*;
    if matches!(
        ty,
        FilePath | ProcessName | CommandLine | RegistryPath | UrlPath
    ) {
        return Err(Skip::with(NOT_OBSERVED, format!("`{}`", ty.name())));
    }
    let exact = match p {
        Pattern::Exact(v) => v,
        _ => {
            return Err(Skip::with(
                PATTERN,
                format!("`{}` value `{}`", ty.name(), p.rule_text()),
            ))
        }
    };
    let unsafe_field = |s: &str| s == "-" || s.is_empty() || s.contains(['\t', '\n', '\r']);
    let (indicator, intel, note) = match ty {
        Ip if exact.contains('/') => (exact.clone(), "Intel::SUBNET", None),
        Ip => (exact.clone(), "Intel::ADDR", None),
        Domain => (exact.clone(), "Intel::DOMAIN", None),
        Md5 | Sha1 | Sha256 => (exact.to_ascii_lowercase(), "Intel::FILE_HASH", None),
        FileName => (exact.clone(), "Intel::FILE_NAME", None),
        Email => (exact.clone(), "Intel::EMAIL", None),
        Url => {
            let Some(rest) = exact.strip_prefix("http://") else {
                return Err(Skip::with(URL_SCHEME, format!("`{exact}`")));
            };
            if !opts.approximate {
                return Err(Skip::with(CASE, format!("`url` value `{exact}`")));
            }
            (
                rest.to_string(),
                "Intel::URL",
                Some(format!(
                    "`{exact}`: Zeek compares URLs lower-cased, so other spellings of the path match too"
                )),
            )
        }
        UserAgent => {
            if !opts.approximate {
                return Err(Skip::with(CASE, format!("`user_agent` value `{exact}`")));
            }
            (
                exact.clone(),
                "Intel::SOFTWARE",
                Some(format!(
                    "`{exact}`: Zeek compares user agents lower-cased, ruleforge case-sensitively"
                )),
            )
        }
        FilePath | ProcessName | CommandLine | RegistryPath | UrlPath => {
            unreachable!("refused above")
        }
    };
    if unsafe_field(&indicator) {
        return Err(Skip::with(
            FIELD,
            format!("`{}` value `{exact}`", ty.name()),
        ));
    }
    Ok(((indicator, intel), note))
}

/// Intel fields are tab-separated: tabs and line breaks in text become spaces; an empty
/// field is `-`.
fn field(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = s.trim();
    if s.is_empty() {
        "-".to_string()
    } else {
        s.to_string()
    }
}

fn export_rule(rule: &ExportRule, opts: &Options, lines: &mut Vec<String>) -> RuleOutcome {
    let terms = match terms_or_skip(rule) {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let mut omitted = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut notes = Vec::new();
    for term in &terms {
        let group = (term.len() == 1)
            .then(|| &rule.groups[&term[0]])
            .filter(|g| g.len() == 1);
        let Some(group) = group else {
            omitted.push(Omitted {
                groups: term.clone(),
                skip: Skip::with(AND_TERM, term.join(" and ")),
            });
            continue;
        };
        let (ty, patterns) = group.iter().next().expect("one type");
        for p in patterns {
            match item(*ty, p, opts) {
                Ok((it, note)) => {
                    items.push(it);
                    notes.extend(note);
                }
                Err(skip) => omitted.push(Omitted {
                    groups: term.clone(),
                    skip,
                }),
            }
        }
    }
    if items.is_empty() {
        let skip = match omitted.first() {
            Some(o) if omitted.iter().all(|x| x.skip.code == o.skip.code) => o.skip.clone(),
            _ => Skip::new(super::report::common::NOTHING_EXPRESSIBLE),
        };
        return RuleOutcome::skipped(&rule.id, &rule.path, skip);
    }
    items.sort();
    items.dedup();
    let source = field(&format!("{}:{}", opts.producer, rule.id));
    let desc = field(&rule.title);
    let url = field(rule.references.first().map(String::as_str).unwrap_or(""));
    for (indicator, intel) in items {
        lines.push(format!("{indicator}\t{intel}\t{source}\t{desc}\t{url}"));
    }
    let mut outcome = RuleOutcome::with_omitted(&rule.id, &rule.path, omitted);
    outcome.approximations = notes;
    outcome
}

/// Writes `ruleforge.intel`: the header, then the items of each rule in rule-id order.
pub fn export(set: &ExportSet, opts: &Options) -> TargetOutput {
    let mut text =
        String::from("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n");
    let mut rules = Vec::with_capacity(set.native.len() + set.sigma.len());
    use rayon::prelude::*;
    // Built on every core, taken in rule order: the output stays the same.
    let built: Vec<_> = set
        .native
        .par_iter()
        .map(|rule| {
            let mut lines = Vec::new();
            let outcome = export_rule(rule, opts, &mut lines);
            (outcome, lines)
        })
        .collect();
    for (outcome, lines) in built {
        rules.push(outcome);
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
    }
    rules.extend(set.sigma.iter().map(sigma_skipped));
    TargetOutput {
        files: vec![(FILE_NAME.to_string(), text.into_bytes())],
        rules,
    }
}
