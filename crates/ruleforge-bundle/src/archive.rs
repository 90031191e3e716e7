//! Reading a bundle archive (a ustar tar compressed with gzip) with strict, bounded checks:
//! the decompressed size is bounded (a decompression bomb stops at the limit), only regular
//! files with safe relative paths are accepted, duplicates are rejected, and the whole gzip
//! stream (CRC and length) is checked. ruleforge writes archives byte-reproducibly
//! (`docs/bundle-format.md`); any tar.gz of regular files reads here.

use crate::verify::VerifyError;
use flate2::read::GzDecoder;
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

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

/// Why a member path is unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    #[error("empty path")]
    Empty,
    #[error("absolute path")]
    Absolute,
    #[error("backslash or control character in path")]
    BadCharacter,
    #[error("empty path component")]
    EmptyComponent,
    #[error("`.` path component")]
    Dot,
    #[error("`..` path component (path traversal)")]
    DotDot,
}

/// Checks a member path: relative, `/`-separated, no empty, `.` or `..` component, no
/// backslash or control character.
pub fn check_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    if path.contains('\\') || path.chars().any(|c| c.is_control()) {
        return Err(PathProblem::BadCharacter);
    }
    for part in path.split('/') {
        match part {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::Dot),
            ".." => return Err(PathProblem::DotDot),
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
            check_path(&path).map_err(|problem| VerifyError::UnsafePath {
                path: path.clone(),
                reason: problem.to_string(),
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
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A plain `.tar.gz` of regular files (what any tar tool writes).
    pub(crate) fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, data) in members {
            let mut h = tar::Header::new_ustar();
            h.set_path(path).unwrap();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            tar.append(&h, *data).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn members_read_back_in_order() {
        let a = tar_gz(&[
            ("manifest.json", b"{}\n"),
            ("exports/x/a.yar", b"rule a {}"),
        ]);
        let m = read(&a, 1 << 20).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "manifest.json");
        assert_eq!(m[1], ("exports/x/a.yar".to_string(), b"rule a {}".to_vec()));
    }

    #[test]
    fn paths_are_checked() {
        assert!(check_path("rules.json").is_ok());
        assert!(check_path("a/b.json").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "./a",
            "a\\b",
            "a\nb",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicates_and_links_are_rejected() {
        let a = tar_gz(&[("a.json", b"1"), ("a.json", b"2")]);
        assert_eq!(
            read(&a, 1 << 20),
            Err(VerifyError::DuplicateMember {
                path: "a.json".into()
            })
        );
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_path("link").unwrap();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_link_name("/etc/passwd").unwrap();
        h.set_cksum();
        tar.append(&h, &[][..]).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        let e = read(&gz.finish().unwrap(), 1 << 20).unwrap_err();
        assert_eq!(e.code(), "not-a-file", "{e}");
    }

    #[test]
    fn decompression_is_bounded() {
        let a = tar_gz(&[("big", &vec![0u8; 100_000])]);
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
