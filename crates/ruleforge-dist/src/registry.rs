//! A small, blocking client of the OCI distribution API (the part of it a bundle needs):
//! manifests by tag or digest, blobs by digest, monolithic uploads. Every response is read
//! within a bound, every download is checked against its digest and size before it is
//! returned, transient failures (connection, timeout, 429, 5xx) are retried with
//! exponential back-off, and authentication follows the registry's `WWW-Authenticate`
//! challenge (bearer token endpoint, or basic).

use crate::artifact::{self, Descriptor, MANIFEST_MEDIA_TYPE};
use crate::auth::{Challenge, Credentials};
use crate::error::DistError;
use crate::reference::Reference;
use std::time::Duration;

/// How the client talks to a registry.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Speak plain HTTP to a registry that is not on this machine (loopback registries are
    /// always spoken to in plain HTTP, as Docker does).
    pub plain_http: bool,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for one whole request, body included.
    pub timeout: Duration,
    /// Retries of a transient failure (the first try not counted).
    pub retries: u32,
    /// Wait before the first retry; doubled each time.
    pub backoff: Duration,
    /// Largest blob accepted (the bundle).
    pub max_blob: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            plain_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
            retries: 3,
            backoff: Duration::from_millis(250),
            max_blob: ruleforge_bundle::DEFAULT_MAX_UNPACKED,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
    Post,
    Put,
}

/// A response, its body read within the bound.
struct Response {
    status: u16,
    www_authenticate: Option<String>,
    location: Option<String>,
    /// `Docker-Content-Digest`.
    content_digest: Option<String>,
    body: Vec<u8>,
}

enum Failure {
    Transient(String),
    Fatal(DistError),
}

/// A client of one repository of one registry.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    reference: Reference,
    credentials: Credentials,
    /// `Authorization` header value in use (after a challenge, or a given token).
    authorization: Option<String>,
    push: bool,
    opts: ClientOptions,
}

impl Client {
    /// A client for the repository of `reference`; `push` asks for push rights when a
    /// token is needed.
    pub fn new(
        reference: &Reference,
        credentials: Credentials,
        push: bool,
        opts: ClientOptions,
    ) -> Client {
        let scheme = if opts.plain_http || reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_global(Some(opts.timeout))
            .max_redirects(5)
            .user_agent(format!("ruleforge/{}", env!("CARGO_PKG_VERSION")))
            .build();
        let authorization = match &credentials {
            Credentials::Bearer { token, .. } => Some(format!("Bearer {token}")),
            _ => None,
        };
        Client {
            agent: ureq::Agent::new_with_config(config),
            base: format!("{scheme}://{}", reference.registry),
            reference: reference.clone(),
            credentials,
            authorization,
            push,
            opts,
        }
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", self.base, self.reference.repository)
    }

    fn send_once(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        limit: u64,
        what: &str,
    ) -> Result<Response, Failure> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        // Credentials go to the registry only, never to an upload location elsewhere.
        if let Some(a) = &self.authorization {
            if url.starts_with(&format!("{}/", self.base)) {
                all.push(("Authorization", a));
            }
        }
        let result = match method {
            Method::Get | Method::Head => {
                let mut r = if method == Method::Get {
                    self.agent.get(url)
                } else {
                    self.agent.head(url)
                };
                for (k, v) in &all {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            Method::Post | Method::Put => {
                let mut r = if method == Method::Post {
                    self.agent.post(url)
                } else {
                    self.agent.put(url)
                };
                for (k, v) in &all {
                    r = r.header(*k, *v);
                }
                r.send(body)
            }
        };
        let mut resp = result.map_err(|e| match e {
            ureq::Error::BadUri(m) => {
                Failure::Fatal(DistError::Registry(format!("{what}: bad URL {url}: {m}")))
            }
            ureq::Error::HostNotFound => Failure::Fatal(DistError::Registry(format!(
                "{what}: host not found: {}",
                self.reference.registry
            ))),
            e => Failure::Transient(format!("{what}: {url}: {e}")),
        })?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let www_authenticate = header("www-authenticate");
        let location = header("location");
        let content_digest = header("docker-content-digest");
        let declared = header("content-length").and_then(|v| v.parse::<u64>().ok());
        // Error bodies are read for their message only, within a small bound.
        let limit = if (200..300).contains(&status) {
            limit
        } else {
            64 * 1024
        };
        if method == Method::Head {
            return Ok(Response {
                status,
                www_authenticate,
                location,
                content_digest,
                body: Vec::new(),
            });
        }
        if let Some(n) = declared {
            if n > limit && (200..300).contains(&status) {
                return Err(Failure::Fatal(DistError::TooLarge {
                    what: format!("{what} (Content-Length {n})"),
                    limit,
                }));
            }
        }
        let body = match resp.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) if (200..300).contains(&status) => {
                return Err(Failure::Fatal(DistError::TooLarge {
                    what: what.to_string(),
                    limit,
                }))
            }
            Err(_) if !(200..300).contains(&status) => Vec::new(),
            Err(e) => return Err(Failure::Transient(format!("{what}: reading {url}: {e}"))),
        };
        Ok(Response {
            status,
            www_authenticate,
            location,
            content_digest,
            body,
        })
    }

    /// Sends a request: authenticates on a challenge (once), retries transient failures.
    fn request(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        limit: u64,
        what: &str,
    ) -> Result<Response, DistError> {
        let mut attempt = 0u32;
        let mut authenticated = false;
        loop {
            let outcome = self.send_once(method, url, headers, body, limit, what);
            let transient = match outcome {
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(m)) => m,
                Ok(r) if r.status == 401 => {
                    if authenticated || matches!(self.credentials, Credentials::Bearer { .. }) {
                        return Err(DistError::Auth(format!(
                            "{what}: the registry {} refused {} (401)",
                            self.reference.registry,
                            self.credentials.source()
                        )));
                    }
                    authenticated = true;
                    self.authenticate(r.www_authenticate.as_deref(), what)?;
                    continue;
                }
                Ok(r) if r.status == 403 => {
                    return Err(DistError::Auth(format!(
                        "{what}: the registry {} denied access to {} with {} (403){}",
                        self.reference.registry,
                        self.reference.repository,
                        self.credentials.source(),
                        error_text(&r.body)
                    )))
                }
                Ok(r) if r.status == 429 || (500..600).contains(&r.status) => {
                    format!("{what}: HTTP {}{}", r.status, error_text(&r.body))
                }
                Ok(r) => return Ok(r),
            };
            if attempt >= self.opts.retries {
                return Err(DistError::Registry(format!(
                    "{transient} (gave up after {} tries)",
                    attempt + 1
                )));
            }
            std::thread::sleep(self.opts.backoff * 2u32.saturating_pow(attempt));
            attempt += 1;
        }
    }

    /// Answers a `WWW-Authenticate` challenge: a token from the bearer realm, or basic.
    fn authenticate(&mut self, challenge: Option<&str>, what: &str) -> Result<(), DistError> {
        let no_credentials = || {
            DistError::Auth(format!(
                "{what}: the registry {} requires credentials: set {}/{} or {}, or log in with docker",
                self.reference.registry,
                crate::auth::USERNAME_ENV,
                crate::auth::PASSWORD_ENV,
                crate::auth::TOKEN_ENV
            ))
        };
        let challenge = challenge.and_then(Challenge::parse).ok_or_else(|| {
            DistError::Auth(format!(
                "{what}: the registry answered 401 without a usable WWW-Authenticate challenge"
            ))
        })?;
        let basic = match &self.credentials {
            Credentials::Basic {
                username, password, ..
            } => Some(format!(
                "Basic {}",
                ruleforge_bundle::keys::base64_encode(format!("{username}:{password}").as_bytes())
            )),
            _ => None,
        };
        match challenge.scheme.as_str() {
            "basic" => {
                self.authorization = Some(basic.ok_or_else(no_credentials)?);
                Ok(())
            }
            "bearer" => {
                let realm = challenge.param("realm").ok_or_else(|| {
                    DistError::Auth(format!("{what}: bearer challenge without a realm"))
                })?;
                if !(realm.starts_with("https://")
                    || (realm.starts_with("http://") && self.base.starts_with("http://")))
                {
                    return Err(DistError::Auth(format!(
                        "{what}: the token realm `{realm}` is not HTTPS: credentials are not sent there"
                    )));
                }
                let actions = if self.push { "pull,push" } else { "pull" };
                let own_scope = format!("repository:{}:{actions}", self.reference.repository);
                let scope = challenge.param("scope").unwrap_or(&own_scope).to_string();
                let mut url = format!(
                    "{realm}{}scope={}",
                    if realm.contains('?') { '&' } else { '?' },
                    percent_encode(&scope)
                );
                if let Some(service) = challenge.param("service") {
                    url.push_str(&format!("&service={}", percent_encode(service)));
                }
                let mut req = self.agent.get(&url);
                if let Some(b) = &basic {
                    req = req.header("Authorization", b.as_str());
                }
                let mut resp = req.call().map_err(|e| {
                    DistError::Registry(format!("{what}: token endpoint {realm}: {e}"))
                })?;
                let status = resp.status().as_u16();
                if status == 401 || status == 403 {
                    return Err(DistError::Auth(format!(
                        "{what}: the token endpoint {realm} refused {} ({status})",
                        self.credentials.source()
                    )));
                }
                if status != 200 {
                    return Err(DistError::Registry(format!(
                        "{what}: the token endpoint {realm} answered HTTP {status}"
                    )));
                }
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(1024 * 1024)
                    .read_to_vec()
                    .map_err(|e| DistError::Registry(format!("{what}: token endpoint: {e}")))?;
                let reply: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                    DistError::Registry(format!("{what}: the token endpoint answered no JSON: {e}"))
                })?;
                let token = reply["token"]
                    .as_str()
                    .or_else(|| reply["access_token"].as_str())
                    .ok_or_else(|| {
                        DistError::Registry(format!("{what}: the token endpoint answered no token"))
                    })?;
                self.authorization = Some(format!("Bearer {token}"));
                Ok(())
            }
            other => Err(DistError::Auth(format!(
                "{what}: unsupported authentication scheme `{other}`"
            ))),
        }
    }

    /// The manifest the reference names: its bytes and digest. A digest reference is
    /// checked against the bytes.
    pub fn get_manifest(&mut self) -> Result<(Vec<u8>, String), DistError> {
        let reference = self.reference.manifest_reference().to_string();
        let url = self.url(&format!("manifests/{reference}"));
        let what = format!("manifest {}", self.reference);
        let r = self.request(
            Method::Get,
            &url,
            &[("Accept", MANIFEST_MEDIA_TYPE)],
            &[],
            artifact::MAX_MANIFEST,
            &what,
        )?;
        expect_ok(r.status, &what, &what, &r.body)?;
        let digest = artifact::digest_of(&r.body);
        if let Some(pinned) = &self.reference.digest {
            if *pinned != digest {
                return Err(DistError::DigestMismatch {
                    what,
                    expected: pinned.clone(),
                    expected_size: r.body.len() as u64,
                    actual: digest,
                    actual_size: r.body.len() as u64,
                });
            }
        }
        Ok((r.body, digest))
    }

    /// The digest of the manifest the reference names, by a `HEAD` request (no body is
    /// downloaded): the registry's `Docker-Content-Digest` header, or `None` when the
    /// registry does not send it. Cheap polling compares it with the digest last accepted.
    pub fn head_manifest(&mut self) -> Result<Option<String>, DistError> {
        let reference = self.reference.manifest_reference().to_string();
        let url = self.url(&format!("manifests/{reference}"));
        let what = format!("manifest {}", self.reference);
        let r = self.request(
            Method::Head,
            &url,
            &[("Accept", MANIFEST_MEDIA_TYPE)],
            &[],
            0,
            &what,
        )?;
        expect_ok(r.status, &what, &what, &r.body)?;
        Ok(r.content_digest
            .filter(|d| artifact::check_digest(d).is_ok()))
    }

    /// A blob, checked against its descriptor (size and digest) before it is returned.
    pub fn get_blob(&mut self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>, DistError> {
        let name = desc.title().unwrap_or(&desc.digest).to_string();
        let what = format!("blob {name}");
        if desc.size > limit {
            return Err(DistError::TooLarge {
                what: format!("{what} ({} bytes in the manifest)", desc.size),
                limit,
            });
        }
        artifact::check_digest(&desc.digest)
            .map_err(|p| DistError::Registry(format!("{what}: digest `{}`: {p}", desc.digest)))?;
        let url = self.url(&format!("blobs/{}", desc.digest));
        // One byte more than the descriptor says, so a longer body is seen as a mismatch.
        let r = self.request(Method::Get, &url, &[], &[], desc.size + 1, &what);
        let r = match r {
            Err(DistError::TooLarge { .. }) => {
                return Err(DistError::DigestMismatch {
                    what,
                    expected: desc.digest.clone(),
                    expected_size: desc.size,
                    actual: "a longer body".into(),
                    actual_size: desc.size + 1,
                })
            }
            r => r?,
        };
        let missing = format!("{what} ({})", desc.digest);
        expect_ok(r.status, &what, &missing, &r.body)?;
        let actual = artifact::digest_of(&r.body);
        if actual != desc.digest || r.body.len() as u64 != desc.size {
            return Err(DistError::DigestMismatch {
                what,
                expected: desc.digest.clone(),
                expected_size: desc.size,
                actual,
                actual_size: r.body.len() as u64,
            });
        }
        Ok(r.body)
    }

    /// Whether the repository has the blob.
    pub fn has_blob(&mut self, digest: &str) -> Result<bool, DistError> {
        let url = self.url(&format!("blobs/{digest}"));
        let r = self.request(Method::Head, &url, &[], &[], 0, &format!("blob {digest}"))?;
        Ok(r.status == 200)
    }

    /// Uploads a blob (monolithic: POST then PUT) unless the repository has it already.
    pub fn put_blob(&mut self, bytes: &[u8], what: &str) -> Result<String, DistError> {
        let digest = artifact::digest_of(bytes);
        if self.has_blob(&digest)? {
            return Ok(digest);
        }
        let url = self.url("blobs/uploads/");
        let r = self.request(
            Method::Post,
            &url,
            &[("Content-Length", "0")],
            &[],
            64 * 1024,
            what,
        )?;
        if r.status != 202 {
            return Err(DistError::Registry(format!(
                "{what}: starting the upload: HTTP {}{}",
                r.status,
                error_text(&r.body)
            )));
        }
        let location = r.location.ok_or_else(|| {
            DistError::Registry(format!("{what}: the upload answer has no Location"))
        })?;
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={}", percent_encode(&digest));
        let r = self.request(
            Method::Put,
            &url,
            &[("Content-Type", "application/octet-stream")],
            bytes,
            64 * 1024,
            what,
        )?;
        if r.status != 201 {
            return Err(DistError::Registry(format!(
                "{what}: uploading: HTTP {}{}",
                r.status,
                error_text(&r.body)
            )));
        }
        Ok(digest)
    }

    /// Puts a manifest under `reference` (a tag or its digest); returns its digest.
    pub fn put_manifest(&mut self, bytes: &[u8], reference: &str) -> Result<String, DistError> {
        let url = self.url(&format!("manifests/{reference}"));
        let what = format!("manifest {reference}");
        let r = self.request(
            Method::Put,
            &url,
            &[("Content-Type", MANIFEST_MEDIA_TYPE)],
            bytes,
            64 * 1024,
            &what,
        )?;
        if r.status != 201 {
            return Err(DistError::Registry(format!(
                "{what}: HTTP {}{}",
                r.status,
                error_text(&r.body)
            )));
        }
        Ok(artifact::digest_of(bytes))
    }
}

/// The registry's error message (`{"errors": [{"code", "message"}]}`), if any, as `: …`.
/// A GET answered 200, or the error for its status: `NotFound` naming `missing` for a 404,
/// else `Registry` with the status; both with the registry's error text.
fn expect_ok(status: u16, what: &str, missing: &str, body: &[u8]) -> Result<(), DistError> {
    match status {
        200 => Ok(()),
        404 => Err(DistError::NotFound(format!(
            "{missing}{}",
            error_text(body)
        ))),
        s => Err(DistError::Registry(format!(
            "{what}: HTTP {s}{}",
            error_text(body)
        ))),
    }
}

fn error_text(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let parts: Vec<String> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {}",
                e["code"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
            .trim()
            .to_string()
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::{Arc, Mutex};

    /// A request the fake server saw: request line and `Authorization` header.
    type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

    /// A one-thread HTTP/1.1 server on 127.0.0.1 answering with `answer(request line,
    /// authorization, call number)` → (status, extra headers, body); closes each connection.
    fn serve(
        answer: impl Fn(&str, Option<&str>, usize) -> (u16, Vec<(String, String)>, Vec<u8>)
            + Send
            + 'static,
    ) -> (u16, Seen) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let (mut auth, mut length) = (None, 0usize);
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    match k.to_ascii_lowercase().as_str() {
                        "authorization" => auth = Some(v.trim().to_string()),
                        "content-length" => length = v.trim().parse().unwrap(),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let line = line.trim().to_string();
                log.lock().unwrap().push((line.clone(), auth.clone()));
                let (status, headers, body) = answer(&line, auth.as_deref(), n);
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let _ = stream.write_all(out.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        (port, seen)
    }

    fn options() -> ClientOptions {
        ClientOptions {
            backoff: Duration::from_millis(1),
            ..Default::default()
        }
    }

    fn reference(port: u16) -> Reference {
        Reference::parse(&format!("oci://127.0.0.1:{port}/acme/rules:v1")).unwrap()
    }

    #[test]
    fn bearer_challenges_get_a_token_with_the_basic_credentials() {
        let manifest = br#"{"schemaVersion": 2}"#.to_vec();
        let (port, seen) = {
            let body = manifest.clone();
            let port_cell = Arc::new(Mutex::new(0u16));
            let p2 = port_cell.clone();
            let (port, seen) = serve(move |line, auth, _| {
                let port = *p2.lock().unwrap();
                if line.starts_with("GET /token?") {
                    assert!(
                        line.contains("scope=repository%3Aacme%2Frules%3Apull"),
                        "{line}"
                    );
                    assert!(line.contains("service=reg"), "{line}");
                    assert_eq!(auth, Some("Basic dTpw"), "u:p to the token endpoint");
                    return (200, vec![], br#"{"token": "T0K"}"#.to_vec());
                }
                match auth {
                    Some("Bearer T0K") => (200, vec![], body.clone()),
                    _ => (
                        401,
                        vec![(
                            "WWW-Authenticate".into(),
                            format!(
                                r#"Bearer realm="http://127.0.0.1:{port}/token",service="reg""#
                            ),
                        )],
                        vec![],
                    ),
                }
            });
            *port_cell.lock().unwrap() = port;
            (port, seen)
        };
        let credentials = Credentials::Basic {
            username: "u".into(),
            password: "p".into(),
            source: "test".into(),
        };
        let mut client = Client::new(&reference(port), credentials, false, options());
        let (bytes, digest) = client.get_manifest().unwrap();
        assert_eq!(bytes, manifest);
        assert_eq!(digest, artifact::digest_of(&manifest));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[2].1.as_deref(), Some("Bearer T0K"));
    }

    #[test]
    fn transient_failures_are_retried_then_reported() {
        let (port, seen) = serve(|_, _, n| {
            if n < 2 {
                (503, vec![], b"busy".to_vec())
            } else {
                (200, vec![], b"{}".to_vec())
            }
        });
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        client.get_manifest().unwrap();
        assert_eq!(seen.lock().unwrap().len(), 3);

        let (port, seen) = serve(|_, _, _| (502, vec![], Vec::new()));
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        let e = client.get_manifest().unwrap_err();
        assert_eq!(e.exit_code(), 19, "{e}");
        assert!(e.to_string().contains("gave up after 4 tries"), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[test]
    fn auth_not_found_too_large_and_digest_mismatch_have_their_own_errors() {
        let (port, _) = serve(|_, _, _| {
            (
                401,
                vec![("WWW-Authenticate".into(), r#"Basic realm="r""#.into())],
                Vec::new(),
            )
        });
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        let e = client.get_manifest().unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("registry-auth", 16), "{e}");
        assert!(e.to_string().contains("requires credentials"), "{e}");

        let (port, _) = serve(|_, _, _| {
            (
                404,
                vec![],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                    .to_vec(),
            )
        });
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        let e = client.get_manifest().unwrap_err();
        assert_eq!(e.exit_code(), 17, "{e}");
        assert!(e.to_string().contains("MANIFEST_UNKNOWN"), "{e}");

        let (port, _) = serve(|_, _, _| (200, vec![], vec![b'x'; 100]));
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        let desc = Descriptor::of("t", b"short", Some("f"));
        let e = client.get_blob(&desc, 1000).unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("digest-mismatch", 15), "{e}");
        let big = Descriptor {
            size: 10_000,
            ..desc.clone()
        };
        let e = client.get_blob(&big, 1000).unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("too-large", 18), "{e}");
        let (port, _) = serve(|_, _, _| (200, vec![], b"shorT".to_vec()));
        let mut client = Client::new(&reference(port), Credentials::Anonymous, false, options());
        let e = client.get_blob(&desc, 1000).unwrap_err();
        assert_eq!(e.exit_code(), 15, "{e}");
        assert!(e.to_string().contains(&desc.digest), "{e}");
    }

    #[test]
    fn percent_encoding_and_error_text() {
        assert_eq!(
            percent_encode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
        assert_eq!(
            error_text(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#),
            ": MANIFEST_UNKNOWN manifest unknown"
        );
        assert_eq!(error_text(b"<html>"), "");
    }
}
