//! Bundle reading and verification of arbitrary bytes: the archive reader, then the whole
//! verification (manifest, members, payloads, expiry) as a scanner (`ruleforge-bundle`) and
//! as the `ruleforge` tool (with the JSON schemas) run it.
//!
//! The fuzz build does not check the signature (`cfg(fuzzing)`, in
//! crates/ruleforge-bundle/src/verify.rs) so the parsers behind it are reached; the real
//! signature parser and check still read the signature text (`verify_signature`).
//!
//! Input: the signature text, a NUL, a mode byte, then
//! - `G`: the archive bytes as they are (a `.tar.gz`);
//! - `T`: a tar, which the harness compresses (the fuzzer mutates the members, not gzip);
//! - anything else: members separated by `\x01` (`manifest.json`, `rules.json`,
//!   `sigma.json`, then any `name\x02bytes`), which the harness packs after writing the real
//!   size and SHA-256 of each member into the manifest's `files` (so the payload parsers
//!   behind the hash check are reached).
#![no_main]
use libfuzzer_sys::fuzz_target;
use ruleforge_bundle::{archive, verify, verify_signature, TrustedKey, VerifyOptions};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::OnceLock;

/// A fixed public key (minisign's documentation example: no secret involved).
const PUBLIC_KEY: &str = "untrusted comment: minisign public key\n\
RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n";

fn keys() -> &'static [TrustedKey] {
    static KEYS: OnceLock<Vec<TrustedKey>> = OnceLock::new();
    KEYS.get_or_init(|| vec![TrustedKey::parse(PUBLIC_KEY).expect("the fixed key parses")])
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

fn pack(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        if tar.append_data(&mut h, path, bytes.as_slice()).is_err() {
            return Vec::new();
        }
    }
    gzip(&tar.into_inner().unwrap_or_default())
}

/// The archive of `members` mode: the manifest's `files` get the real sizes and hashes.
fn from_members(body: &[u8]) -> Vec<u8> {
    let mut parts = body.split(|&b| b == 1);
    let manifest = parts.next().unwrap_or_default();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, part) in parts.enumerate() {
        match i {
            0 => members.push(("rules.json".into(), part.to_vec())),
            1 => members.push(("sigma.json".into(), part.to_vec())),
            _ => {
                let (name, bytes) = match part.iter().position(|&b| b == 2) {
                    Some(at) => (&part[..at], &part[at + 1..]),
                    None => (part, &[][..]),
                };
                members.push((String::from_utf8_lossy(name).into_owned(), bytes.to_vec()));
            }
        }
    }
    let manifest = match serde_json::from_slice::<serde_json::Value>(manifest) {
        Ok(mut m) => {
            if let Some(files) = m.get_mut("files").and_then(|f| f.as_array_mut()) {
                for f in files.iter_mut() {
                    let path = f.get("path").and_then(|p| p.as_str()).map(str::to_string);
                    let Some(path) = path else { continue };
                    if let Some((_, bytes)) = members.iter().find(|(p, _)| *p == path) {
                        let hash: String = Sha256::digest(bytes)
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect();
                        f["size"] = serde_json::json!(bytes.len());
                        f["sha256"] = serde_json::json!(hash);
                    }
                }
            }
            serde_json::to_vec(&m).unwrap_or_default()
        }
        Err(_) => manifest.to_vec(),
    };
    members.insert(0, ("manifest.json".into(), manifest));
    pack(&members)
}

fuzz_target!(|data: &[u8]| {
    let (sig, body) = ruleforge_fuzz::two(data);
    let sig = String::from_utf8_lossy(sig);
    let archive_bytes = match body.split_first() {
        None => Vec::new(),
        Some((b'G', rest)) => rest.to_vec(),
        Some((b'T', rest)) => gzip(rest),
        Some((_, rest)) => from_members(rest),
    };
    let opts = VerifyOptions {
        now: time::OffsetDateTime::UNIX_EPOCH,
        current_version: Some(1),
        // Small, so that decompression bombs end quickly.
        max_unpacked: 8 << 20,
    };
    let _ = verify_signature(&archive_bytes, &sig, keys());
    if let Ok(members) = archive::read(&archive_bytes, opts.max_unpacked) {
        for (path, _) in &members {
            assert!(
                archive::check_path(path).is_ok(),
                "unsafe path read: {path}"
            );
        }
    }
    let _ = verify(&archive_bytes, &sig, keys(), &opts);
    let _ = ruleforge::bundle::verify::verify(&archive_bytes, &sig, keys(), &opts);
});
