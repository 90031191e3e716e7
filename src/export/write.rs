//! Writing an export: `DIR/<target>/…` and `DIR/export-report.json`, all or nothing.
//!
//! Everything is first written (and synced) into a staging folder inside `DIR`; then each
//! target folder replaces the old one by a rename, and the report goes last. A failure
//! before the renames leaves `DIR` as it was; the staging folder is removed in every case.
//! Each `DIR/<target>/` is replaced whole: files an earlier export wrote and this one does
//! not are gone, so a scanner never loads a stale rule file.

use super::{report, Target, TargetOutput};
use std::fs;
use std::io::Write;
use std::path::{Component, Path};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {action}: {source}")]
    Io {
        path: String,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("export target `{target}` produced an unsafe file name `{name}`")]
    BadName { target: &'static str, name: String },
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> WriteError + 'a {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        action,
        source,
    }
}

/// A file name a target may use: relative, `/`-separated, no `.`/`..`, no empty parts.
pub fn safe_relative(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\\')
        && !name.contains('\0')
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && !name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(parent, "cannot create the folder"))?;
    }
    let mut f = fs::File::create(path).map_err(io(path, "cannot create"))?;
    f.write_all(bytes).map_err(io(path, "cannot write"))?;
    Ok(())
}

/// Makes everything written under `stage` durable before it is moved into place. On Linux
/// one `syncfs` of the file system flushes every staged file at once (a target of one file
/// per rule would otherwise wait for thousands of single syncs); elsewhere each file is
/// synced.
fn sync_staged(stage: &Path, written: &[std::path::PathBuf]) -> Result<(), WriteError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = written;
        let dir = fs::File::open(stage).map_err(io(stage, "cannot open"))?;
        // SAFETY: `dir` is an open file descriptor for the whole call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(io(stage, "cannot sync")(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = stage;
        for p in written {
            fs::File::open(p)
                .and_then(|f| f.sync_all())
                .map_err(io(p, "cannot sync"))?;
        }
        Ok(())
    }
}

/// Writes `outputs` and the report under `out` (created if missing).
pub fn write_all(
    out: &Path,
    outputs: &[(Target, TargetOutput)],
    report: &report::ExportReport,
) -> Result<(), WriteError> {
    for (t, o) in outputs {
        if let Some((name, _)) = o.files.iter().find(|(n, _)| !safe_relative(n)) {
            return Err(WriteError::BadName {
                target: t.name(),
                name: name.clone(),
            });
        }
    }
    fs::create_dir_all(out).map_err(io(out, "cannot create the output folder"))?;
    remove_stale_staging(out);
    let staging = tempfile::Builder::new()
        .prefix(&format!("{STAGING_PREFIX}{}.", std::process::id()))
        .tempdir_in(out)
        .map_err(io(
            out,
            "cannot create a staging folder in the output folder",
        ))?;
    let stage = staging.path();
    let mut written = Vec::new();
    for (t, o) in outputs {
        let dir = stage.join(t.name());
        fs::create_dir_all(&dir).map_err(io(&dir, "cannot create the folder"))?;
        for (name, bytes) in &o.files {
            let path = dir.join(name);
            write_file(&path, bytes)?;
            written.push(path);
        }
    }
    let report_staged = stage.join(report::REPORT_NAME);
    write_file(&report_staged, &report.to_json())?;
    written.push(report_staged.clone());
    sync_staged(stage, &written)?;

    // The renames: each target folder, then the report. A failure puts back what was moved.
    let old = stage.join(".old");
    fs::create_dir(&old).map_err(io(&old, "cannot create the folder"))?;
    let mut moved: Vec<Moved> = Vec::new();
    let renamed = rename_all(out, stage, &old, outputs, &report_staged, &mut moved);
    if renamed.is_err() {
        for m in moved.iter().rev() {
            if m.placed {
                let _ = fs::remove_dir_all(&m.dest);
            }
            if let Some(aside) = &m.aside {
                let _ = fs::rename(aside, &m.dest);
            }
        }
    }
    if let Ok(d) = fs::File::open(out) {
        let _ = d.sync_all();
    }
    // `staging` (with the earlier exports moved aside) is removed when it drops.
    renamed
}

/// The start of a staging folder's name; the writing process's id follows.
const STAGING_PREFIX: &str = ".ruleforge-export.";

/// A target folder being replaced: where the earlier one was moved, whether the new one
/// is in place.
struct Moved {
    dest: std::path::PathBuf,
    aside: Option<std::path::PathBuf>,
    placed: bool,
}

fn rename_all(
    out: &Path,
    stage: &Path,
    old: &Path,
    outputs: &[(Target, TargetOutput)],
    report_staged: &Path,
    moved: &mut Vec<Moved>,
) -> Result<(), WriteError> {
    for (t, _) in outputs {
        let dest = out.join(t.name());
        let aside = match fs::symlink_metadata(&dest) {
            Ok(m) if m.is_dir() => {
                let aside = old.join(t.name());
                fs::rename(&dest, &aside)
                    .map_err(io(&dest, "cannot move the earlier export aside"))?;
                Some(aside)
            }
            Ok(_) => {
                return Err(WriteError::Io {
                    path: dest.display().to_string(),
                    action: "cannot replace",
                    source: std::io::Error::other("it exists and is not a folder"),
                })
            }
            Err(_) => None,
        };
        moved.push(Moved {
            dest: dest.clone(),
            aside,
            placed: false,
        });
        fs::rename(stage.join(t.name()), &dest).map_err(io(&dest, "cannot move into place"))?;
        if let Some(m) = moved.last_mut() {
            m.placed = true;
        }
    }
    let report_dest = out.join(report::REPORT_NAME);
    fs::rename(report_staged, &report_dest).map_err(io(&report_dest, "cannot move into place"))
}

/// Removes the staging folders in `out` of exports that were killed (their process is
/// gone): they cannot remove their own.
fn remove_stale_staging(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(STAGING_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused() {
        for bad in ["", "../x", "a/../b", "/etc/x", "a//b", "./a", "a\\b", "a/"] {
            assert!(!safe_relative(bad), "{bad:?}");
        }
        for good in ["ruleforge.yar", "rules/a.yml", "x.y.z"] {
            assert!(safe_relative(good), "{good:?}");
        }
    }
}
