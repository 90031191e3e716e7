//! `ruleforge bundle`: build (and sign) the bundle of a git revision.

use super::CmdResult;
use crate::bundle::{self, sign, BuildError};
use crate::fsutil::stage_mode;

use anyhow::{anyhow, Context};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Git revision to build: a commit, tag or branch. Read from the object database, never
    /// from the working tree.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Sign with this minisign secret key file. Repeat to sign with several keys (a
    /// threshold, or a key rotation): `BUNDLE.minisig`, then `BUNDLE.minisig.2`, …
    #[arg(long, value_name = "FILE")]
    pub secret_key: Vec<PathBuf>,
    /// Sign with the secret key whose file CONTENTS are in this environment variable (a CI
    /// secret; the key never touches the disk). Password, if any: RULEFORGE_KEY_PASSWORD.
    /// Repeatable; these signatures follow those of --secret-key.
    #[arg(long, value_name = "VAR")]
    pub secret_key_env: Vec<String>,
    /// Also carry this export target's output under `exports/<target>/` (repeatable or
    /// comma-separated; added to `[bundle] exports` of the configuration).
    #[arg(long = "export", value_name = "TARGET", value_delimiter = ',')]
    pub exports: Vec<String>,
    /// Also write a signed delta from this earlier bundle of the same name to the new one
    /// (`<name>-<version>.delta-<base sha256 prefix>.tar.gz` and its signatures): only the
    /// changed and added rules, tombstones for removed ones, and the other changed members.
    /// Needs a signing key.
    #[arg(long, value_name = "OLD_BUNDLE")]
    pub delta_from: Option<PathBuf>,
}

/// Loads a signing key from a file or from an environment variable holding its contents;
/// the password, if the key has one, from RULEFORGE_KEY_PASSWORD or the terminal.
pub(crate) fn load_signing_key(
    file: Option<&std::path::Path>,
    var: Option<&str>,
) -> anyhow::Result<sign::SigningKey> {
    let (text, source) = match (file, var) {
        (Some(p), _) => (
            std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read the secret key", p.display()))?,
            p.display().to_string(),
        ),
        (None, Some(var)) => {
            let v = std::env::var(var).map_err(|e| {
                anyhow!(
                    "--secret-key-env {var}: the environment variable is {}",
                    match e {
                        std::env::VarError::NotPresent => "not set",
                        std::env::VarError::NotUnicode(_) => "not valid UTF-8",
                    }
                )
            })?;
            (v, format!("${var}"))
        }
        (None, None) => return Err(anyhow!("no secret key given")),
    };
    let prompt = format!("Password for {source}: ");
    let key = sign::load_secret_key(&text, &source, &mut || {
        super::keygen::read_password(&prompt, false)
    })?;
    Ok(key)
}

fn load_keys(args: &Args) -> anyhow::Result<Vec<sign::SigningKey>> {
    let mut keys: Vec<sign::SigningKey> = Vec::new();
    for p in &args.secret_key {
        keys.push(load_signing_key(Some(p), None)?);
    }
    for var in &args.secret_key_env {
        keys.push(load_signing_key(None, Some(var))?);
    }
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].iter().any(|o| o.key_id() == k.key_id()) {
            return Err(anyhow!(
                "key {} is given twice: a threshold counts distinct keys",
                k.key_id()
            ));
        }
    }
    Ok(keys)
}

pub fn exec(args: Args) -> CmdResult {
    let cwd = std::env::current_dir()?;
    let root = crate::config::find_root(&cwd);
    let repo = crate::git::open(&root)?;
    let prefix = super::repo_prefix(&repo, &root)?;

    // The key first: a wrong password should not cost a build.
    let keys = load_keys(&args)?;
    if args.delta_from.is_some() && keys.is_empty() {
        return Err(anyhow!(
            "--delta-from: a delta is applied only when signed; give --secret-key or --secret-key-env"
        ));
    }
    // The base too: a missing one should not cost a build either.
    let delta_base = match &args.delta_from {
        Some(p) => Some((p, read_bounded(p)?)),
        None => None,
    };

    let rev = bundle::read_revision(&repo, &args.rev, &prefix)?;
    let short = &rev.commit[..12];
    crate::timings::mark("bundle: revision read");
    let progress = super::progress::Progress::start(
        super::progress::wanted(true),
        "linting and compiling",
        "files",
        Some(rev.inputs.len() as u64),
    );
    let mut export_names = rev.config.bundle.exports.clone();
    export_names.extend(args.exports.iter().cloned());
    let targets = crate::export::Target::parse_list(&export_names)
        .with_context(|| "bundle exports ([bundle] exports, --export)")?;
    let (outcome, compiled, export_files) = if targets.is_empty() {
        let (o, c) = bundle::lint_and_compile(&rev, super::today())?;
        (o, c, Vec::new())
    } else {
        let (o, c, e) = bundle::lint_and_compile_with(
            &rev,
            super::today(),
            &crate::export::model::from_parsed,
        )?;
        (o, c, e)
    };
    drop(progress);
    crate::timings::mark("bundle: linted and compiled");
    if super::lint_gate(
        &outcome,
        &format!("at `{}` (commit {short}): no bundle built", args.rev),
    ) {
        return Ok(ExitCode::from(1));
    }

    let members = if targets.is_empty() {
        Vec::new()
    } else {
        let set = match crate::export::model::select(
            export_files,
            &crate::export::selection(&rev.config, rev.time.date()),
        ) {
            Ok(s) => s,
            Err(lines) => return Ok(content_refused(&lines, &args.rev, short)),
        };
        let opts = crate::export::Options {
            approximate: false,
            producer: rev.config.bundle.name.clone(),
        };
        let outputs = crate::export::run(&set, &targets, &opts);
        // The commit, not the revision as typed: the same commit gives the same bundle
        // whether it was named `HEAD`, a tag or its id.
        let source = crate::export::report::SourceInfo {
            rev: rev.commit.clone(),
            commit: Some(rev.commit.clone()),
        };
        let report = crate::export::make_report(&outputs, &set, source, &opts);
        crate::export::bundle_members(&outputs, &report)
    };
    let built = match bundle::build_with_members(&rev, Some(compiled), &members) {
        Ok(b) => b,
        Err(e @ BuildError::Setup(_)) => return Err(e.into()),
        Err(BuildError::Content(lines)) => return Ok(content_refused(&lines, &args.rev, short)),
    };
    crate::timings::mark("bundle: built");
    if built.manifest.native_count() + built.manifest.sigma_count() == 0 {
        let _ = writeln!(
            anstream::stderr(),
            "ruleforge: warning: the bundle of `{}` holds no rules (rule roots: {}; statuses: {}): \
             scanners that load it drop every detection",
            args.rev,
            rev.config.lint.roots.join(", "),
            rev.config.bundle.statuses.join(", ")
        );
    }
    let comment = bundle::trusted_comment(&built.manifest);
    let signatures = keys
        .iter()
        .map(|k| sign::sign(k, &built.archive, &comment))
        .collect::<Result<Vec<_>, _>>()?;

    crate::timings::mark("bundle: signed");
    let delta = match &delta_base {
        Some((path, old)) => {
            let old_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let made = crate::dist::delta::make(
                (&old_name, old),
                (&built.file_name, &built.archive),
                &signatures,
                crate::bundle::VerifyOptions::default().max_unpacked,
            )
            .map_err(|e| anyhow!("--delta-from {}: {e}", path.display()))?;
            let comment = crate::dist::delta::trusted_comment(&made.doc);
            let delta_name = crate::dist::delta::file_name(&built.file_name, &made.doc.base.sha256);
            let mut files = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                files.push((
                    crate::dist::signature_file_name(&delta_name, i),
                    sign::sign(k, &made.archive, &comment)?.into_bytes(),
                ));
            }
            files.insert(0, (delta_name, made.archive.clone()));
            crate::timings::mark("bundle: delta made and signed");
            Some((made, files))
        }
        None => None,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create the output folder", args.out.display()))?;
    let archive_path = args.out.join(&built.file_name);
    let sig_paths: Vec<PathBuf> = (0..signatures.len())
        .map(|i| {
            args.out
                .join(crate::dist::signature_file_name(&built.file_name, i))
        })
        .collect();
    // All are written and synced in full before any gets its name; then the signatures are
    // put in place, the archive last: a scanner that finds the archive finds its signatures
    // beside it, and a failure leaves no unsigned bundle where a signed one was asked for
    // (docs/reliability.md).
    let cannot_write = |p: &std::path::Path| format!("{}: cannot write", p.display());
    let mut staged_sigs = Vec::with_capacity(signatures.len());
    for (sig, sig_path) in signatures.iter().zip(&sig_paths) {
        staged_sigs.push(
            stage_mode(sig_path, sig.as_bytes(), 0o644, true)
                .with_context(|| cannot_write(sig_path))?,
        );
    }
    let staged_archive = stage_mode(&archive_path, &built.archive, 0o644, true)
        .with_context(|| cannot_write(&archive_path))?;
    // Removed again if the archive cannot be put in place, unless they replaced earlier ones
    // (a bundle of the same commit: same archive).
    let new_sigs: Vec<&PathBuf> = sig_paths.iter().filter(|p| !p.exists()).collect();
    for (staged, sig_path) in staged_sigs.into_iter().zip(&sig_paths) {
        staged.commit().with_context(|| cannot_write(sig_path))?;
    }
    if let Err(e) = staged_archive.commit() {
        for p in new_sigs {
            let _ = std::fs::remove_file(p);
        }
        return Err(anyhow::Error::new(e).context(cannot_write(&archive_path)));
    }
    // A signature numbered after the last one written belongs to an earlier build.
    let stale = args.out.join(crate::dist::signature_file_name(
        &built.file_name,
        signatures.len().max(1),
    ));
    if stale.is_file() {
        let _ = std::fs::remove_file(&stale);
    }
    crate::timings::mark("bundle: archive and signature written and synced to disk");
    if let Some((_, files)) = &delta {
        // The delta (last: the bundle it leads to is in place) and its signatures, all
        // synced before any gets its name, readable like the bundle.
        let mut staged = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let path = args.out.join(name);
            staged.push((
                stage_mode(&path, bytes, 0o644, true).with_context(|| cannot_write(&path))?,
                path,
            ));
        }
        for (s, path) in staged {
            s.commit().with_context(|| cannot_write(&path))?;
        }
    }

    let m = &built.manifest;
    let mut out = String::new();
    out.push_str(&format!("bundle     {}\n", archive_path.display()));
    for sig_path in &sig_paths {
        out.push_str(&format!("signature  {}\n", sig_path.display()));
    }
    out.push_str(&format!("sha256     {}\n", built.sha256));
    out.push_str(&format!("size       {} bytes\n", built.archive.len()));
    out.push_str(&format!("name       {}\n", m.name));
    out.push_str(&format!("version    {}\n", m.version));
    out.push_str(&format!("commit     {}\n", m.commit));
    out.push_str(&format!("created    {}\n", m.created));
    out.push_str(&format!("expires    {}\n", m.expires));
    out.push_str(&counts_text(m));
    let x = &built.excluded;
    if x.by_status + x.expired + x.sigma_by_status > 0 {
        out.push_str(&format!(
            "excluded   native {} by status, {} expired; Sigma {} by status\n",
            x.by_status, x.expired, x.sigma_by_status
        ));
    }
    if keys.is_empty() {
        out.push_str("unsigned   (no --secret-key or --secret-key-env)\n");
    }
    for k in &keys {
        out.push_str(&format!("signed by  key {}\n", k.key_id()));
    }
    if let Some(src) = &rev.config_source {
        out.push_str(&format!("config     {src}\n"));
    }
    if let Some((made, files)) = &delta {
        out.push_str(&format!(
            "delta      {} ({} bytes, {:.2} % of the bundle) from {} (version {}): {} changed, {} added, {} removed rules; {} whole member{}\n",
            args.out.join(&files[0].0).display(),
            made.archive.len(),
            100.0 * made.archive.len() as f64 / built.archive.len().max(1) as f64,
            made.doc.base.file,
            made.doc.base.version,
            made.changed,
            made.added,
            made.removed,
            made.doc.whole.len(),
            if made.doc.whole.len() == 1 { "" } else { "s" },
        ));
    }
    super::print(&out);
    Ok(ExitCode::SUCCESS)
}

/// Reads an earlier bundle within the unpacked-size bound of verification.
fn read_bounded(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let limit = crate::bundle::VerifyOptions::default().max_unpacked;
    super::read_at_most(path, limit)
        .with_context(|| format!("--delta-from {}: cannot read", path.display()))?
        .ok_or_else(|| anyhow!("--delta-from {}: larger than {limit} bytes", path.display()))
}

/// Prints rule problems that stop a build (one line each) and returns exit code 1.
fn content_refused(lines: &[String], rev: &str, short: &str) -> ExitCode {
    super::rule_problems(
        lines,
        &format!("at `{rev}` (commit {short}): no bundle built"),
    )
}

/// The count lines of `bundle` and `verify`: rules per kind, then each kind's breakdown.
pub(crate) fn counts_text(m: &bundle::Manifest) -> String {
    let join = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let paren = |parts: Vec<String>| {
        let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    };
    let mut out = format!("rules      {}\n", m.kinds_summary());
    out.push_str(&format!(
        "native     {}{}\n",
        m.counts.rules,
        paren(vec![join(&m.counts.rules_by_status)])
    ));
    out.push_str(&format!(
        "indicators {}{}\n",
        m.counts.indicators,
        paren(vec![join(&m.counts.indicators_by_type)])
    ));
    let mut exports: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in &m.files {
        let Some(rest) = f.path.strip_prefix("exports/") else {
            continue;
        };
        if let Some((target, _)) = rest.split_once('/') {
            *exports.entry(target).or_default() += 1;
        }
    }
    if !exports.is_empty() {
        out.push_str(&format!(
            "exports    {}\n",
            exports
                .iter()
                .map(|(t, n)| format!("{t} ({n} file{})", if *n == 1 { "" } else { "s" }))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(k) = &m.rules {
        let s = &k.sigma;
        let labelled = |label: &str, map| {
            let j = join(map);
            if j.is_empty() {
                j
            } else {
                format!("{label} {j}")
            }
        };
        out.push_str(&format!(
            "sigma      {}{}\n",
            s.count,
            paren(vec![
                join(&s.by_type),
                labelled("status", &s.by_status),
                labelled("level", &s.by_level),
            ])
        ));
    }
    out
}
