//! The Sigma condition language: parse, walk the tree, match names against patterns.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::sigma::condition;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (cond, name) = text.split_once('\n').unwrap_or((text, "selection"));
    if let Ok(expr) = condition::parse(cond) {
        let mut leaves = 0usize;
        expr.leaves(&mut |_| leaves += 1);
    }
    let _ = condition::pattern_matches(cond, name);
});
