//! `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]` references, checked against the
//! grammar of the OCI distribution specification.

use std::fmt;

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub registry: String,
    /// `path/of/repository` (lower case).
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// `sha256:<64 hex>`, when pinned.
    pub digest: Option<String>,
}

/// Why a reference does not parse; the message quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}` is not an OCI reference (oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]): {problem}")]
pub struct ReferenceError {
    pub reference: String,
    pub problem: String,
}

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        let err = |problem: &str| ReferenceError {
            reference: text.into(),
            problem: problem.into(),
        };
        let rest = text
            .strip_prefix("oci://")
            .ok_or_else(|| err("it does not start with oci://"))?;
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| err("no repository after the host"))?;
        if registry.is_empty()
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        {
            return Err(err(
                "the host is empty or has characters a host cannot have",
            ));
        }
        let (path, digest) = match path.split_once('@') {
            Some((p, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| err("the digest is not sha256:…"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(err("the digest is not 64 lower-case hex digits"));
                }
                (p, Some(d.to_string()))
            }
            None => (path, None),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
            _ => (path, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes().enumerate().all(|(i, b)| {
                    b.is_ascii_alphanumeric() || b == b'_' || (i > 0 && (b == b'.' || b == b'-'))
                });
            if !ok {
                return Err(err("the tag is not [A-Za-z0-9_][A-Za-z0-9._-]{0,127}"));
            }
        }
        if repository.is_empty() || repository.len() > 255 {
            return Err(err("the repository is empty or too long"));
        }
        for part in repository.split('/') {
            let ok = !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric();
            if !ok {
                return Err(err(
                    "a repository path component is not lower-case letters and digits separated by . _ -",
                ));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry: registry.into(),
            repository: repository.into(),
            tag,
            digest,
        })
    }

    /// What to ask the registry's manifest endpoint for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host without its port (for loopback detection and credentials).
    pub fn host(&self) -> &str {
        if let Some(rest) = self.registry.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        self.registry.split(':').next().unwrap_or(&self.registry)
    }

    /// Whether the registry is on this machine (plain HTTP is allowed there).
    pub fn is_loopback(&self) -> bool {
        let host = self.host();
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("oci://ghcr.io/acme/rules:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("ghcr.io", "acme/rules", Some("v1"))
        );
        assert!(!r.is_loopback());
        let r = Reference::parse("oci://127.0.0.1:5000/rules").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.host(), "127.0.0.1");
        assert!(r.is_loopback());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("oci://localhost:5000/a/b@{d}")).unwrap();
        assert_eq!(r.manifest_reference(), d);
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d.as_str())));
        assert!(Reference::parse("oci://[::1]:5000/r:t")
            .unwrap()
            .is_loopback());
    }

    #[test]
    fn bad_references_are_named() {
        for (text, problem) in [
            ("https://ghcr.io/a", "oci://"),
            ("oci://ghcr.io", "no repository"),
            ("oci://ghcr.io/Acme/rules", "repository path"),
            ("oci://ghcr.io/a:-x", "tag"),
            ("oci://ghcr.io/a@sha256:abc", "64"),
            ("oci://gh cr.io/a", "host"),
        ] {
            let e = Reference::parse(text).unwrap_err().to_string();
            assert!(e.contains(problem) && e.contains(text), "{text}: {e}");
        }
    }
}
