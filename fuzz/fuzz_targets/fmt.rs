//! `fmt`: a formatted file formats to itself, parses, and holds the same data as its input
//! (indicator values aside: they are written in their canonical form). `format_source`
//! itself refuses a result that would lose a comment or change the data; this target also
//! checks it from outside.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::format::format_source;
use ruleforge::source::SourceFile;
use ruleforge::yaml;

/// The JSON view of a document without its `indicators` (canonicalized by `fmt`).
fn data(root: &yaml::Node) -> serde_json::Value {
    let mut v = root.to_json();
    if let Some(map) = v.as_object_mut() {
        map.remove("indicators");
    }
    v
}

fuzz_target!(|data_in: &[u8]| {
    let Some(src) = ruleforge_fuzz::source("rules/fuzz.yml", data_in) else {
        return;
    };
    let Ok(out) = format_source(&src) else {
        return;
    };
    let formatted = SourceFile::new("rules/fuzz.yml", out.clone());
    let again = format_source(&formatted).expect("a formatted file formats again");
    assert_eq!(again, out, "fmt is not idempotent");
    let before = yaml::parse(&src).expect("the input parsed");
    let after = yaml::parse(&formatted).expect("the output parses");
    assert_eq!(data(&before), data(&after), "fmt changed the data");
    assert_eq!(
        ruleforge::kind::detect(&before),
        ruleforge::kind::detect(&after),
        "fmt changed the kind of the file"
    );
});
