//! The bundle archive: a ustar tar compressed with gzip.
//!
//! Reading ([`read`]) is strict and bounded: the decompressed size is bounded (a
//! decompression bomb stops at the limit), only regular files with safe relative paths are
//! accepted, duplicates are rejected, and the whole gzip stream (CRC and length) is checked.
//! Any tar.gz of regular files reads here.
//!
//! Writing ([`write`], [`write_pieces`]) is byte-reproducible (`docs/bundle-format.md`), so
//! that a scanner that rebuilds a bundle from a delta gets the very bytes the publisher
//! signed: members in the given order, regular files only, mode 0644, uid/gid 0, empty user
//! and group names, every mtime set to the commit time; gzip with header mtime 0, no file
//! name, OS byte 255 ("unknown") and a fixed compression level. The tar is deflated in
//! independent blocks of [`BLOCK`] bytes, in parallel (like `pigz --independent`): each block
//! but the last ends with a sync flush, so the blocks concatenate into one valid deflate
//! stream, and the bytes do not depend on the number of threads.

use crate::verify::VerifyError;
use flate2::read::GzDecoder;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
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

/// The gzip compression level of bundles (changing it changes the bytes of every bundle).
/// Level 2 (zlib-rs `deflate_fast`): 0.6× the time of level 6 for archives about 7 % larger
/// (`docs/bundle-format.md`).
pub const COMPRESSION_LEVEL: u32 = 2;

/// The size of the independently deflated blocks (changing it changes the bytes of every
/// bundle larger than one block). At 1 MiB the lost 32 KiB window per block costs well
/// under 0.1 % of size.
pub const BLOCK: usize = 1 << 20;

/// Writes `members` (path, bytes) as a reproducible `.tar.gz`.
pub fn write(members: &[(&str, &[u8])], mtime: u64) -> std::io::Result<Vec<u8>> {
    let pieces: Vec<[&[u8]; 1]> = members.iter().map(|(_, d)| [*d]).collect();
    let members: Vec<(&str, &[&[u8]])> = members
        .iter()
        .zip(&pieces)
        .map(|((path, _), p)| (*path, &p[..]))
        .collect();
    write_pieces(&members, mtime)
}

/// [`write`], each member's bytes given as consecutive pieces (so that a large member is
/// compressed where its parts lie, without being copied into one buffer), on as many
/// threads as the machine has cores.
pub fn write_pieces(members: &[(&str, &[&[u8]])], mtime: u64) -> std::io::Result<Vec<u8>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    write_pieces_threads(members, mtime, threads)
}

/// [`write_pieces`] on `threads` threads (the bytes are the same for any number).
pub fn write_pieces_threads(
    members: &[(&str, &[&[u8]])],
    mtime: u64,
    threads: usize,
) -> std::io::Result<Vec<u8>> {
    let headers = members
        .iter()
        .map(|(path, data)| header(path, data.iter().map(|p| p.len() as u64).sum(), mtime))
        .collect::<std::io::Result<Vec<[u8; 512]>>>()?;
    gzip(&tar_pieces(members, &headers), threads)
}

/// Zeros for the padding of tar entries and the two empty blocks that end a tar.
static ZEROS: [u8; 1024] = [0; 1024];

/// The ustar header of a member: regular file, mode 0644, uid/gid 0, empty user and group
/// names, the given mtime.
pub fn header(path: &str, size: u64, mtime: u64) -> std::io::Result<[u8; 512]> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)?;
    h.set_size(size);
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
    Ok(*h.as_bytes())
}

/// The tar stream of `members` as consecutive pieces (each header, the member's bytes, zeros
/// up to the next 512-byte boundary; then the two empty end blocks), so that a member of a
/// hundred megabytes is compressed where it lies instead of being copied into a tar first.
pub fn tar_pieces<'a>(members: &[(&str, &[&'a [u8]])], headers: &'a [[u8; 512]]) -> Vec<&'a [u8]> {
    let mut pieces =
        Vec::with_capacity(members.iter().map(|(_, d)| d.len() + 2).sum::<usize>() + 1);
    for ((_, data), h) in members.iter().zip(headers) {
        pieces.push(&h[..]);
        pieces.extend_from_slice(data);
        let len: usize = data.iter().map(|p| p.len()).sum();
        pieces.push(&ZEROS[..(512 - len % 512) % 512]);
    }
    pieces.push(&ZEROS[..]);
    pieces
}

/// Gzip (RFC 1952) of the concatenation of `pieces`: header with mtime 0, no name, XFL 0,
/// OS 255; the deflate stream made of independently compressed [`BLOCK`]s (see the module
/// documentation), compressed on `threads` threads.
pub fn gzip(pieces: &[&[u8]], threads: usize) -> std::io::Result<Vec<u8>> {
    // Where each piece starts in the stream.
    let mut starts = Vec::with_capacity(pieces.len());
    let mut total = 0usize;
    for p in pieces {
        starts.push(total);
        total += p.len();
    }
    let blocks = total.div_ceil(BLOCK).max(1);
    let one = |k: usize, buf: &mut Vec<u8>| -> std::io::Result<(Vec<u8>, Crc)> {
        let (from, to) = (k * BLOCK, ((k + 1) * BLOCK).min(total));
        let block = stream_range(pieces, &starts, from, to, buf);
        let flush = if k + 1 == blocks {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        let mut crc = Crc::new();
        crc.update(block);
        Ok((deflate_block(block, flush)?, crc))
    };
    let threads = threads.clamp(1, blocks);
    let parts: Vec<(Vec<u8>, Crc)> = if threads == 1 {
        let mut buf = Vec::new();
        (0..blocks)
            .map(|k| one(k, &mut buf))
            .collect::<std::io::Result<_>>()?
    } else {
        // Thread t compresses blocks t, t + threads, …; the parts are put back in order.
        let per_thread = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let one = &one;
                    s.spawn(move || {
                        let mut buf = Vec::new();
                        (t..blocks)
                            .step_by(threads)
                            .map(|k| one(k, &mut buf))
                            .collect::<std::io::Result<Vec<_>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect::<std::io::Result<Vec<_>>>()
        })?;
        let mut iters: Vec<_> = per_thread.into_iter().map(Vec::into_iter).collect();
        (0..blocks)
            .map(|k| iters[k % threads].next().expect("every block compressed"))
            .collect()
    };
    let mut out = Vec::with_capacity(10 + parts.iter().map(|(p, _)| p.len()).sum::<usize>() + 8);
    // ID1 ID2, CM deflate, FLG none, MTIME 0, XFL 0, OS unknown.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    let mut crc = Crc::new();
    for (part, part_crc) in &parts {
        out.extend_from_slice(part);
        crc.combine(part_crc);
    }
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the input size modulo 2^32.
    out.extend_from_slice(&(total as u32).to_le_bytes());
    Ok(out)
}

/// Bytes `from..to` of the concatenation of `pieces` (`starts`: where each begins): borrowed
/// when they lie in one piece, else gathered into `buf`.
fn stream_range<'a>(
    pieces: &[&'a [u8]],
    starts: &[usize],
    from: usize,
    to: usize,
    buf: &'a mut Vec<u8>,
) -> &'a [u8] {
    // The last piece starting at or before `from`, skipping empty pieces there.
    let mut i = starts.partition_point(|&s| s <= from).saturating_sub(1);
    while i + 1 < pieces.len() && starts[i] + pieces[i].len() <= from {
        i += 1;
    }
    let Some(first) = pieces.get(i) else {
        return &[];
    };
    if to - starts[i] <= first.len() {
        return &first[from - starts[i]..to - starts[i]];
    }
    buf.clear();
    let mut at = from;
    while at < to {
        let (p, s) = (pieces[i], starts[i]);
        let end = (s + p.len()).min(to);
        if at < end {
            buf.extend_from_slice(&p[at - s..end - s]);
            at = end;
        }
        i += 1;
    }
    buf
}

/// Raw deflate of one block with a fresh compressor, ended by `flush`: `Sync` (an empty
/// stored block, byte-aligned, no final bit) or `Finish` (the final block).
fn deflate_block(block: &[u8], flush: FlushCompress) -> std::io::Result<Vec<u8>> {
    let mut z = Compress::new(Compression::new(COMPRESSION_LEVEL), false);
    let mut out = Vec::with_capacity(block.len() / 2 + 1024);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(4096));
        }
        let consumed = z.total_in() as usize;
        let status = z
            .compress_vec(&block[consumed..], &mut out, flush)
            .map_err(std::io::Error::other)?;
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            // A sync flush is complete once all input is in and the output did not fill
            // the space it was given.
            _ => z.total_in() as usize == block.len() && out.len() < out.capacity(),
        };
        if done {
            return Ok(out);
        }
    }
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
