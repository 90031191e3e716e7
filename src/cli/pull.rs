//! `ruleforge pull`: download a bundle artifact from an OCI registry, verify everything
//! (digests, threshold of signatures, bundle, freshness, state), then write the files and
//! the state atomically. Exit codes: docs/distribution.md.

use super::CmdResult;
use crate::bundle::{self, VerifyOptions};
use crate::dist::{self, Credentials, PullOptions, Reference, State};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How to reach a registry (`pull` and `push`).
#[derive(clap::Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Speak plain HTTP to a registry that is not on this machine (loopback registries
    /// always get plain HTTP).
    #[arg(long)]
    pub plain_http: bool,
    /// Seconds one request may take, body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Retries of a transient failure (connection, timeout, 429, 5xx), with back-off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
}

impl RegistryArgs {
    pub fn client_options(&self) -> dist::ClientOptions {
        dist::ClientOptions {
            plain_http: self.plain_http,
            timeout: Duration::from_secs(self.timeout.max(1)),
            retries: self.retries,
            ..Default::default()
        }
    }
}

/// Credentials for `reference`'s registry from the environment and the Docker configuration.
pub fn credentials(reference: &Reference) -> Result<Credentials, dist::DistError> {
    Credentials::lookup(&reference.registry, &|k| std::env::var(k).ok())
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The artifact: oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST].
    pub reference: String,
    /// A trusted minisign public key file; repeat during a key rotation or for a threshold.
    #[arg(long = "public-key", value_name = "FILE", required = true)]
    pub public_keys: Vec<PathBuf>,
    /// Require signatures by at least K distinct trusted keys.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub threshold: usize,
    /// A key trusted to sign freshness documents (default: the --public-key keys).
    #[arg(long = "freshness-key", value_name = "FILE")]
    pub freshness_keys: Vec<PathBuf>,
    /// Folder to write the bundle, its signatures and its freshness document into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// State file (last version and digest per bundle name): an older bundle, another
    /// bundle under the same version, or an older freshness document is refused.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Accept what the state file would refuse (a deliberate rollback).
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Accept an artifact without a freshness document.
    #[arg(long)]
    pub no_freshness: bool,
    /// Check expiry and freshness at this time instead of now (RFC 3339, or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn exec(args: Args) -> CmdResult {
    let reference = Reference::parse(&args.reference)?;
    let keys = super::verify::load_public_keys(&args.public_keys)?;
    super::verify::check_threshold(args.threshold, &keys)?;
    let freshness_keys = super::verify::load_public_keys(&args.freshness_keys)?;
    let mut verify = VerifyOptions::default();
    if let Some(now) = &args.now {
        verify.now = bundle::parse_time(now).context("--now")?;
    }
    let opts = PullOptions {
        keys,
        freshness_keys,
        threshold: args.threshold,
        require_freshness: !args.no_freshness,
        allow_downgrade: args.allow_downgrade,
        verify,
        client: args.registry.client_options(),
        held_dir: args.state.as_ref().map(|_| args.out.clone()),
    };
    let mut state = match &args.state {
        Some(p) => State::load(p)?,
        None => State::default(),
    };
    let refused = |e: dist::DistError| {
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge: pull refused [{}]: {reference}: {e}",
            e.code()
        );
        Ok(ExitCode::from(e.exit_code()))
    };
    if args.state.is_some() && !args.allow_downgrade {
        match credentials(&reference).and_then(|c| dist::pull::poll(&reference, c, &opts, &state)) {
            Err(e) => return refused(e),
            Ok(Some(up)) => {
                let mut out = format!(
                    "Up to date {reference} ({})\nname       {}\nversion    {}\n",
                    up.manifest_digest, up.name, up.version
                );
                if let Some(f) = &up.freshness {
                    out.push_str(&format!(
                        "fresh      until {} (issued {}, signed by key {})\n",
                        f.document.expires, f.document.issued, f.key_id
                    ));
                }
                super::print(&out);
                return Ok(ExitCode::SUCCESS);
            }
            Ok(None) => {}
        }
    }
    let result = credentials(&reference).and_then(|c| {
        dist::pull::fetch_and_verify(&reference, c, &opts, &state, &bundle::verify::Schemas)
    });
    let pulled = match result {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    if let Some(e) = &pulled.delta_refused {
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge: warning: delta refused [{}]: {e}; the full bundle was downloaded instead",
            e.code()
        );
    }
    let paths = dist::pull::write(&args.out, &pulled)
        .with_context(|| format!("{}: cannot write the pulled files", args.out.display()))?;
    let m = &pulled.verified.bundle.manifest;
    if let Some(p) = &args.state {
        state.record(&m.name, pulled.accepted(&reference));
        state.save(p)?;
    }
    let mut out = format!(
        "Pulled {reference} ({})\nname       {}\nversion    {}\nsha256     {}\nsigned by  {}\n",
        pulled.manifest_digest,
        m.name,
        m.version,
        pulled.sha256,
        pulled
            .verified
            .signers
            .iter()
            .map(|k| format!("key {k}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some((title, size)) = &pulled.via_delta {
        out.push_str(&format!(
            "via delta  {title} ({size} bytes instead of {}), rebuilt and verified\n",
            pulled.files[0].1.len()
        ));
    }
    match &pulled.freshness {
        Some(f) => out.push_str(&format!(
            "fresh      until {} (issued {}, signed by key {})\n",
            f.document.expires, f.document.issued, f.key_id
        )),
        None => out.push_str("fresh      no freshness document (--no-freshness)\n"),
    }
    for p in paths {
        out.push_str(&format!("wrote      {}\n", p.display()));
    }
    super::print(&out);
    crate::drop_in_background(pulled);
    Ok(ExitCode::SUCCESS)
}
