//! `export` to every target of arbitrary rule files (NUL-separated, native or Sigma by
//! shape), exact and with approximations: the outputs keep their contract (one outcome per
//! rule, unique relative paths without `..`), and the report and bundle members build.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::bundle::compile::Selection;
use ruleforge::export::{self, model, Target};
use ruleforge::kind::{self, Parsed, ParsedRef};

fuzz_target!(|data: &[u8]| {
    let mut files = Vec::new();
    for (i, part) in ruleforge_fuzz::parts(data).take(8).enumerate() {
        let Some(src) = ruleforge_fuzz::source(&format!("rules/f{i}.yml"), part) else {
            continue;
        };
        let parsed = kind::parse_source(src, &kind::KindPatterns::default());
        files.push(match &parsed {
            Parsed::Native(f) => model::from_parsed(ParsedRef::Native(f)),
            Parsed::Sigma(f) => model::from_parsed(ParsedRef::Sigma(f)),
        });
    }
    let sel = Selection {
        statuses: vec!["experimental".into(), "test".into(), "stable".into()],
        include_expired: false,
        as_of: time::macros::date!(2026 - 01 - 01),
    };
    let Ok(set) = model::select(files, &sel) else {
        return;
    };
    for approximate in [false, true] {
        let opts = export::Options {
            approximate,
            producer: "fuzz".into(),
        };
        let outputs = export::run(&set, &Target::ALL, &opts);
        for (t, out) in &outputs {
            assert_eq!(
                out.rules.len(),
                set.native.len() + set.sigma.len(),
                "{t}: one outcome per rule"
            );
            let mut seen = std::collections::BTreeSet::new();
            for (path, _) in &out.files {
                assert!(
                    !path.is_empty()
                        && !path.starts_with('/')
                        && !path.contains('\\')
                        && path
                            .split('/')
                            .all(|c| !c.is_empty() && c != ".." && c != "."),
                    "{t}: unsafe output path {path:?}"
                );
                assert!(seen.insert(path.clone()), "{t}: {path} written twice");
            }
        }
        let source = export::report::SourceInfo {
            rev: "working-tree".into(),
            commit: None,
        };
        let report = export::make_report(&outputs, &set, source, &opts);
        let _ = report.to_json();
        let _ = export::bundle_members(&outputs, &report);
    }
});
