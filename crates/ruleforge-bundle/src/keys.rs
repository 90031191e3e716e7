//! Minisign public keys and signatures (Ed25519, prehashed with BLAKE2b-512), read with
//! `minisign-verify`; key ids and base64 by hand, so that messages can name the key.

use std::fmt;

/// A problem with a key or a password; the message names the key's source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// Bytes of a decoded minisign secret key line.
pub const SECRET_KEY_LEN: usize = 158;
/// Bytes of a decoded minisign public key line.
pub const PUBLIC_KEY_LEN: usize = 42;

/// An 8-byte minisign key id, printed as minisign prints it (16 upper-case hex digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

/// The key line of a minisign key file (`untrusted comment:` line optional), or why the
/// text is not one; `what` (`public key`, `secret key`) and `source` name it in messages.
pub fn key_line<'a>(text: &'a str, source: &str, what: &str) -> Result<&'a str, KeyError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| KeyError(format!("{source}: empty {what} file")))?;
    let line = if first.starts_with("untrusted comment:") {
        lines.next().ok_or_else(|| {
            KeyError(format!(
                "{source}: not a minisign {what}: no key line after the comment"
            ))
        })?
    } else {
        first
    };
    if lines.next().is_some() {
        return Err(KeyError(format!(
            "{source}: not a minisign {what}: unexpected extra lines"
        )));
    }
    Ok(line)
}

/// A public key trusted to sign bundles.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    key: minisign_verify::PublicKey,
    id: KeyId,
}

impl TrustedKey {
    /// Parses a minisign public key: the contents of a `.pub` file, or its base64 line alone
    /// (`RW…`, as given to `minisign -P`).
    pub fn parse(text: &str) -> Result<TrustedKey, KeyError> {
        Self::parse_named(text, "public key")
    }

    /// Like [`TrustedKey::parse`]; `source` names the key in messages (a file name).
    pub fn parse_named(text: &str, source: &str) -> Result<TrustedKey, KeyError> {
        let line = key_line(text, source, "public key")?;
        let bytes = base64_decode(line).ok_or_else(|| {
            KeyError(format!(
                "{source}: not a minisign public key: the key line is not base64"
            ))
        })?;
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(KeyError(format!(
                "{source}: not a minisign public key: {} bytes instead of {PUBLIC_KEY_LEN}{}",
                bytes.len(),
                if bytes.len() == SECRET_KEY_LEN {
                    " (this is a SECRET key: never hand it out)"
                } else {
                    ""
                }
            )));
        }
        if &bytes[0..2] != b"Ed" {
            return Err(KeyError(format!(
                "{source}: not a minisign Ed25519 public key (unknown algorithm)"
            )));
        }
        let key = minisign_verify::PublicKey::from_base64(line)
            .map_err(|e| KeyError(format!("{source}: not a minisign public key: {e}")))?;
        let mut id = [0u8; 8];
        id.copy_from_slice(&bytes[2..10]);
        Ok(TrustedKey { key, id: KeyId(id) })
    }

    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The `minisign-verify` key.
    pub fn inner(&self) -> &minisign_verify::PublicKey {
        &self.key
    }
}

/// The key id a minisign signature names (second line), if the text is a signature.
pub fn signature_key_id(signature_text: &str) -> Option<KeyId> {
    let line = signature_text.lines().nth(1)?;
    let bytes = base64_decode(line.trim())?;
    let mut id = [0u8; 8];
    id.copy_from_slice(bytes.get(2..10)?);
    Some(KeyId(id))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strict standard base64 (padding required); `None` on any invalid input.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert!(base64_decode("Zm9vYg=").is_none());
        assert!(base64_decode("Zm9v!g==").is_none());
        assert!(base64_decode("Zg==Zg==").is_none());
    }

    /// A public key line: `Ed`, the key id, 32 key bytes.
    fn public_line(id: [u8; 8]) -> String {
        let mut bytes = b"Ed".to_vec();
        bytes.extend_from_slice(&id);
        bytes.extend_from_slice(&[7u8; 32]);
        base64_encode(&bytes)
    }

    #[test]
    fn public_keys_are_read_with_their_id() {
        let id = [1, 2, 3, 4, 5, 6, 7, 0xab];
        let line = public_line(id);
        let file = format!("untrusted comment: minisign public key\n{line}\n");
        let key = TrustedKey::parse(&file).unwrap();
        assert_eq!(key.key_id(), KeyId(id));
        assert_eq!(key.key_id().to_string(), "AB07060504030201");
        assert_eq!(TrustedKey::parse(&line).unwrap().key_id(), KeyId(id));
    }

    #[test]
    fn malformed_public_keys_are_named() {
        let message = |text: &str| TrustedKey::parse_named(text, "x.pub").unwrap_err().0;
        assert_eq!(message(""), "x.pub: empty public key file");
        assert_eq!(
            message("untrusted comment: c\n"),
            "x.pub: not a minisign public key: no key line after the comment"
        );
        assert_eq!(
            message("RWQ!\n"),
            "x.pub: not a minisign public key: the key line is not base64"
        );
        let secret = base64_encode(&[b'E'; SECRET_KEY_LEN]);
        assert!(message(&secret).contains("SECRET key"));
        let mut other = b"Xx".to_vec();
        other.extend_from_slice(&[0; 40]);
        assert!(message(&base64_encode(&other)).contains("unknown algorithm"));
        let two = format!("{}\n{}\n", public_line([0; 8]), public_line([0; 8]));
        assert!(message(&two).contains("unexpected extra lines"));
    }

    #[test]
    fn signature_key_id_reads_the_second_line() {
        let mut sig = b"ED".to_vec();
        sig.extend_from_slice(&[9, 8, 7, 6, 5, 4, 3, 2]);
        sig.extend_from_slice(&[0; 64]);
        let text = format!("untrusted comment: x\n{}\n", base64_encode(&sig));
        assert_eq!(
            signature_key_id(&text),
            Some(KeyId([9, 8, 7, 6, 5, 4, 3, 2]))
        );
        assert_eq!(signature_key_id("one line"), None);
        assert_eq!(signature_key_id("a\nnot base64\n"), None);
    }
}
