//! `ruleforge verify`: check a bundle as a scanner would before loading it.
//!
//! Exit status: 0 verified; 2 usage or I/O (unreadable files, malformed public key, bad
//! `--now`); a rejected bundle exits with [`VerifyError::exit_code`]: 3 signature (bad,
//! malformed, legacy, comment mismatch), 4 unknown key, 5 archive (corrupt, too large,
//! unsafe path…), 6 manifest or members (schema, missing, unlisted, size, hash), 7 expired,
//! 8 rollback.

use super::CmdResult;
use crate::bundle::{self, TrustedKey, VerifyError, VerifyOptions};
use anyhow::Context;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundle archive (`<name>-<version>.tar.gz`).
    pub bundle: PathBuf,
    /// A trusted minisign public key file; repeat during a key rotation.
    #[arg(long = "public-key", value_name = "FILE", required = true)]
    pub public_keys: Vec<PathBuf>,
    /// The signature file (default: BUNDLE.minisig).
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// The version already installed: an older bundle is rejected as a rollback.
    #[arg(long, value_name = "N")]
    pub current_version: Option<u64>,
    /// Check expiry at this time instead of now (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub fn exec(args: Args) -> CmdResult {
    let mut keys = Vec::new();
    for p in &args.public_keys {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read the public key", p.display()))?;
        keys.push(TrustedKey::parse_named(&text, &p.display().to_string())?);
    }
    let mut opts = VerifyOptions::default();
    if let Some(now) = &args.now {
        opts.now = bundle::parse_time(now).context("--now")?;
    }
    opts.current_version = args.current_version;
    let sig_path = args.signature.clone().unwrap_or_else(|| {
        let mut s = args.bundle.clone().into_os_string();
        s.push(".minisig");
        PathBuf::from(s)
    });
    // A signature file is a few hundred bytes: read at most 64 KiB of whatever is there.
    let mut signature = Vec::new();
    std::fs::File::open(&sig_path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut signature))
        .with_context(|| format!("{}: cannot read the signature", sig_path.display()))?;
    let signature = String::from_utf8(signature).unwrap_or_default();

    let file = std::fs::File::open(&args.bundle)
        .with_context(|| format!("{}: cannot read", args.bundle.display()))?;
    let mut archive = Vec::new();
    file.take(opts.max_unpacked + 1)
        .read_to_end(&mut archive)
        .with_context(|| format!("{}: cannot read", args.bundle.display()))?;
    let result = if archive.len() as u64 > opts.max_unpacked {
        Err(VerifyError::TooLarge {
            limit: opts.max_unpacked,
        })
    } else {
        bundle::verify(&archive, &signature, &keys, &opts)
    };
    match result {
        Ok(v) => {
            let m = &v.manifest;
            super::print(&format!(
                "Verified {}: signed by key {}\n\
                 name       {}\n\
                 version    {}\n\
                 commit     {}\n\
                 created    {}\n\
                 expires    {}\n\
                 {}",
                args.bundle.display(),
                v.key_id,
                m.name,
                m.version,
                m.commit,
                m.created,
                m.expires,
                super::bundle::counts_text(m),
            ));
            crate::drop_in_background(v);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let _ = writeln!(
                anstream::stderr(),
                "ruleforge: bundle rejected [{}]: {}: {e}",
                e.code(),
                args.bundle.display()
            );
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}
