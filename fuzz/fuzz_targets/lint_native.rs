//! Lint of one native rule file: decode, parse, schema, every check; then the fixes are
//! applied (as `lint --fix` does) and the fixed text is linted again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::lint;
use ruleforge::rule::RuleFile;

fuzz_target!(|data: &[u8]| {
    let opts = ruleforge_fuzz::lint_options();
    let Some(src) = ruleforge_fuzz::source("rules/fuzz.yml", data) else {
        return;
    };
    let text = src.text.clone();
    let file = RuleFile::parse(src);
    let diags = lint::check_file(&file, opts);
    ruleforge_fuzz::assert_spans(&diags, text.len());
    let _ = lint::fix::apply(&file.source.text, &diags);
    if let Some(fixed) = lint::fix_text("rules/fuzz.yml", &text, opts) {
        let again = lint::check_text("rules/fuzz.yml", fixed.clone(), opts);
        ruleforge_fuzz::assert_spans(&again.diagnostics, fixed.len());
    }
});
