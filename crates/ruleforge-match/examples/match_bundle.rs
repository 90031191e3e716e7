//! Verify a ruleforge bundle, compile its rules and match NDJSON events from standard input:
//! a scanner's whole loading path, the one `ruleforge match BUNDLE --public-key KEY` takes.
//! Copy it into your scanner: it depends on the `ruleforge-bundle` and `ruleforge-match`
//! crates alone (and `serde_json` to print), not on the ruleforge tool.
//!
//! ```text
//! cargo run -p ruleforge-match --example match_bundle -- BUNDLE.tar.gz KEY.pub < events.ndjson
//! ```
//!
//! The signature is read from `BUNDLE.tar.gz.minisig`. One output line per match:
//! `{"event":N,"id":"…","groups":["…"]}` (N counts events from 0). Events are read one line
//! at a time, so memory stays bounded however long the stream. Exit status: 0 done,
//! 1 bundle rejected or bad event, 2 usage or I/O error.

use ruleforge_bundle::{TrustedKey, VerifyOptions};
use ruleforge_match::{CompiledSet, EventValues};
use std::io::{BufRead, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bundle_path, key_path] = &args[..] else {
        eprintln!("usage: match_bundle BUNDLE.tar.gz KEY.pub < events.ndjson");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let inputs = read(key_path).and_then(|key| {
        let key = String::from_utf8_lossy(&key).into_owned();
        let key = TrustedKey::parse_named(&key, key_path).map_err(|e| e.to_string())?;
        let sig = read(&format!("{bundle_path}.minisig"))?;
        Ok((
            key,
            String::from_utf8_lossy(&sig).into_owned(),
            read(bundle_path)?,
        ))
    });
    let (key, signature, archive) = match inputs {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };

    // 1. Every check in one call; use nothing from a bundle that fails. The rules are
    //    compiled by runs as `rules.json` is read (in place: no typed copy of each rule).
    let opts = VerifyOptions::default();
    let verified =
        ruleforge_bundle::verify_in_place(&archive, &signature, &[key], &opts, |first, run| {
            CompiledSet::compile_run(first, run)
        });
    drop(archive);
    let runs = match verified {
        Ok(v) => v.rules,
        Err(e) => {
            eprintln!("{bundle_path}: rejected [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };

    // 2. The runs into the matcher's lookup structures.
    let set = match CompiledSet::from_runs(runs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{bundle_path}: rules.json: {e}");
            return ExitCode::from(1);
        }
    };

    // 3. Events, one JSON object per line, each parsed in place (only the ECS fields the
    //    rules read are kept).
    let mut input = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    let (mut number, mut event) = (0usize, 0usize);
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => number += 1,
            Err(e) => {
                eprintln!("<stdin>: {e}");
                return ExitCode::from(2);
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(values) = EventValues::parse(&line, set.fields()) else {
            eprintln!("<stdin>:{number}: not one JSON object (with unique keys) on the line");
            return ExitCode::from(1);
        };
        for m in set.matches_values(&values) {
            let (id, _title) = set.rule(m.rule);
            let shown = serde_json::json!({"event": event, "id": id, "groups": m.groups});
            if writeln!(out, "{shown}").is_err() {
                return ExitCode::SUCCESS; // the reader went away
            }
        }
        event += 1;
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
