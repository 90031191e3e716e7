//! The YAML parser with spans: every document, every span inside the text, and the JSON
//! view of each tree.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::yaml::{self, Node, NodeKind};

fn check(n: &Node, len: usize) {
    assert!(
        n.span.start <= n.span.end && n.span.end <= len,
        "node span {:?} outside a text of {len} bytes",
        n.span
    );
    match &n.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter().for_each(|i| check(i, len)),
        NodeKind::Map(entries) => entries.iter().for_each(|e| {
            check(&e.key, len);
            check(&e.value, len);
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(src) = ruleforge_fuzz::source("rules/fuzz.yml", data) else {
        return;
    };
    let len = src.text.len();
    match yaml::parse_documents(&src) {
        Ok(docs) => {
            assert_eq!(docs.nodes.len(), docs.starts.len());
            for n in &docs.nodes {
                check(n, len);
                let _ = n.to_json();
            }
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= len, "{e:?}");
            if let Some(o) = e.other {
                assert!(o.start <= o.end && o.end <= len, "{e:?}");
            }
        }
    }
    // The one-document parser agrees with the stream parser on what it accepts.
    if let Ok(n) = yaml::parse(&src) {
        check(&n, len);
    }
});
