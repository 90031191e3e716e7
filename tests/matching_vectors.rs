//! The scanner test vectors through the library: the reference matcher and the compiled set
//! both give `tests/vectors/expected.ndjson`.

use ruleforge::matcher::{CompiledSet, Observable, RuleMatcher, RuleSpec};
use ruleforge::rule::RuleFile;
use ruleforge::source::SourceFile;
use std::path::Path;

fn load() -> (Vec<RuleSpec>, Vec<Observable>, Vec<serde_json::Value>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(dir.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let specs = files
        .iter()
        .map(|p| {
            let f = RuleFile::parse(SourceFile::new(
                p.display().to_string(),
                std::fs::read_to_string(p).unwrap(),
            ));
            RuleSpec::from(f.rule().expect("vector rules parse"))
        })
        .collect();
    let events = std::fs::read_to_string(dir.join("events.ndjson"))
        .unwrap()
        .lines()
        .map(|l| Observable::from_json(&serde_json::from_str(l).unwrap()).unwrap())
        .collect();
    let expected = std::fs::read_to_string(dir.join("expected.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (specs, events, expected)
}

fn line(event: usize, spec: &RuleSpec, groups: Vec<String>) -> serde_json::Value {
    serde_json::json!({"event": event, "id": spec.id, "title": spec.title, "groups": groups})
}

#[test]
fn reference_matcher_gives_the_expected_results() {
    let (specs, events, expected) = load();
    let matchers: Vec<RuleMatcher> = specs.iter().map(|s| RuleMatcher::new(s).unwrap()).collect();
    let mut got = Vec::new();
    for (i, o) in events.iter().enumerate() {
        for (m, s) in matchers.iter().zip(&specs) {
            let e = m.explain(o);
            if e.matched {
                got.push(line(
                    i,
                    s,
                    e.matched_groups().iter().map(|g| g.to_string()).collect(),
                ));
            }
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn compiled_set_gives_the_expected_results() {
    let (specs, events, expected) = load();
    let set = CompiledSet::new(&specs).unwrap();
    let mut got = Vec::new();
    for (i, o) in events.iter().enumerate() {
        for m in set.matches(o) {
            got.push(line(i, &specs[m.rule], m.groups));
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn every_indicator_type_and_condition_form_is_covered() {
    let (specs, _, _) = load();
    for ty in ruleforge::indicator::IndicatorType::ALL {
        assert!(
            specs
                .iter()
                .flat_map(|s| &s.groups)
                .flat_map(|g| &g.types)
                .any(|t| t.key == ty.name()),
            "no vector rule uses {}",
            ty.name()
        );
    }
    let conds: Vec<String> = specs.iter().filter_map(|s| s.condition.clone()).collect();
    for form in [
        " and ",
        " or ",
        "not ",
        "1 of ",
        "all of them",
        "all of ",
        "(",
    ] {
        assert!(
            conds.iter().any(|c| c.contains(form)),
            "no vector condition uses `{form}`"
        );
    }
    assert!(
        specs.iter().any(|s| s.condition.is_none()),
        "no rule without a condition"
    );
}
