//! Atomic writes: a temporary file in the same folder, synced, then renamed over the target.
//!
//! Files are created readable by all (`0o666`, less the umask), as `ruleforge bundle` writes
//! them: a scanner that runs as another user than the one that pulls must be able to read
//! what was pulled. Nothing written here is secret (bundles, signatures, freshness, state).

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (readers see the old file or the new one).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = temporary(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

fn temporary(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ruleforge-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode is given to open(2), which takes the umask off it.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Makes the renames durable. Best effort: some file systems cannot sync a folder.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes several files into `dir` so that none is renamed into place before all were
/// written and synced: a failure leaves the folder as it was.
pub fn write_all_atomic(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let mut tmp = temporary(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, dir.join(name)));
    }
    for (tmp, path) in staged {
        tmp.persist(&path).map_err(|e| e.error)?;
    }
    sync_dir(dir);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let v = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .unwrap();
        u32::from_str_radix(v.trim(), 8).unwrap()
    }

    #[test]
    fn written_files_are_readable_by_others_as_bundle_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("state.json");
        write_atomic(&one, b"{}").unwrap();
        write_all_atomic(dir.path(), &[("b.tar.gz".into(), b"x".to_vec())]).unwrap();
        let want = 0o666 & !umask();
        for p in [one, dir.path().join("b.tar.gz")] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, want, "{}", p.display());
        }
        // Nothing but the two files is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
