//! The bundle archive: a ustar tar compressed with gzip, written byte-reproducibly and read
//! back with strict, bounded checks.
//!
//! Writing: members in the given order, regular files only, mode 0644, uid/gid 0, empty
//! user and group names, every mtime set to the commit time; gzip with header mtime 0, no
//! file name, OS byte 255 ("unknown") and a fixed compression level. The tar is deflated in
//! independent blocks of [`BLOCK`] bytes, in parallel (like `pigz --independent`): each block
//! but the last ends with a sync flush, so the blocks concatenate into one valid deflate
//! stream, and the bytes do not depend on the number of threads.
//!
//! Reading ([`read`]: bounded, strict) is the `ruleforge-bundle` crate's, re-exported here.

pub use ruleforge_bundle::archive::{check_path, read, PathProblem};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use rayon::prelude::*;

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
/// compressed where its parts lie, without being copied into one buffer).
pub fn write_pieces(members: &[(&str, &[&[u8]])], mtime: u64) -> std::io::Result<Vec<u8>> {
    let headers = members
        .iter()
        .map(|(path, data)| header(path, data.iter().map(|p| p.len() as u64).sum(), mtime))
        .collect::<std::io::Result<Vec<[u8; 512]>>>()?;
    gzip(&tar_pieces(members, &headers))
}

/// Zeros for the padding of tar entries and the two empty blocks that end a tar.
static ZEROS: [u8; 1024] = [0; 1024];

/// The ustar header of a member: regular file, mode 0644, uid/gid 0, empty user and group
/// names, the given mtime.
fn header(path: &str, size: u64, mtime: u64) -> std::io::Result<[u8; 512]> {
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
fn tar_pieces<'a>(members: &[(&str, &[&'a [u8]])], headers: &'a [[u8; 512]]) -> Vec<&'a [u8]> {
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
/// documentation).
fn gzip(pieces: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    // Where each piece starts in the stream.
    let mut starts = Vec::with_capacity(pieces.len());
    let mut total = 0usize;
    for p in pieces {
        starts.push(total);
        total += p.len();
    }
    let blocks = total.div_ceil(BLOCK).max(1);
    let parts = (0..blocks)
        .into_par_iter()
        .map_init(Vec::new, |buf, k| {
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
        })
        .collect::<std::io::Result<Vec<_>>>()?;
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
mod tests {
    use super::*;
    use crate::bundle::VerifyError;
    use std::io::Read;

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
        // gzip header: magic, deflate, no flags, mtime 0, xfl 0 (written as 0 whatever the
        // level), OS 255.
        assert_eq!(&a[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let m = read(&a, 1 << 20).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "manifest.json");
        assert_eq!(m[1].1, b"[]\n");
    }

    /// Text that compresses like rules.json: repetitive keys, varied values.
    fn json_like(len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 100);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(
                format!(
                    "{{\"sha256\":\"{x:016x}{:016x}\",\"n\":{}}},",
                    x.rotate_left(17),
                    x % 1000
                )
                .as_bytes(),
            );
        }
        out.truncate(len);
        out
    }

    #[test]
    fn blocks_make_one_gzip_stream_whatever_the_threads() {
        use std::io::Write;
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 12_345] {
            let data = json_like(len);
            let in_pool = |threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| gzip(&[&data]).unwrap())
            };
            let one = in_pool(1);
            assert_eq!(
                one,
                in_pool(4),
                "len {len}: bytes depend on the thread count"
            );
            // One gzip member (a single-member decoder reads all of it) with a valid CRC
            // and size (checked by the decoder at the end).
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&one[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "len {len}: round trip");
            // The blocks cost little against one stream.
            let mut whole =
                flate2::write::GzEncoder::new(Vec::new(), Compression::new(COMPRESSION_LEVEL));
            whole.write_all(&data).unwrap();
            let whole = whole.finish().unwrap();
            assert!(
                one.len() as f64 <= whole.len() as f64 * 1.01 + 64.0,
                "len {len}: {} bytes in blocks against {} in one stream",
                one.len(),
                whole.len()
            );
        }
    }

    #[test]
    fn pieces_compress_like_their_concatenation() {
        let data = json_like(3 * BLOCK + 777);
        let whole = gzip(&[&data]).unwrap();
        // Cuts inside blocks, on block boundaries, and empty pieces.
        for cuts in [
            vec![0, 0, 10, BLOCK, BLOCK, 2 * BLOCK + 5, data.len()],
            vec![1, BLOCK - 1, BLOCK + 1, 3 * BLOCK],
            vec![data.len()],
        ] {
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts {
                pieces.push(&data[at..c]);
                at = c;
            }
            pieces.push(&data[at..]);
            assert_eq!(gzip(&pieces).unwrap(), whole, "{} pieces", pieces.len());
        }
    }

    #[test]
    fn tar_pieces_are_what_the_tar_crate_writes() {
        let members: [(&str, &[&[u8]]); 4] = [
            ("manifest.json", &[b"{}\n"]),
            ("rules.json", &[&[b'x'; 500], b"", &[b'x'; 12]]),
            ("empty.json", &[]),
            ("sigma.json", &[&[b'y'; 1000]]),
        ];
        let mut reference = tar::Builder::new(Vec::new());
        let mut headers = Vec::new();
        for (path, pieces) in members {
            let data = pieces.concat();
            let h = header(path, data.len() as u64, 1_600_000_000).unwrap();
            let mut th = tar::Header::new_old();
            th.as_mut_bytes().copy_from_slice(&h);
            reference.append(&th, &data[..]).unwrap();
            headers.push(h);
        }
        let reference = reference.into_inner().unwrap();
        assert_eq!(tar_pieces(&members, &headers).concat(), reference);
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
