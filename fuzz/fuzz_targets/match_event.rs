//! `match` on arbitrary event JSON, against the rules of this repository's `rules/` (or,
//! when the input holds a NUL, the rule file before it against the event after it). The
//! two ways of matching must agree: the compiled set (what `ruleforge match` and scanners
//! run, from the fast event reader and from a parsed JSON value) and the reference
//! matcher rule by rule.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::rule::RuleFile;
use ruleforge_match::{CompiledSet, EventError, EventValues, Observable, RuleMatcher, RuleSpec};
use std::path::Path;
use std::sync::OnceLock;

fn spec_of(path: &str, bytes: Vec<u8>) -> Option<RuleSpec> {
    let src = ruleforge::load::decode(path, bytes).ok()?;
    let file = RuleFile::parse(src);
    let compiled = ruleforge::bundle::compile::compile_rule(&file).ok()?;
    Some(RuleSpec::from_compiled(&compiled))
}

fn collect(dir: &Path, out: &mut Vec<RuleSpec>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if ruleforge::load::is_rule_file(&p) {
            if let Some(s) = std::fs::read(&p)
                .ok()
                .and_then(|b| spec_of(&p.to_string_lossy(), b))
            {
                out.push(s);
            }
        }
    }
}

struct Rules {
    specs: Vec<RuleSpec>,
    matchers: Vec<RuleMatcher>,
    set: CompiledSet,
}

impl Rules {
    fn new(specs: Vec<RuleSpec>) -> Option<Rules> {
        let matchers = specs
            .iter()
            .map(RuleMatcher::new)
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        let set = CompiledSet::new(&specs).ok()?;
        Some(Rules {
            specs,
            matchers,
            set,
        })
    }
}

fn repository_rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut specs = Vec::new();
        collect(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules"),
            &mut specs,
        );
        assert!(!specs.is_empty(), "no rules compiled from rules/");
        Rules::new(specs).expect("the repository's rules compile")
    })
}

fn check(rules: &Rules, event: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(event) else {
        return;
    };
    let fast = EventValues::parse(event, rules.set.fields());
    let Ok(obs) = Observable::from_json(&value) else {
        assert!(fast.is_err(), "the event reader read a non-object");
        return;
    };
    let by_set: Vec<usize> = rules.set.matches(&obs).iter().map(|m| m.rule).collect();
    let by_rule: Vec<usize> = (0..rules.specs.len())
        .filter(|&i| rules.matchers[i].is_match(&obs))
        .collect();
    assert_eq!(
        by_set, by_rule,
        "compiled set and reference matcher disagree"
    );
    match fast {
        Ok(values) => {
            let by_fast: Vec<usize> = rules
                .set
                .matches_values(&values)
                .iter()
                .map(|m| m.rule)
                .collect();
            assert_eq!(
                by_fast, by_set,
                "the event reader and the JSON value disagree"
            );
        }
        Err(EventError::DuplicateKey) => {}
        Err(e) => panic!("the event reader refused a JSON object: {e:?}"),
    }
    for m in &rules.matchers {
        let _ = m.explain(&obs).matched_groups();
    }
}

fuzz_target!(
    // Reading and compiling `rules/` happens once, before the first input, so it is not
    // counted against the first input's time limit.
    init: {
        repository_rules();
    },
    |data: &[u8]| {
        match data.iter().position(|&b| b == 0) {
            None => check(repository_rules(), data),
            Some(i) => {
                let Some(spec) = spec_of("rules/fuzz.yml", data[..i].to_vec()) else {
                    return;
                };
                if let Some(rules) = Rules::new(vec![spec]) {
                    check(&rules, &data[i + 1..]);
                }
            }
        }
    }
);
