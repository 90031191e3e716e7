//! `ruleforge apply-delta`: rebuild a new bundle from the one a scanner holds and a signed
//! delta, checked before anything is written (the checks are the `ruleforge-dist` crate's,
//! `delta::apply`).
//!
//! Exit status: 0 rebuilt; 2 usage or I/O; 3 or 4 a signature (of the delta or of the
//! rebuilt bundle) bad or by an unknown key, 9 threshold not met, 18 too large, 20 the delta
//! is for another base, 21 an invalid delta (truncated, tampered member, unknown format
//! version, a tombstone for a missing rule, a duplicate rule).

use super::verify::{check_threshold, load_public_keys, read_signatures};
use super::CmdResult;
use crate::dist::{self, delta, DistError};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundle held now (the delta's base).
    pub old: PathBuf,
    /// The delta (`<name>-<version>.delta-<base>.tar.gz`).
    pub delta: PathBuf,
    /// A trusted minisign public key file; repeat during a key rotation or for a threshold.
    #[arg(long = "public-key", value_name = "FILE", required = true)]
    pub public_keys: Vec<PathBuf>,
    /// A signature file of the delta; repeatable (default: DELTA.minisig, DELTA.minisig.2, …
    /// as present).
    #[arg(long = "signature", value_name = "FILE")]
    pub signatures: Vec<PathBuf>,
    /// Require signatures by at least K distinct trusted keys (on the delta and on the
    /// rebuilt bundle).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub threshold: usize,
    /// Output folder for the rebuilt bundle and its signatures (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn read_bounded(path: &Path, limit: u64) -> anyhow::Result<Result<Vec<u8>, DistError>> {
    let bytes = super::read_at_most(path, limit)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(bytes.ok_or_else(|| DistError::TooLarge {
        what: path.display().to_string(),
        limit,
    }))
}

pub fn exec(args: Args) -> CmdResult {
    let keys = load_public_keys(&args.public_keys)?;
    check_threshold(args.threshold, &keys)?;
    let signatures = read_signatures(&args.delta, &args.signatures)?;
    let limit = crate::bundle::VerifyOptions::default().max_unpacked;
    let delta_bytes = read_bounded(&args.delta, limit)?;
    let old_bytes = read_bounded(&args.old, limit)?;
    let result = delta_bytes.and_then(|d| {
        old_bytes.and_then(|old| {
            delta::apply(
                &args.old.display().to_string(),
                &old,
                &args.delta.display().to_string(),
                &d,
                &signatures,
                &keys,
                args.threshold,
                limit,
            )
        })
    });
    let applied = match result {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(
                anstream::stderr(),
                "ruleforge: delta rejected [{}]: {}: {e}",
                e.code(),
                args.delta.display()
            );
            return Ok(ExitCode::from(e.exit_code()));
        }
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create the output folder", args.out.display()))?;
    dist::write_all_atomic(&args.out, &applied.files).with_context(|| {
        format!(
            "{}: cannot write",
            args.out.join(&applied.files[0].0).display()
        )
    })?;
    let ids = |v: &[crate::bundle::KeyId]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "Rebuilt {} from {} and {}\n",
        args.out.join(&applied.files[0].0).display(),
        args.old.display(),
        args.delta.display()
    );
    for (name, _) in &applied.files[1..] {
        out.push_str(&format!("signature  {}\n", args.out.join(name).display()));
    }
    out.push_str(&format!(
        "sha256     {}\nsize       {} bytes\nname       {}\nversion    {} (from {})\ndelta      signed by key{} {}\nbundle     signed by key{} {}\n",
        applied.doc.target.sha256,
        applied.archive.len(),
        applied.manifest.name,
        applied.manifest.version,
        applied.doc.base.version,
        if applied.delta_signers.len() == 1 { "" } else { "s" },
        ids(&applied.delta_signers),
        if applied.bundle_signers.len() == 1 { "" } else { "s" },
        ids(&applied.bundle_signers),
    ));
    super::print(&out);
    Ok(ExitCode::SUCCESS)
}
