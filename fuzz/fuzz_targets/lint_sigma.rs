//! Lint of one Sigma file: kind detection, multi-document parsing, the Sigma schemas, the
//! condition parser and the Sigma checks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::lint;

fuzz_target!(|data: &[u8]| {
    let opts = ruleforge_fuzz::lint_options();
    let Some(src) = ruleforge_fuzz::source("sigma/proc_creation_fuzz.yml", data) else {
        return;
    };
    let len = src.text.len();
    let diags = lint::check_source(src, opts);
    ruleforge_fuzz::assert_spans(&diags, len);
});
