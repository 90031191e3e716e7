//! `ruleforge push`: upload a bundle, its signatures and its freshness document as one OCI
//! artifact (docs/distribution.md). The set is checked first: the freshness document must
//! name this bundle.

use super::CmdResult;
use crate::dist::{self, push, Reference};
use anyhow::{anyhow, Context};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundle archive (`<name>-<version>.tar.gz`).
    pub bundle: PathBuf,
    /// Where: oci://HOST[:PORT]/REPOSITORY[:TAG] (tag default `latest`).
    pub reference: String,
    /// A signature file; repeatable (default: BUNDLE.minisig, BUNDLE.minisig.2, … as present).
    #[arg(long = "signature", value_name = "FILE")]
    pub signatures: Vec<PathBuf>,
    /// The freshness document (default: BUNDLE.freshness.json; its signature FILE.minisig).
    #[arg(long, value_name = "FILE")]
    pub freshness: Option<PathBuf>,
    /// Push without a freshness document (clients then need `pull --no-freshness`).
    #[arg(long, conflicts_with = "freshness")]
    pub no_freshness: bool,
    /// Also carry this delta (from `bundle --delta-from`) to the bundle, with its signatures
    /// DELTA.minisig, …; repeatable (one per base). Clients that hold its base download only
    /// the delta.
    #[arg(long, value_name = "DELTA")]
    pub delta: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: super::pull::RegistryArgs,
}

fn read(path: &Path, limit: u64) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = super::read_at_most(path, limit)
        .with_context(|| format!("{}: cannot read", path.display()))?
        .ok_or_else(|| anyhow!("{}: larger than {limit} bytes", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dist::artifact::check_file_name(&name)
        .map_err(|p| anyhow!("{}: the file name {p}", path.display()))?;
    Ok((name, bytes))
}

pub fn exec(args: Args) -> CmdResult {
    let reference = Reference::parse(&args.reference)?;
    if reference.digest.is_some() {
        return Err(anyhow!(
            "{reference}: push to a tag; the digest is the registry's answer"
        ));
    }
    let bundle = read(&args.bundle, ruleforge_bundle::DEFAULT_MAX_UNPACKED)?;
    let manifest =
        dist::read_manifest(&bundle.1).with_context(|| format!("{}", args.bundle.display()))?;
    let sig_paths = if args.signatures.is_empty() {
        dist::signature_paths(&args.bundle)
    } else {
        args.signatures.clone()
    };
    if sig_paths.is_empty() {
        return Err(anyhow!(
            "{}: no signature (BUNDLE.minisig): sign the bundle before pushing it",
            args.bundle.display()
        ));
    }
    let signatures = sig_paths
        .iter()
        .map(|p| read(p, dist::artifact::MAX_SIGNATURE))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let freshness = if args.no_freshness {
        None
    } else {
        let (default_doc, _) = dist::freshness_paths(&args.bundle);
        let doc_path = args.freshness.clone().unwrap_or(default_doc);
        if !doc_path.is_file() {
            return Err(anyhow!(
                "{}: no freshness document: run `ruleforge timestamp {}` first (or --no-freshness)",
                doc_path.display(),
                args.bundle.display()
            ));
        }
        let doc = read(&doc_path, dist::freshness::MAX_SIZE)?;
        let sig = read(
            &PathBuf::from(format!("{}.minisig", doc_path.display())),
            dist::artifact::MAX_SIGNATURE,
        )?;
        let parsed = dist::Freshness::parse(&doc.1)
            .and_then(|f| f.check_bundle(&manifest.name, manifest.version, &bundle.1));
        if let Err(e) = parsed {
            let _ = writeln!(
                anstream::stderr(),
                "ruleforge: push refused [{}]: {}: {e}",
                e.code(),
                doc_path.display()
            );
            return Ok(ExitCode::from(e.exit_code()));
        }
        Some((doc, sig))
    };
    let bundle_sha = dist::delta::sha256_hex(&bundle.1);
    let mut deltas = Vec::new();
    for path in &args.delta {
        let delta = read(path, ruleforge_bundle::DEFAULT_MAX_UNPACKED)?;
        let doc = dist::delta::read_doc(&delta.1, ruleforge_bundle::DEFAULT_MAX_UNPACKED)
            .map_err(|e| anyhow!("{}: not a delta: {e}", path.display()))?;
        if doc.target.sha256 != bundle_sha {
            return Err(anyhow!(
                "{}: the delta leads to {} (SHA-256 {}), not to {}",
                path.display(),
                doc.target.file,
                doc.target.sha256,
                args.bundle.display()
            ));
        }
        let sig_paths = dist::signature_paths(path);
        if sig_paths.is_empty() {
            return Err(anyhow!(
                "{}: no signature (DELTA.minisig): `bundle --delta-from` signs deltas",
                path.display()
            ));
        }
        deltas.push(push::DeltaFiles {
            delta,
            signatures: sig_paths
                .iter()
                .map(|p| read(p, dist::artifact::MAX_SIGNATURE))
                .collect::<anyhow::Result<Vec<_>>>()?,
            base_sha256: doc.base.sha256,
            base_version: doc.base.version,
        });
    }
    let files = push::Files {
        bundle,
        signatures,
        freshness,
        deltas,
    };
    let result = super::pull::credentials(&reference).and_then(|c| {
        push::push(
            &reference,
            c,
            args.registry.client_options(),
            &files,
            &manifest,
        )
    });
    match result {
        Ok(pushed) => {
            let mut out = format!(
                "Pushed {reference}\ndigest     {}\nname       {}\nversion    {}\n",
                pushed.manifest_digest, manifest.name, manifest.version
            );
            for layer in &pushed.manifest.layers {
                out.push_str(&format!(
                    "layer      {} {} ({} bytes, {})\n",
                    layer.title().unwrap_or_default(),
                    layer.digest,
                    layer.size,
                    layer.media_type
                ));
            }
            super::print(&out);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let _ = writeln!(
                anstream::stderr(),
                "ruleforge: push failed [{}]: {reference}: {e}",
                e.code()
            );
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}
