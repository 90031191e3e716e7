//! `ruleforge verify`: check a bundle as a scanner would before loading it.
//!
//! Exit status: 0 verified; 2 usage or I/O (unreadable files, malformed public key, bad
//! `--now`, a threshold above the number of keys); a rejected bundle exits with
//! [`VerifyError::exit_code`]: 3 signature (bad, malformed, legacy, comment mismatch),
//! 4 unknown key, 5 archive (corrupt, too large, unsafe path…), 6 manifest or members
//! (schema, missing, unlisted, size, hash), 7 expired, 8 rollback; and with
//! [`DistError::exit_code`] for the distribution checks: 9 threshold not met, 10 freshness
//! expired, 11 freshness naming another bundle, 12 freshness invalid.

use super::CmdResult;
use crate::bundle::{self, TrustedKey, VerifyError, VerifyOptions};
use crate::dist::{self, freshness, threshold, DistError};
use anyhow::{anyhow, Context};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundle archive (`<name>-<version>.tar.gz`).
    pub bundle: PathBuf,
    /// A trusted minisign public key file; repeat during a key rotation or for a threshold.
    #[arg(long = "public-key", value_name = "FILE", required = true)]
    pub public_keys: Vec<PathBuf>,
    /// A signature file; repeatable (default: BUNDLE.minisig, BUNDLE.minisig.2, … as present).
    #[arg(long = "signature", value_name = "FILE")]
    pub signatures: Vec<PathBuf>,
    /// Require signatures by at least K distinct trusted keys.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub threshold: usize,
    /// Also check this signed freshness document (signature FILE.minisig): not expired, and
    /// naming this bundle's name, version and SHA-256.
    #[arg(long, value_name = "FILE")]
    pub freshness: Option<PathBuf>,
    /// A key trusted to sign freshness documents (default: the --public-key keys).
    #[arg(long = "freshness-key", value_name = "FILE", requires = "freshness")]
    pub freshness_keys: Vec<PathBuf>,
    /// The version already installed: an older bundle is rejected as a rollback.
    #[arg(long, value_name = "N")]
    pub current_version: Option<u64>,
    /// Check expiry at this time instead of now (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// Reads minisign public key files.
pub(crate) fn load_public_keys(paths: &[PathBuf]) -> anyhow::Result<Vec<TrustedKey>> {
    let mut keys = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read the public key", p.display()))?;
        keys.push(TrustedKey::parse_named(&text, &p.display().to_string())?);
    }
    Ok(keys)
}

/// The number of distinct keys among `keys`; a threshold above it can never be met.
pub(crate) fn check_threshold(threshold: usize, keys: &[TrustedKey]) -> anyhow::Result<()> {
    let mut ids: Vec<_> = keys.iter().map(|k| k.key_id()).collect();
    ids.sort_by_key(|id| id.0);
    ids.dedup();
    if threshold == 0 || threshold > ids.len() {
        return Err(anyhow!(
            "--threshold {threshold}: must be between 1 and the number of distinct trusted keys ({})",
            ids.len()
        ));
    }
    Ok(())
}

/// Reads a small text file (a signature) within 64 KiB.
/// The signatures of `file`: those given, else `FILE.minisig`, `FILE.minisig.2`, … as present
/// (`FILE.minisig` named in the error when there is none).
pub(crate) fn read_signatures(file: &Path, given: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let paths = if given.is_empty() {
        let found = dist::signature_paths(file);
        if found.is_empty() {
            vec![PathBuf::from(format!("{}.minisig", file.display()))]
        } else {
            found
        }
    } else {
        given.to_vec()
    };
    paths
        .iter()
        .map(|p| Ok(String::from_utf8(read_small(p, "signature")?).unwrap_or_default()))
        .collect()
}

pub(crate) fn read_small(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut bytes))
        .with_context(|| format!("{}: cannot read the {what}", path.display()))?;
    Ok(bytes)
}

pub fn exec(args: Args) -> CmdResult {
    let keys = load_public_keys(&args.public_keys)?;
    check_threshold(args.threshold, &keys)?;
    let freshness_keys = if args.freshness_keys.is_empty() {
        keys.clone()
    } else {
        load_public_keys(&args.freshness_keys)?
    };
    let opts = options(args.now.as_deref(), args.current_version)?;
    let signatures = read_signatures(&args.bundle, &args.signatures)?;
    let fresh = match &args.freshness {
        Some(p) => {
            let doc = read_small(p, "freshness document")?;
            let sig_path = PathBuf::from(format!("{}.minisig", p.display()));
            let sig = read_small(&sig_path, "freshness signature")?;
            Some((doc, String::from_utf8(sig).unwrap_or_default()))
        }
        None => None,
    };

    let result = match read_archive(&args.bundle, &opts)? {
        Err(e) => Err(DistError::from(e)),
        Ok(archive) => threshold::verify(
            &archive,
            &signatures,
            &keys,
            args.threshold,
            &opts,
            &bundle::verify::Schemas,
        )
        .and_then(|v| match &fresh {
            Some((doc, sig)) => {
                let f = freshness::verify(doc, sig, &freshness_keys, opts.now)?;
                let m = &v.bundle.manifest;
                f.document.check_bundle(&m.name, m.version, &archive)?;
                Ok((v, Some(f)))
            }
            None => Ok((v, None)),
        }),
    };
    match result {
        Ok((v, fresh)) => {
            let m = &v.bundle.manifest;
            let signers = v
                .signers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let mut out = format!(
                "Verified {}: signed by key{} {signers}\n",
                args.bundle.display(),
                if v.signers.len() == 1 { "" } else { "s" },
            );
            if let Some(f) = &fresh {
                out.push_str(&format!(
                    "fresh      until {} (issued {}, signed by key {})\n",
                    f.document.expires, f.document.issued, f.key_id
                ));
            }
            out.push_str(&format!(
                "name       {}\n\
                 version    {}\n\
                 commit     {}\n\
                 created    {}\n\
                 expires    {}\n\
                 {}",
                m.name,
                m.version,
                m.commit,
                m.created,
                m.expires,
                super::bundle::counts_text(m),
            ));
            super::print(&out);
            crate::drop_in_background(v);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(rejected(&args.bundle, &e)),
    }
}

/// The verification options for `--now` and `--current-version`. Shared with
/// `ruleforge match BUNDLE`.
pub(super) fn options(
    now: Option<&str>,
    current_version: Option<u64>,
) -> anyhow::Result<VerifyOptions> {
    let mut opts = VerifyOptions::default();
    if let Some(now) = now {
        opts.now = bundle::parse_time(now).context("--now")?;
    }
    opts.current_version = current_version;
    Ok(opts)
}

/// Reads the archive, at most the unpacked-size limit: `Err` inside when it is larger (a
/// rejection, not an I/O error).
pub(super) fn read_archive(
    bundle: &Path,
    opts: &VerifyOptions,
) -> anyhow::Result<Result<Vec<u8>, VerifyError>> {
    let file = std::fs::File::open(bundle)
        .with_context(|| format!("{}: cannot read", bundle.display()))?;
    let mut archive = Vec::new();
    file.take(opts.max_unpacked + 1)
        .read_to_end(&mut archive)
        .with_context(|| format!("{}: cannot read", bundle.display()))?;
    Ok(if archive.len() as u64 > opts.max_unpacked {
        Err(VerifyError::TooLarge {
            limit: opts.max_unpacked,
        })
    } else {
        Ok(archive)
    })
}

/// Reports a rejected bundle on standard error; the exit status of the rejection.
pub(super) fn rejected(bundle: &Path, e: &DistError) -> ExitCode {
    let _ = writeln!(
        anstream::stderr(),
        "ruleforge: bundle rejected [{}]: {}: {e}",
        e.code(),
        bundle.display()
    );
    ExitCode::from(e.exit_code())
}
