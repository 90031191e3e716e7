//! Keys and signatures in the minisign formats (Ed25519, prehashed with BLAKE2b-512).
//!
//! Secret keys are read by hand before the `minisign` crate sees them, so that keys made by
//! the stock `minisign -G -W` (no password, key derivation `0x0000`, checksum left zero) load
//! as well as password-protected ones (scrypt, `Sc`). `ruleforge keygen --no-password` writes
//! the same unprotected layout as the stock tool (with the checksum filled in), so both tools
//! can sign with either key.

pub use ruleforge_bundle::keys::{
    base64_decode, base64_encode, signature_key_id, KeyError, KeyId, TrustedKey,
};
use ruleforge_bundle::keys::{key_line, PUBLIC_KEY_LEN, SECRET_KEY_LEN};
use std::fmt;

const KDF_NONE: [u8; 2] = [0, 0];
const KDF_SCRYPT: [u8; 2] = *b"Sc";

/// A secret key ready to sign.
pub struct SigningKey {
    sk: minisign::SecretKey,
    pk: minisign::PublicKey,
    id: KeyId,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.id)
    }
}

impl SigningKey {
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The matching public key file contents.
    pub fn public_key_text(&self) -> String {
        public_key_text(&self.pk, self.id)
    }
}

/// Whether secret key file contents are password-protected (scrypt). `Err` when the text
/// is not a minisign secret key.
pub fn is_protected(text: &str, source: &str) -> Result<bool, KeyError> {
    let (_, bytes) = decode_secret(text, source)?;
    Ok(bytes[2..4] == KDF_SCRYPT)
}

fn decode_secret(text: &str, source: &str) -> Result<(String, Vec<u8>), KeyError> {
    let line = key_line(text, source, "secret key")?;
    let bytes = base64_decode(line).ok_or_else(|| {
        KeyError(format!(
            "{source}: not a minisign secret key: the key line is not base64"
        ))
    })?;
    if bytes.len() != SECRET_KEY_LEN {
        return Err(KeyError(format!(
            "{source}: not a minisign secret key: {} bytes instead of {SECRET_KEY_LEN}{}",
            bytes.len(),
            if bytes.len() == PUBLIC_KEY_LEN {
                " (is this the public key?)"
            } else {
                ""
            }
        )));
    }
    if &bytes[0..2] != b"Ed" || &bytes[4..6] != b"B2" {
        return Err(KeyError(format!(
            "{source}: not a minisign Ed25519 secret key (unknown algorithm)"
        )));
    }
    Ok((line.to_string(), bytes))
}

/// Loads a secret key from the text of a minisign secret key file. `password` is called
/// only for a password-protected key. `source` names the key in messages.
pub fn load_secret_key(
    text: &str,
    source: &str,
    password: &mut dyn FnMut() -> Result<String, KeyError>,
) -> Result<SigningKey, KeyError> {
    let (line, bytes) = decode_secret(text, source)?;
    let kdf = [bytes[2], bytes[3]];
    let boxed = format!("untrusted comment: ruleforge\n{line}\n");
    let sk = if kdf == KDF_NONE {
        if bytes[126..].iter().all(|b| *b == 0) {
            // Stock `minisign -G -W` leaves the checksum zero: nothing to check here; the
            // test signature below catches a damaged key.
            minisign::SecretKey::from_bytes(&bytes)
                .map_err(|e| KeyError(format!("{source}: {e}")))?
        } else {
            minisign::SecretKey::from_box(
                minisign::SecretKeyBox::from_string(&boxed)
                    .map_err(|e| KeyError(format!("{source}: {e}")))?,
                Some(String::new()),
            )
            .map_err(|_| {
                KeyError(format!(
                    "{source}: the secret key is corrupted (checksum mismatch)"
                ))
            })?
        }
    } else if kdf == KDF_SCRYPT {
        let pw = password()?;
        if pw.is_empty() {
            return Err(KeyError(format!(
                "{source}: the secret key is password-protected and the password is empty"
            )));
        }
        let sk_box = minisign::SecretKeyBox::from_string(&boxed)
            .map_err(|e| KeyError(format!("{source}: {e}")))?;
        minisign::SecretKey::from_box(sk_box, Some(pw)).map_err(|e| {
            let m = e.to_string();
            if m.contains("Wrong password") {
                KeyError(format!("{source}: wrong password for this secret key"))
            } else {
                KeyError(format!("{source}: cannot decrypt the secret key: {m}"))
            }
        })?
    } else {
        return Err(KeyError(format!(
            "{source}: unsupported key derivation `{}` in the secret key",
            String::from_utf8_lossy(&kdf).escape_debug()
        )));
    };
    // The key id from the decrypted key (it is encrypted in a protected key file).
    let mut id = [0u8; 8];
    id.copy_from_slice(sk.keynum());
    // The public half of an Ed25519 secret key is its last 32 bytes.
    let mut pk_bytes = Vec::with_capacity(PUBLIC_KEY_LEN);
    pk_bytes.extend_from_slice(b"Ed");
    pk_bytes.extend_from_slice(&id);
    pk_bytes.extend_from_slice(&sk_raw_public_half(&sk));
    let pk = minisign::PublicKey::from_bytes(&pk_bytes)
        .map_err(|e| KeyError(format!("{source}: {e}")))?;
    // A test signature checked with the derived public key catches a damaged key now rather
    // than after publishing a bundle nobody can verify.
    minisign::sign(
        Some(&pk),
        &sk,
        &b"ruleforge key check"[..],
        Some("check"),
        None,
    )
    .map_err(|_| {
        KeyError(format!(
            "{source}: the secret key is corrupted (its halves do not match)"
        ))
    })?;
    Ok(SigningKey {
        sk,
        pk,
        id: KeyId(id),
    })
}

fn sk_raw_public_half(sk: &minisign::SecretKey) -> Vec<u8> {
    // SecretKey::to_bytes is the 158-byte layout; the Ed25519 key is at 62..126.
    sk.to_bytes()[94..126].to_vec()
}

/// Signs `data`; returns the `.minisig` file contents.
pub fn sign(key: &SigningKey, data: &[u8], trusted_comment: &str) -> Result<String, KeyError> {
    if trusted_comment.contains(['\n', '\r']) {
        return Err(KeyError("the trusted comment must be one line".into()));
    }
    let untrusted = format!("signature from ruleforge secret key {}", key.id);
    minisign::sign(
        Some(&key.pk),
        &key.sk,
        data,
        Some(trusted_comment),
        Some(&untrusted),
    )
    .map(|b| b.into_string())
    .map_err(|e| KeyError(format!("signing failed: {e}")))
}

/// A newly generated key pair, as file contents.
pub struct GeneratedKey {
    pub secret_key_text: String,
    pub public_key_text: String,
    pub id: KeyId,
}

/// Generates a key pair. With a password the secret key is encrypted (scrypt), as by
/// `minisign -G`; without, it is stored unprotected, as by `minisign -G -W`.
pub fn generate(password: Option<&str>) -> Result<GeneratedKey, KeyError> {
    let pw = password.unwrap_or("").to_string();
    if password.is_some() && pw.is_empty() {
        return Err(KeyError(
            "empty password (use --no-password for an unprotected key)".into(),
        ));
    }
    let kp = minisign::KeyPair::generate_encrypted_keypair(Some(pw))
        .map_err(|e| KeyError(format!("key generation failed: {e}")))?;
    let mut bytes = kp.sk.to_bytes();
    if password.is_none() {
        // Unprotected: key derivation "none", no salt or limits, as the stock tool writes.
        bytes[2..4].copy_from_slice(&KDF_NONE);
        bytes[6..54].fill(0);
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(kp.pk.keynum());
    let id = KeyId(id);
    let comment = if password.is_some() {
        "minisign encrypted secret key"
    } else {
        "minisign secret key (not password-protected)"
    };
    Ok(GeneratedKey {
        secret_key_text: format!("untrusted comment: {comment}\n{}\n", base64_encode(&bytes)),
        public_key_text: public_key_text(&kp.pk, id),
        id,
    })
}

fn public_key_text(pk: &minisign::PublicKey, id: KeyId) -> String {
    format!(
        "untrusted comment: minisign public key {id}\n{}\n",
        pk.to_base64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprotected_key_signs_and_verifies() {
        let g = generate(None).unwrap();
        assert!(!is_protected(&g.secret_key_text, "k").unwrap());
        let key = load_secret_key(&g.secret_key_text, "k", &mut || panic!("no password")).unwrap();
        assert_eq!(key.key_id(), g.id);
        assert_eq!(key.public_key_text(), g.public_key_text);
        let sig = sign(&key, b"data", "a comment").unwrap();
        let pk = TrustedKey::parse(&g.public_key_text).unwrap();
        let s = minisign_verify::Signature::decode(&sig).unwrap();
        pk.inner().verify(b"data", &s, false).unwrap();
        assert_eq!(s.trusted_comment(), "a comment");
        assert_eq!(signature_key_id(&sig), Some(g.id));
    }

    #[test]
    fn stock_unprotected_key_with_zero_checksum_loads() {
        let g = generate(None).unwrap();
        let line = g.secret_key_text.lines().nth(1).unwrap();
        let mut bytes = base64_decode(line).unwrap();
        bytes[126..].fill(0);
        let text = format!(
            "untrusted comment: minisign encrypted secret key\n{}\n",
            base64_encode(&bytes)
        );
        let key = load_secret_key(&text, "k", &mut || panic!("no password")).unwrap();
        assert_eq!(key.key_id(), g.id);
        // A damaged key is caught by the test signature.
        bytes[70] ^= 1;
        let text = format!("untrusted comment: c\n{}\n", base64_encode(&bytes));
        let e = load_secret_key(&text, "k", &mut || panic!()).unwrap_err();
        assert!(e.0.contains("corrupted"), "{e}");
    }

    #[test]
    fn malformed_keys_are_named() {
        let e = load_secret_key("untrusted comment: x\nnot base64!\n", "sk.key", &mut || {
            Ok(String::new())
        })
        .unwrap_err();
        assert!(e.0.starts_with("sk.key: not a minisign secret key"), "{e}");
        let g = generate(None).unwrap();
        let e = TrustedKey::parse_named(&g.secret_key_text, "x.pub").unwrap_err();
        assert!(e.0.contains("SECRET key"), "{e}");
        let e = load_secret_key(&g.public_key_text, "y", &mut || Ok(String::new())).unwrap_err();
        assert!(e.0.contains("public key"), "{e}");
        assert!(TrustedKey::parse("").is_err());
    }
}
