//! Atomic writes: a temporary file in the same folder, synced, then renamed over the target.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (readers see the old file or the new one).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".ruleforge-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes several files into `dir` so that none is renamed into place before all were
/// written and synced: a failure leaves the folder as it was.
pub fn write_all_atomic(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let mut tmp = tempfile::Builder::new()
            .prefix(".ruleforge-")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, dir.join(name)));
    }
    for (tmp, path) in staged {
        tmp.persist(&path).map_err(|e| e.error)?;
    }
    Ok(())
}
