//! The native condition language: parse, then evaluate with every group matched and none.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge_match::condition;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = condition::parse(text) {
        let mut names = Vec::new();
        expr.named_groups(&mut names);
        let mut prefixes = Vec::new();
        expr.prefixes(&mut prefixes);
        let groups: Vec<&str> = names.iter().map(String::as_str).collect();
        let _ = expr.eval(&groups, &|_| true);
        let _ = expr.eval(&groups, &|_| false);
        let _ = expr.eval(&groups, &|g| g.len() % 2 == 0);
    }
});
