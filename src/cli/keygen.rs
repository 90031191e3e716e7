//! `ruleforge keygen`: an Ed25519 key pair in the minisign formats.

use super::CmdResult;
use crate::bundle::sign;
use crate::fsutil::write_atomic_mode;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Environment variable holding the secret key's password (keygen, bundle).
pub const PASSWORD_ENV: &str = "RULEFORGE_KEY_PASSWORD";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the secret key (created with mode 0600). Keep it out of the repository.
    #[arg(long, value_name = "FILE")]
    pub secret_key: PathBuf,
    /// Where to write the public key (give it to scanners; commit it if you like).
    #[arg(long, value_name = "FILE")]
    pub public_key: PathBuf,
    /// Store the secret key without a password, as `minisign -G -W` does (for a CI secret).
    /// Otherwise the password comes from RULEFORGE_KEY_PASSWORD or is asked on the terminal.
    #[arg(long)]
    pub no_password: bool,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Reads a password: RULEFORGE_KEY_PASSWORD when set, else from the terminal (twice when
/// `confirm`), never echoed.
pub fn read_password(prompt: &str, confirm: bool) -> Result<String, sign::KeyError> {
    if let Some(pw) = std::env::var_os(PASSWORD_ENV) {
        return pw
            .into_string()
            .map_err(|_| sign::KeyError(format!("{PASSWORD_ENV} is not valid UTF-8")));
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(sign::KeyError(format!(
            "a password is needed and there is no terminal to ask it on: set {PASSWORD_ENV}"
        )));
    }
    let no_tty = |e: std::io::Error| {
        sign::KeyError(format!(
            "cannot read a password from the terminal ({e}): set {PASSWORD_ENV}"
        ))
    };
    let pw = rpassword::prompt_password(prompt).map_err(no_tty)?;
    if confirm {
        let again = rpassword::prompt_password("Password (again): ").map_err(no_tty)?;
        if again != pw {
            return Err(sign::KeyError("the passwords do not match".into()));
        }
    }
    Ok(pw)
}

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

pub fn exec(args: Args) -> CmdResult {
    if args.secret_key == args.public_key {
        return Err(anyhow!("--secret-key and --public-key name the same file"));
    }
    if !args.force {
        for p in [&args.secret_key, &args.public_key] {
            if exists(p) {
                return Err(anyhow!(
                    "{}: already exists; refusing to overwrite it (use --force)",
                    p.display()
                ));
            }
        }
    }
    let password = if args.no_password {
        None
    } else {
        let pw = read_password("Password for the new secret key: ", true)?;
        if pw.is_empty() {
            return Err(anyhow!(
                "empty password (set {PASSWORD_ENV}, or use --no-password for an unprotected key)"
            ));
        }
        Some(pw)
    };
    let key = sign::generate(password.as_deref())?;
    let write = |p: &Path, text: &str, mode: u32| {
        write_atomic_mode(p, text.as_bytes(), mode, args.force).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(
                    "{}: already exists; refusing to overwrite it (use --force)",
                    p.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("{}: cannot write", p.display()))
            }
        })
    };
    write(&args.secret_key, &key.secret_key_text, 0o600)?;
    if let Err(e) = write(&args.public_key, &key.public_key_text, 0o644) {
        if !args.force {
            let _ = std::fs::remove_file(&args.secret_key);
        }
        return Err(e);
    }
    super::print(&format!(
        "Key id {}\nSecret key: {} (mode 0600, {})\nPublic key: {}\n",
        key.id,
        args.secret_key.display(),
        if password.is_some() {
            "password-protected"
        } else {
            "NOT password-protected: store it as a secret"
        },
        args.public_key.display()
    ));
    Ok(ExitCode::SUCCESS)
}
