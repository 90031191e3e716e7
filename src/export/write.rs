//! Writing an export: `DIR/<target>/…` and `DIR/export-report.json`, all or nothing.
//!
//! Everything is first written (and synced) into a staging folder inside `DIR` ([`Staging`]:
//! each target's files as soon as that target is built, so the bytes of every target are
//! never held at once, and the size and SHA-256 the report lists are taken as each file is
//! written); then each target folder replaces the old one by a rename, and the report goes
//! last. A failure
//! before the renames leaves `DIR` as it was; the staging folder is removed in every case.
//! Each `DIR/<target>/` is replaced whole: files an earlier export wrote and this one does
//! not are gone, so a scanner never loads a stale rule file.
//!
//! Targets of one file per rule (`sigma/`, `misp/`) create tens of thousands of files, and
//! creating a file costs the file system far more than writing its few bytes: the folders
//! are created once each, the files are created and written from every core, and the
//! earlier export, once moved aside, is removed from every core as well.

use super::{report, Target, TargetOutput};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

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

/// Creates a new file (its folder exists) and writes `bytes` into it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path, "cannot create"))?;
    f.write_all(bytes).map_err(io(path, "cannot write"))?;
    Ok(())
}

/// Removes a folder and everything in it, the files from every core (an earlier export of
/// one file per rule holds tens of thousands).
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() {
        for e in fs::read_dir(&dirs[i])? {
            let e = e?;
            if e.file_type()?.is_dir() {
                dirs.push(e.path());
            } else {
                files.push(e.path());
            }
        }
        i += 1;
    }
    files.par_iter().try_for_each(fs::remove_file)?;
    // Deepest first: every folder is listed after its parent.
    for d in dirs.iter().rev() {
        fs::remove_dir(d)?;
    }
    Ok(())
}

/// Makes everything written under `stage` durable before it is moved into place. On Linux
/// one `syncfs` of the file system flushes every staged file at once (a target of one file
/// per rule would otherwise wait for thousands of single syncs); elsewhere each file is
/// synced.
fn sync_staged(stage: &Path) -> Result<(), WriteError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let dir = fs::File::open(stage).map_err(io(stage, "cannot open"))?;
        // SAFETY: `dir` is an open file descriptor for the whole call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(io(stage, "cannot sync")(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut dirs = vec![stage.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in fs::read_dir(&d).map_err(io(&d, "cannot read"))? {
                let p = e.map_err(io(&d, "cannot read"))?.path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    fs::File::open(&p)
                        .and_then(|f| f.sync_all())
                        .map_err(io(&p, "cannot sync"))?;
                }
            }
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
        check_names(*t, &o.files)?;
    }
    let staging = Staging::new(out)?;
    for (t, o) in outputs {
        staging.write_target(*t, &o.files)?;
    }
    let targets: Vec<Target> = outputs.iter().map(|(t, _)| *t).collect();
    staging.finish(&targets, report)
}

fn check_names(t: Target, files: &[(String, Vec<u8>)]) -> Result<(), WriteError> {
    match files.iter().find(|(n, _)| !safe_relative(n)) {
        Some((name, _)) => Err(WriteError::BadName {
            target: t.name(),
            name: name.clone(),
        }),
        None => Ok(()),
    }
}

/// An export being written: a staging folder inside the output folder that each target's
/// files go into as soon as the target is built ([`Staging::write_target`], from any
/// thread), and that [`Staging::finish`] moves into place. Dropped without `finish`, the
/// staging folder is removed and the output folder is as it was.
pub struct Staging {
    out: PathBuf,
    dir: tempfile::TempDir,
}

impl Staging {
    /// Creates `out` if missing, removes the staging folders of killed exports, and makes a
    /// new staging folder in it.
    pub fn new(out: &Path) -> Result<Staging, WriteError> {
        fs::create_dir_all(out).map_err(io(out, "cannot create the output folder"))?;
        remove_stale_staging(out);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}.", std::process::id()))
            .tempdir_in(out)
            .map_err(io(
                out,
                "cannot create a staging folder in the output folder",
            ))?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
        })
    }

    /// Writes one target's files (names relative to its folder) into the staging folder
    /// and returns the report's entry of each: the size and SHA-256 are taken from the bytes
    /// as they are written, so nothing is hashed twice. Each target once.
    pub fn write_target(
        &self,
        t: Target,
        files: &[(String, Vec<u8>)],
    ) -> Result<Vec<report::FileEntry>, WriteError> {
        check_names(t, files)?;
        let dir = self.dir.path().join(t.name());
        fs::create_dir(&dir).map_err(io(&dir, "cannot create the folder"))?;
        // Every sub-folder once (parents sort before their children), then the files in
        // parallel.
        let mut folders: BTreeSet<PathBuf> = BTreeSet::new();
        for (name, _) in files {
            let mut parent = Path::new(name).parent();
            while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
                if !folders.insert(p.to_path_buf()) {
                    break;
                }
                parent = p.parent();
            }
        }
        for f in &folders {
            let f = dir.join(f);
            fs::create_dir(&f).map_err(io(&f, "cannot create the folder"))?;
        }
        files
            .par_iter()
            .map(|(name, bytes)| {
                write_file(&dir.join(name), bytes)?;
                Ok(report::FileEntry::of(format!("{t}/{name}"), bytes))
            })
            .collect()
    }

    /// Writes the report, makes everything durable, then moves each target folder and the
    /// report into place (a failure puts back what was moved) and removes the earlier
    /// export. `targets` are those written with [`Staging::write_target`].
    pub fn finish(
        self,
        targets: &[Target],
        report: &report::ExportReport,
    ) -> Result<(), WriteError> {
        let stage = self.dir.path();
        let out = self.out.as_path();
        let report_staged = stage.join(report::REPORT_NAME);
        write_file(&report_staged, &report.to_json())?;
        crate::timings::mark("export: files written");
        sync_staged(stage)?;
        crate::timings::mark("export: synced");

        // The renames: each target folder, then the report. A failure puts back what was
        // moved.
        let old = stage.join(".old");
        fs::create_dir(&old).map_err(io(&old, "cannot create the folder"))?;
        let mut moved: Vec<Moved> = Vec::new();
        let renamed = rename_all(out, stage, &old, targets, &report_staged, &mut moved);
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
        renamed?;
        crate::timings::mark("export: moved into place");
        // The earlier exports, moved aside, go with the staging folder; what cannot be
        // removed here is left to the staging folder's own clean-up.
        let _ = remove_tree(&old);
        drop(self.dir);
        crate::timings::mark("export: earlier export removed");
        Ok(())
    }
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
    targets: &[Target],
    report_staged: &Path,
    moved: &mut Vec<Moved>,
) -> Result<(), WriteError> {
    for t in targets {
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
        if pid != std::process::id() && !crate::fsutil::process_alive(pid) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
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
