//! Verify a ruleforge bundle and list its rules: what a Rust scanner does before loading
//! a bundle. Copy it into your scanner: it depends on the `ruleforge-bundle` crate alone
//! (`ruleforge-bundle = "0.1"` in your `Cargo.toml`), not on the ruleforge tool.
//!
//! ```text
//! cargo run -p ruleforge-bundle --example verify_bundle -- BUNDLE.tar.gz KEY.pub [KEY2.pub ...] [--current-version N]
//! ```
//!
//! The signature is read from `BUNDLE.tar.gz.minisig`. Exit status: 0 verified, 1 rejected,
//! 2 usage or I/O error.
//!
//! To match events against the verified rules, `ruleforge-match`'s `match_bundle` example
//! continues this path with `verify_in_place`, which hands runs of rules of `rules.json`, read
//! in place, to `CompiledSet::compile_run`, then `CompiledSet::from_runs` (what
//! `ruleforge match BUNDLE --public-key KEY` runs).

use ruleforge_bundle::{TrustedKey, VerifyOptions};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = VerifyOptions::default();
    if let Some(i) = args.iter().position(|a| a == "--current-version") {
        let Some(v) = args.get(i + 1).and_then(|v| v.parse().ok()) else {
            eprintln!("--current-version needs a number");
            return ExitCode::from(2);
        };
        opts.current_version = Some(v);
        args.drain(i..i + 2);
    }
    if args.len() < 2 {
        eprintln!("usage: verify_bundle BUNDLE.tar.gz KEY.pub [KEY.pub ...] [--current-version N]");
        return ExitCode::from(2);
    }
    let bundle_path = &args[0];

    // 1. The trusted keys (several during a key rotation).
    let mut keys = Vec::new();
    for path in &args[1..] {
        let key = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| TrustedKey::parse_named(&text, path).map_err(|e| e.to_string()));
        match key {
            Ok(k) => keys.push(k),
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        }
    }

    // 2. The archive and its detached signature, as bytes. Bound the size you accept.
    let archive = match std::fs::read(bundle_path) {
        Ok(b) if b.len() as u64 <= opts.max_unpacked => b,
        Ok(_) => {
            eprintln!("{bundle_path}: too large");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("{bundle_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let sig_path = format!("{bundle_path}.minisig");
    let signature = match std::fs::read_to_string(&sig_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{sig_path}: {e}");
            return ExitCode::from(2);
        }
    };

    // 3. Every check in one call: signature first, then archive, manifest, members,
    //    expiry and rollback. Load nothing from a bundle that fails.
    let verified = match ruleforge_bundle::verify(&archive, &signature, &keys, &opts) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{bundle_path}: rejected [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };

    // 4. Use the rules. Remember `verified.manifest.version` as the next current version.
    let m = &verified.manifest;
    println!(
        "{} version {} (commit {}), expires {}, signed by key {}",
        m.name, m.version, m.commit, m.expires, verified.key_id
    );
    for rule in &verified.rules.rules {
        println!(
            "{} [{}] {} if {}",
            rule.id, rule.severity, rule.title, rule.condition
        );
        for (group, types) in &rule.groups {
            for (ty, values) in types {
                let fields = &verified.rules.types[ty].ecs_fields;
                println!(
                    "  {group}.{ty}: {} value(s), matched against {}",
                    values.len(),
                    fields.join(", ")
                );
            }
        }
    }
    ExitCode::SUCCESS
}
