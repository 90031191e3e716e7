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
//! Reading ([`read`]: bounded, strict) and writing are the `ruleforge-bundle` crate's,
//! re-exported here: a scanner that rebuilds a bundle from a delta writes the same bytes.

pub use ruleforge_bundle::archive::{
    check_path, gzip, header, read, tar_pieces, write, write_pieces, write_pieces_threads,
    PathProblem, BLOCK, COMPRESSION_LEVEL,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::VerifyError;
    use flate2::Compression;
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
            let in_pool = |threads| gzip(&[&data], threads).unwrap();
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
        let whole = gzip(&[&data], 2).unwrap();
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
            assert_eq!(gzip(&pieces, 3).unwrap(), whole, "{} pieces", pieces.len());
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
