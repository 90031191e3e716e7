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
use std::path::{Path, PathBuf};
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

/// What a bundle is verified with: the archive and signature bytes, the trusted keys, the
/// options. Shared with `ruleforge match BUNDLE`.
pub(super) struct Inputs {
    pub keys: Vec<TrustedKey>,
    pub opts: VerifyOptions,
    pub signature: String,
    /// `Err` when the archive is over the size limit (a rejection, not an I/O error).
    pub archive: Result<Vec<u8>, VerifyError>,
}

/// Reads the keys, the signature (`signature`, or `BUNDLE.minisig`) and the archive (at most
/// the unpacked-size limit), each error naming its file.
pub(super) fn read_inputs(
    bundle: &Path,
    public_keys: &[PathBuf],
    signature: Option<&Path>,
    now: Option<&str>,
    current_version: Option<u64>,
) -> anyhow::Result<Inputs> {
    let mut keys = Vec::new();
    for p in public_keys {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read the public key", p.display()))?;
        keys.push(TrustedKey::parse_named(&text, &p.display().to_string())?);
    }
    let mut opts = VerifyOptions::default();
    if let Some(now) = now {
        opts.now = bundle::parse_time(now).context("--now")?;
    }
    opts.current_version = current_version;
    let sig_path = signature.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut s = bundle.to_path_buf().into_os_string();
        s.push(".minisig");
        PathBuf::from(s)
    });
    // A signature file is a few hundred bytes: read at most 64 KiB of whatever is there.
    let mut signature = Vec::new();
    std::fs::File::open(&sig_path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut signature))
        .with_context(|| format!("{}: cannot read the signature", sig_path.display()))?;
    let signature = String::from_utf8(signature).unwrap_or_default();

    let file = std::fs::File::open(bundle)
        .with_context(|| format!("{}: cannot read", bundle.display()))?;
    let mut archive = Vec::new();
    file.take(opts.max_unpacked + 1)
        .read_to_end(&mut archive)
        .with_context(|| format!("{}: cannot read", bundle.display()))?;
    let archive = if archive.len() as u64 > opts.max_unpacked {
        Err(VerifyError::TooLarge {
            limit: opts.max_unpacked,
        })
    } else {
        Ok(archive)
    };
    Ok(Inputs {
        keys,
        opts,
        signature,
        archive,
    })
}

/// Reports a rejected bundle on standard error; the exit status of the rejection.
pub(super) fn rejected(bundle: &Path, e: &VerifyError) -> ExitCode {
    let _ = writeln!(
        anstream::stderr(),
        "ruleforge: bundle rejected [{}]: {}: {e}",
        e.code(),
        bundle.display()
    );
    ExitCode::from(e.exit_code())
}

pub fn exec(args: Args) -> CmdResult {
    let inputs = read_inputs(
        &args.bundle,
        &args.public_keys,
        args.signature.as_deref(),
        args.now.as_deref(),
        args.current_version,
    )?;
    let result = inputs
        .archive
        .and_then(|a| bundle::verify(&a, &inputs.signature, &inputs.keys, &inputs.opts));
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
        Err(e) => Ok(rejected(&args.bundle, &e)),
    }
}
