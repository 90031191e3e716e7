//! The bundle archive: a ustar tar compressed with gzip, written byte-reproducibly and read
//! back with strict, bounded checks.
//!
//! Writing: members in the given order, regular files only, mode 0644, uid/gid 0, empty
//! user and group names, every mtime set to the commit time; gzip with header mtime 0, no
//! file name, OS byte 255 ("unknown") and a fixed compression level.
//!
//! Reading: the decompressed size is bounded (a decompression bomb stops at the limit), only
//! regular files with safe relative paths are accepted, duplicates are rejected.

use super::verify::VerifyError;
use flate2::read::GzDecoder;
use flate2::{Compression, GzBuilder};
use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

/// The gzip compression level of bundles (changing it changes the bytes of every bundle).
pub const COMPRESSION_LEVEL: u32 = 6;

/// Writes `members` (path, bytes) as a reproducible `.tar.gz`.
pub fn write(members: &[(&str, &[u8])], mtime: u64) -> std::io::Result<Vec<u8>> {
    // Sized up front: growing a buffer of a hundred megabytes by doubling copies it and
    // faults in fresh pages at every step.
    let tar_len: usize = members
        .iter()
        .map(|(_, d)| 512 + d.len().div_ceil(512) * 512)
        .sum::<usize>()
        + 1024;
    let mut tar = tar::Builder::new(Vec::with_capacity(tar_len));
    for (path, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_path(path)?;
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_username("")?;
        h.set_groupname("")?;
        h.set_device_major(0)?;
        h.set_device_minor(0)?;
        h.set_cksum();
        tar.append(&h, *data)?;
    }
    let tar_bytes = tar.into_inner()?;
    let mut gz = GzBuilder::new().mtime(0).operating_system(255).write(
        Vec::with_capacity(tar_bytes.len() / 3 + 64),
        Compression::new(COMPRESSION_LEVEL),
    );
    gz.write_all(&tar_bytes)?;
    gz.finish()
}

/// A reader that fails once more than `limit` bytes have been read, and remembers it.
struct Limited<R> {
    inner: R,
    remaining: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Ask for one byte more than allowed so that reaching the limit exactly is fine
        // and going past it is detected.
        let want = buf
            .len()
            .min(self.remaining.saturating_add(1).min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.remaining {
            self.exceeded.set(true);
            return Err(std::io::Error::other("decompressed size limit exceeded"));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Checks a member path: relative, `/`-separated, no empty, `.` or `..` component, no
/// backslash or control character.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.starts_with('/') {
        return Err("absolute path".into());
    }
    if path.contains('\\') || path.chars().any(|c| c.is_control()) {
        return Err("backslash or control character in path".into());
    }
    for part in path.split('/') {
        match part {
            "" => return Err("empty path component".into()),
            "." => return Err("`.` path component".into()),
            ".." => return Err("`..` path component (path traversal)".into()),
            _ => {}
        }
    }
    Ok(())
}

/// Reads the members of a `.tar.gz`, streaming: at most `limit` bytes are decompressed in
/// all (a decompression bomb stops there), only regular files with safe, unique paths are
/// accepted, and the whole gzip stream (its CRC and length) is checked.
pub fn read(archive: &[u8], limit: u64) -> Result<Vec<(String, Vec<u8>)>, VerifyError> {
    let exceeded = Rc::new(Cell::new(false));
    let reader = Limited {
        inner: GzDecoder::new(archive),
        remaining: limit,
        exceeded: exceeded.clone(),
    };
    let fail = |what: &str, e: std::io::Error| {
        if exceeded.get() {
            VerifyError::TooLarge { limit }
        } else {
            VerifyError::CorruptArchive(if what.is_empty() {
                e.to_string()
            } else {
                format!("{what}: {e}")
            })
        }
    };
    let mut ar = tar::Archive::new(reader);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total = 0u64;
    {
        let entries = ar.entries().map_err(|e| fail("", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| fail("", e))?;
            let raw = entry.path_bytes().into_owned();
            let path = String::from_utf8(raw).map_err(|e| VerifyError::UnsafePath {
                path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                reason: "path is not UTF-8".into(),
            })?;
            check_path(&path).map_err(|reason| VerifyError::UnsafePath {
                path: path.clone(),
                reason,
            })?;
            let kind = entry.header().entry_type();
            if !matches!(kind, tar::EntryType::Regular) {
                return Err(VerifyError::NotAFile {
                    path,
                    kind: format!("{kind:?}").to_lowercase(),
                });
            }
            if out.iter().any(|(p, _)| *p == path) {
                return Err(VerifyError::DuplicateMember { path });
            }
            let size = entry.size();
            total = total.saturating_add(size);
            if total > limit {
                // Declared sizes alone exceed the limit: stop before reading the data.
                return Err(VerifyError::TooLarge { limit });
            }
            let mut data = Vec::with_capacity(size as usize);
            entry
                .read_to_end(&mut data)
                .map_err(|e| fail(&format!("member `{path}`"), e))?;
            if data.len() as u64 != size {
                return Err(VerifyError::CorruptArchive(format!(
                    "member `{path}` is truncated"
                )));
            }
            out.push((path, data));
        }
    }
    // The rest of the stream (tar padding, gzip trailer) must be intact too.
    let mut rest = ar.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| fail("", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_is_deterministic_and_reads_back() {
        let a = write(
            &[("manifest.json", b"{}\n"), ("rules.json", b"[]\n")],
            1_600_000_000,
        )
        .unwrap();
        let b = write(
            &[("manifest.json", b"{}\n"), ("rules.json", b"[]\n")],
            1_600_000_000,
        )
        .unwrap();
        assert_eq!(a, b);
        // gzip header: magic, deflate, no flags, mtime 0, xfl 0 (level 6: neither the
        // fastest nor the best), OS 255.
        assert_eq!(&a[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let m = read(&a, 1 << 20).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "manifest.json");
        assert_eq!(m[1].1, b"[]\n");
    }

    #[test]
    fn paths_are_checked() {
        assert!(check_path("rules.json").is_ok());
        assert!(check_path("a/b.json").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decompression_is_bounded() {
        let a = write(&[("big", &vec![0u8; 100_000])], 0).unwrap();
        assert!(matches!(
            read(&a, 50_000),
            Err(VerifyError::TooLarge { .. })
        ));
        for cut in [a.len() / 2, a.len() - 4, 5] {
            let r = read(&a[..cut], 1 << 20);
            assert!(
                matches!(r, Err(VerifyError::CorruptArchive(_))),
                "{cut}: {r:?}"
            );
        }
    }
}
