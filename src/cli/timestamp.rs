//! `ruleforge timestamp`: sign a fresh freshness document for a bundle (CI runs it on a
//! schedule, without rebuilding the bundle), written beside it as
//! `BUNDLE.freshness.json` and `BUNDLE.freshness.json.minisig`.

use super::CmdResult;
use crate::bundle;
use crate::dist;
use crate::fsutil::write_atomic_mode;
use anyhow::{anyhow, Context};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundle archive (`<name>-<version>.tar.gz`).
    pub bundle: PathBuf,
    /// Sign with this minisign secret key file (the timestamp key; may be the bundle key).
    #[arg(long, value_name = "FILE", conflicts_with = "secret_key_env")]
    pub secret_key: Option<PathBuf>,
    /// Sign with the secret key whose file CONTENTS are in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub secret_key_env: Option<String>,
    /// How long the document stays valid: minutes, hours or days (`90m`, `36h`, `2d`; at
    /// most 31 days). Re-sign more often than this.
    #[arg(long, value_name = "DURATION", default_value = "2d")]
    pub expires_in: String,
    /// Issue it at this time instead of now (RFC 3339, or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Output folder (default: the bundle's folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn exec(args: Args) -> CmdResult {
    let validity =
        dist::parse_validity(&args.expires_in).map_err(|e| anyhow!("--expires-in {e}"))?;
    let issued = match &args.now {
        Some(now) => bundle::parse_time(now).context("--now")?,
        None => time::OffsetDateTime::now_utc(),
    };
    if args.secret_key.is_none() && args.secret_key_env.is_none() {
        return Err(anyhow!("give --secret-key FILE or --secret-key-env VAR"));
    }
    let key = super::bundle::load_signing_key(
        args.secret_key.as_deref(),
        args.secret_key_env.as_deref(),
    )?;
    let mut archive = Vec::new();
    std::fs::File::open(&args.bundle)
        .and_then(|f| {
            f.take(ruleforge_bundle::DEFAULT_MAX_UNPACKED + 1)
                .read_to_end(&mut archive)
        })
        .with_context(|| format!("{}: cannot read", args.bundle.display()))?;
    let file_name = args
        .bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow!("{}: not a file", args.bundle.display()))?;
    let signed = dist::timestamp(&archive, &file_name, &key, issued, validity)
        .with_context(|| format!("{}", args.bundle.display()))?;
    let (mut doc_path, mut sig_path) = dist::freshness_paths(&args.bundle);
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
        doc_path = dir.join(doc_path.file_name().unwrap_or_default());
        sig_path = dir.join(sig_path.file_name().unwrap_or_default());
    }
    // Each file is replaced atomically; a reader between the two renames sees a pair that
    // does not verify and refuses it, never a stale pair accepted.
    write_atomic_mode(&sig_path, signed.signature.as_bytes(), 0o644, true)
        .with_context(|| format!("{}: cannot write", sig_path.display()))?;
    write_atomic_mode(&doc_path, &signed.json, 0o644, true)
        .with_context(|| format!("{}: cannot write", doc_path.display()))?;
    let d = &signed.document;
    super::print(&format!(
        "freshness  {}\nsignature  {}\nname       {}\nversion    {}\nsha256     {}\nissued     {}\nexpires    {}\nsigned by  key {}\n",
        doc_path.display(),
        sig_path.display(),
        d.name,
        d.version,
        d.sha256,
        d.issued,
        d.expires,
        key.key_id()
    ));
    Ok(ExitCode::SUCCESS)
}
