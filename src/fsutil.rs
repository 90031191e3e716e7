//! Atomic file writes: the new content is written and synced in full before it gets a name,
//! then it replaces the old file in one rename.
//!
//! On Linux the content goes first into an unnamed file (`O_TMPFILE`) of the destination's
//! folder, so a process killed while writing or syncing (`SIGKILL`, a full disk, a crash)
//! leaves nothing behind; the file is then linked under a temporary name and renamed over
//! the destination (or linked straight to it when nothing may be replaced). Elsewhere, or
//! where the file system or a missing `/proc` refuses it, a named temporary file
//! (`.ruleforge-*`, removed on every error) is used.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, never a
/// partial one. The file keeps the permissions of the file it replaces.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let keep = std::fs::metadata(path).ok().map(|m| m.permissions());
    write(path, bytes, keep, true)
}

/// Like [`write_atomic`], but the new file is created with `mode` (Unix permission bits,
/// further restricted by the umask) whatever file it replaces, and an existing file is
/// replaced only when `overwrite` is set (otherwise the error kind is `AlreadyExists`).
/// Used for artifacts (bundles, signatures: 0o644) and secret keys (0o600).
pub fn write_atomic_mode(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    overwrite: bool,
) -> std::io::Result<()> {
    stage_mode(path, bytes, mode, overwrite)?.commit()
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn write(
    path: &Path,
    bytes: &[u8],
    perms: Option<std::fs::Permissions>,
    overwrite: bool,
) -> std::io::Result<()> {
    stage(path, bytes, perms, overwrite)?.commit()
}

/// A file written and synced in full that does not have its name yet: [`Staged::commit`]
/// gives it the name; dropping it leaves nothing behind. Staging several files first, then
/// committing them, keeps the moment where some have their new content and some not as
/// short as a rename (a bundle and its signature).
pub struct Staged {
    path: std::path::PathBuf,
    overwrite: bool,
    inner: Inner,
}

enum Inner {
    #[cfg(target_os = "linux")]
    Unnamed(std::fs::File),
    Named(tempfile::NamedTempFile),
}

impl Staged {
    /// Puts the file in place (see [`write_atomic_mode`] for `overwrite`).
    pub fn commit(self) -> std::io::Result<()> {
        match self.inner {
            #[cfg(target_os = "linux")]
            Inner::Unnamed(f) => unnamed::publish(&f, &self.path, self.overwrite),
            Inner::Named(tmp) => {
                if self.overwrite {
                    tmp.persist(&self.path).map_err(|e| e.error)?;
                } else {
                    tmp.persist_noclobber(&self.path).map_err(|e| e.error)?;
                }
                Ok(())
            }
        }
    }
}

/// Stages what [`write_atomic_mode`] writes, without putting it in place.
pub fn stage_mode(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    overwrite: bool,
) -> std::io::Result<Staged> {
    #[cfg(unix)]
    let perms = {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(mode & !current_umask()))
    };
    #[cfg(not(unix))]
    let perms = {
        let _ = mode;
        None
    };
    stage(path, bytes, perms, overwrite)
}

fn stage(
    path: &Path,
    bytes: &[u8],
    perms: Option<std::fs::Permissions>,
    overwrite: bool,
) -> std::io::Result<Staged> {
    sweep_once(folder_of(path));
    #[cfg(target_os = "linux")]
    match unnamed::stage(path, bytes, perms.clone()) {
        Ok(f) => {
            return Ok(Staged {
                path: path.to_path_buf(),
                overwrite,
                inner: Inner::Unnamed(f),
            })
        }
        Err(unnamed::Failure::Io(e)) => return Err(e),
        Err(unnamed::Failure::Unsupported) => {}
    }
    Ok(Staged {
        path: path.to_path_buf(),
        overwrite,
        inner: Inner::Named(stage_named(path, bytes, perms)?),
    })
}

/// The portable way: a named temporary file beside `path`, removed on every error.
fn stage_named(
    path: &Path,
    bytes: &[u8],
    perms: Option<std::fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    #[cfg(unix)]
    let perms = perms.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o666 & !current_umask()))
    });
    let mut builder = tempfile::Builder::new();
    let prefix = temporary_prefix();
    builder.prefix(&prefix);
    if let Some(p) = &perms {
        builder.permissions(p.clone());
    }
    let mut tmp = builder.tempfile_in(folder_of(path))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Some(p) = perms {
        // The builder's permissions pass through the umask; a replaced file's do not.
        std::fs::set_permissions(tmp.path(), p)?;
    }
    Ok(tmp)
}

/// The start of this process's temporary names: `.ruleforge-<pid>.` (the process id lets a
/// later run tell a killed run's leftover from a running one's file).
pub(crate) fn temporary_prefix() -> String {
    format!("{TEMPORARY}{}.", std::process::id())
}

/// The start of every temporary name [`write_atomic`] gives.
const TEMPORARY: &str = ".ruleforge-";

/// Removes, once per process and folder, the temporary files a killed run left in `dir`.
///
/// A replaced file has a temporary name for the time of one rename; `SIGKILL` in that
/// moment (or while a named temporary file is written, where `O_TMPFILE` is missing) leaves
/// it behind. The next run that writes into the folder removes every `.ruleforge-<pid>.*`
/// file whose process is gone; files of running processes are left alone.
pub(crate) fn sweep_once(dir: &Path) {
    static SWEPT: std::sync::Mutex<Option<std::collections::HashSet<std::path::PathBuf>>> =
        std::sync::Mutex::new(None);
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept
            .get_or_insert_with(Default::default)
            .insert(dir.to_path_buf())
        {
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMPORARY)) else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != me && !process_alive(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Whether a process with this id exists (on systems without a way to ask: yes).
#[cfg(unix)]
pub(crate) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
pub(crate) fn process_alive(_pid: u32) -> bool {
    true
}

/// The process's umask: from `/proc/self/status`, else by setting it and putting it back.
#[cfg(unix)]
// `mode_t` is `u32` on Linux, `u16` on macOS.
#[allow(clippy::useless_conversion)]
fn current_umask() -> u32 {
    // Read once: files are written from several threads at a time, and swapping the mask
    // from two of them at once could leave the process with the wrong one.
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        // Linux 4.7 and later show it without changing it.
        let shown = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            });
        shown.unwrap_or_else(|| {
            // SAFETY: umask only swaps the process's file mode creation mask; it is restored
            // at once, and only once per process (this initializer runs one time).
            unsafe {
                let old = libc::umask(0o022);
                libc::umask(old);
                u32::from(old)
            }
        })
    })
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::CString;
    use std::fs::{File, OpenOptions, Permissions};
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::{Path, PathBuf};

    pub enum Failure {
        /// No unnamed file here (kernel, file system, no `/proc`): use a named one.
        Unsupported,
        Io(std::io::Error),
    }

    impl From<std::io::Error> for Failure {
        fn from(e: std::io::Error) -> Self {
            Failure::Io(e)
        }
    }

    fn unsupported(e: &std::io::Error) -> bool {
        matches!(
            e.raw_os_error(),
            Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL | libc::ENOSYS)
        )
    }

    fn c_path(p: &Path) -> std::io::Result<CString> {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))
    }

    /// Gives the unnamed `file` the name `dest` (fails if `dest` exists).
    fn link(file: &File, dest: &Path) -> std::io::Result<()> {
        let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .expect("no NUL in a /proc path");
        let to = c_path(dest)?;
        // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
        let rc = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    fn temporary_name(dir: &Path) -> PathBuf {
        let n: u64 = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            h.finish()
        };
        dir.join(format!("{}{n:016x}", super::temporary_prefix()))
    }

    /// Writes and syncs `bytes` into an unnamed file of `path`'s folder.
    pub fn stage(path: &Path, bytes: &[u8], perms: Option<Permissions>) -> Result<File, Failure> {
        // Without /proc the unnamed file could not be given a name later.
        if !Path::new("/proc/self/fd").is_dir() {
            return Err(Failure::Unsupported);
        }
        let dir = super::folder_of(path);
        let mut file = match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .mode(0o600)
            .open(dir)
        {
            Ok(f) => f,
            Err(e) if unsupported(&e) => return Err(Failure::Unsupported),
            Err(e) => return Err(e.into()),
        };
        file.write_all(bytes)?;
        if let Some(p) = perms {
            file.set_permissions(p)?;
        } else {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(Permissions::from_mode(0o666 & !super::current_umask()))?;
        }
        file.sync_all()?;
        Ok(file)
    }

    /// Gives the staged `file` the name `path`.
    pub fn publish(file: &File, path: &Path, overwrite: bool) -> std::io::Result<()> {
        if !overwrite {
            return link(file, path);
        }
        let dir = super::folder_of(path);
        // Named for the time of one rename.
        let mut tmp = temporary_name(dir);
        let mut tries = 0;
        loop {
            match link(file, &tmp) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 8 => {
                    tries += 1;
                    tmp = temporary_name(dir);
                }
                Err(e) => return Err(e),
            }
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A killed run's temporary file is removed by the next write into its folder; those of
    /// running processes, and other hidden files, are kept.
    #[cfg(unix)]
    #[test]
    fn a_killed_runs_temporary_is_swept_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        assert!(!process_alive(dead));
        let stale = dir
            .path()
            .join(format!(".ruleforge-{dead}.00ff00ff00ff00ff"));
        let running = dir.path().join(".ruleforge-1.00ff00ff00ff00ff");
        let other = dir.path().join(".ruleforge-export.12.x");
        for p in [&stale, &running, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        write_atomic(&dir.path().join("rule.yml"), b"id: x\n").unwrap();
        assert!(
            !stale.exists(),
            "the dead process's temporary file is removed"
        );
        assert!(running.exists() && other.exists());
        assert_eq!(
            std::fs::read(dir.path().join("rule.yml")).unwrap(),
            b"id: x\n"
        );
    }

    /// Files are written from many threads at once (export, fmt): the umask they are created
    /// under must stay the process's own.
    #[cfg(target_os = "linux")]
    #[test]
    fn writes_from_many_threads_keep_the_process_umask() {
        let umask = || {
            std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_string()))
                .unwrap()
        };
        let before = umask();
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let dir = dir.path();
                s.spawn(move || {
                    for i in 0..100 {
                        let p = dir.join(format!("{t}-{i}.yml"));
                        write_atomic_mode(&p, b"x", 0o666, false).unwrap();
                    }
                });
            }
        });
        assert_eq!(umask(), before);
        assert_eq!(current_umask(), u32::from_str_radix(&before, 8).unwrap());
    }

    #[test]
    fn writes_replace_and_leave_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yml");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn modes_and_no_clobber() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        write_atomic_mode(&p, b"secret", 0o600, false).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let e = write_atomic_mode(&p, b"other", 0o600, false).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"secret");
        // A replaced file keeps its permissions.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/a.yml");
        assert!(write_atomic(&p, b"x").is_err());
    }
}
