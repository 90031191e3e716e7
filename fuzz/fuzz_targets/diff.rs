//! The semantic diff of two arbitrary rule texts (before NUL: the base, after: the head),
//! at the same path and, a second time, moved to another path; every renderer runs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::diff;

fuzz_target!(|data: &[u8]| {
    let (base, head) = ruleforge_fuzz::two(data);
    let opts = diff::Options::new(vec!["rules".into()]);
    for head_path in ["rules/a.yml", "rules/moved/b.yml"] {
        let d = diff::compare_files(
            vec![("rules/a.yml".into(), base.to_vec())],
            vec![(head_path.into(), head.to_vec())],
            &opts,
        );
        let _ = diff::text::render(&d, false);
        let _ = diff::json::render(&d);
        let _ = diff::markdown::render_capped(&d, 4096);
        let changelog = diff::changelog::Options {
            statuses: vec!["test".into(), "stable".into()],
            title: None,
        };
        let _ = diff::changelog::render(&d, &changelog);
    }
});
