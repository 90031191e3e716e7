//! The language server's message handling: after a fixed `initialize` (a small workspace
//! in a temporary folder) and `initialized`, the input is the client's stream, either raw
//! (when it starts with `Content-`: the framing is fuzzed too) or NUL-separated message
//! bodies that the harness frames. A handler that panics is a crash here even though the
//! server answers it with `InternalError` (libFuzzer aborts on any panic).
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge::lsp::{server, transport};
use std::path::PathBuf;
use std::sync::OnceLock;

const RULE: &str = include_str!("../../tests/fixtures/fix/input.yml");

fn workspace() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("ruleforge-fuzz-lsp-{}", std::process::id()));
        std::fs::create_dir_all(root.join("rules")).expect("temporary workspace");
        std::fs::write(root.join("ruleforge.toml"), "").expect("temporary workspace");
        std::fs::write(root.join("rules/a.yml"), RULE).expect("temporary workspace");
        root
    })
}

fn frame(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
}

fuzz_target!(|data: &[u8]| {
    let root = workspace();
    let mut stream = Vec::with_capacity(data.len() + 512);
    let init = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "processId": null,
            "rootUri": format!("file://{}", root.display()),
            "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}
        }
    });
    frame(&mut stream, init.to_string().as_bytes());
    frame(
        &mut stream,
        br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    if data.starts_with(b"Content-") {
        stream.extend_from_slice(data);
    } else {
        for body in ruleforge_fuzz::parts(data) {
            frame(&mut stream, body);
        }
    }
    let input = transport::spawn_reader(std::io::Cursor::new(stream));
    let _ = server::serve(input, std::io::sink());
});
