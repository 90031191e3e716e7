//! Registry credentials, from the usual places, first found wins:
//! 1. `RULEFORGE_REGISTRY_TOKEN`: a registry bearer token, sent as it is;
//! 2. `RULEFORGE_REGISTRY_USERNAME` and `RULEFORGE_REGISTRY_PASSWORD` (for GHCR: a user and a
//!    token with `read:packages`/`write:packages`);
//! 3. the Docker configuration file (`$DOCKER_CONFIG/config.json`, else
//!    `~/.docker/config.json`): a credential helper for the registry (`credHelpers`), the
//!    default store (`credsStore`), or an `auths` entry (`auth`: base64 of `user:password`);
//! 4. none: anonymous (public repositories).
//!
//! Username and password go to the registry's token endpoint (bearer challenge) or in a Basic
//! header (basic challenge), never to another host.

use crate::error::DistError;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub const TOKEN_ENV: &str = "RULEFORGE_REGISTRY_TOKEN";
pub const USERNAME_ENV: &str = "RULEFORGE_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "RULEFORGE_REGISTRY_PASSWORD";

/// Credentials for one registry; `source` says where they came from (for messages, never
/// the secret itself).
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Anonymous,
    Basic {
        username: String,
        password: String,
        source: String,
    },
    Bearer {
        token: String,
        source: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({})", self.source())
    }
}

impl Credentials {
    /// Where they came from.
    pub fn source(&self) -> String {
        match self {
            Credentials::Anonymous => "no credentials".into(),
            Credentials::Basic {
                username, source, ..
            } => format!("user `{username}` from {source}"),
            Credentials::Bearer { source, .. } => format!("a token from {source}"),
        }
    }

    /// The credentials for `registry` (`host[:port]`), looked up in the order of the module
    /// documentation. `env` reads an environment variable (the process's in production).
    pub fn lookup(
        registry: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Credentials, DistError> {
        if let Some(token) = env(TOKEN_ENV).filter(|t| !t.is_empty()) {
            return Ok(Credentials::Bearer {
                token,
                source: TOKEN_ENV.into(),
            });
        }
        match (env(USERNAME_ENV), env(PASSWORD_ENV)) {
            (Some(username), Some(password)) => {
                return Ok(Credentials::Basic {
                    username,
                    password,
                    source: format!("{USERNAME_ENV}/{PASSWORD_ENV}"),
                })
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(DistError::Auth(format!(
                    "set both {USERNAME_ENV} and {PASSWORD_ENV}, or neither"
                )))
            }
            (None, None) => {}
        }
        let path = match env("DOCKER_CONFIG") {
            Some(dir) => PathBuf::from(dir).join("config.json"),
            None => match env("HOME") {
                Some(home) => PathBuf::from(home).join(".docker").join("config.json"),
                None => return Ok(Credentials::Anonymous),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::Anonymous)
            }
            Err(e) => {
                return Err(DistError::Auth(format!(
                    "{}: cannot read the Docker configuration: {e}",
                    path.display()
                )))
            }
        };
        from_docker_config(&text, &path.display().to_string(), registry)
    }
}

/// The credentials for `registry` in a Docker configuration file's text.
pub fn from_docker_config(
    text: &str,
    source: &str,
    registry: &str,
) -> Result<Credentials, DistError> {
    let config: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| DistError::Auth(format!("{source}: not a Docker configuration file: {e}")))?;
    let keys = [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ];
    let helper = keys
        .iter()
        .find_map(|k| config["credHelpers"][k].as_str())
        .or_else(|| config["credsStore"].as_str());
    if let Some(helper) = helper {
        return from_helper(helper, registry);
    }
    let Some(entry) = keys
        .iter()
        .map(|k| &config["auths"][k])
        .find(|e| e.is_object())
    else {
        return Ok(Credentials::Anonymous);
    };
    let source = format!("{source} (auths)");
    if let Some(token) = entry["registrytoken"].as_str() {
        return Ok(Credentials::Bearer {
            token: token.into(),
            source,
        });
    }
    if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
        let decoded = ruleforge_bundle::keys::base64_decode(auth)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                DistError::Auth(format!("{source}: `auth` of {registry} is not base64"))
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            DistError::Auth(format!(
                "{source}: `auth` of {registry} is not user:password"
            ))
        })?;
        return Ok(Credentials::Basic {
            username: username.into(),
            password: password.into(),
            source,
        });
    }
    if let (Some(u), Some(p)) = (entry["username"].as_str(), entry["password"].as_str()) {
        return Ok(Credentials::Basic {
            username: u.into(),
            password: p.into(),
            source,
        });
    }
    Ok(Credentials::Anonymous)
}

/// Asks `docker-credential-<helper> get` (the Docker credential helper protocol).
fn from_helper(helper: &str, registry: &str) -> Result<Credentials, DistError> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            DistError::Auth(format!("cannot run the credential helper `{program}`: {e}"))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| DistError::Auth(format!("credential helper `{program}`: {e}")))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stdout);
        // "credentials not found in native keychain": anonymous, as docker does.
        if message.contains("not found") {
            return Ok(Credentials::Anonymous);
        }
        return Err(DistError::Auth(format!(
            "credential helper `{program}` failed: {}",
            message.trim()
        )));
    }
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        DistError::Auth(format!(
            "credential helper `{program}` answered no JSON: {e}"
        ))
    })?;
    let (Some(username), Some(secret)) = (reply["Username"].as_str(), reply["Secret"].as_str())
    else {
        return Err(DistError::Auth(format!(
            "credential helper `{program}` answered no Username and Secret"
        )));
    };
    if username == "<token>" {
        return Err(DistError::Auth(format!(
            "credential helper `{program}` holds an identity token (OAuth refresh token), which ruleforge does not exchange: set {TOKEN_ENV} or {USERNAME_ENV}/{PASSWORD_ENV}"
        )));
    }
    Ok(Credentials::Basic {
        username: username.into(),
        password: secret.into(),
        source: format!("credential helper `{program}`"),
    })
}

/// A `WWW-Authenticate` challenge: the scheme (lower case) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas).
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.peek().copied() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
            params.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        Some(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        })
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = Challenge::parse(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://ghcr.io/token"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull,push"));
        let c = Challenge::parse(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(
            (c.scheme.as_str(), c.param("realm")),
            ("basic", Some("Registry Realm"))
        );
    }

    #[test]
    fn credentials_come_from_env_then_docker_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            r#"{"auths": {"reg.example:5000": {"auth": "dXNlcjpwYXNz"}}}"#,
        )
        .unwrap();
        let dir_text = dir.path().display().to_string();
        let env = |vars: &'static [(&'static str, &'static str)]| {
            let dir_text = dir_text.clone();
            move |k: &str| {
                if k == "DOCKER_CONFIG" {
                    return Some(dir_text.clone());
                }
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = Credentials::lookup("reg.example:5000", &env(&[])).unwrap();
        assert!(
            matches!(&c, Credentials::Basic { username, password, .. } if username == "user" && password == "pass"),
            "{c:?}"
        );
        assert_eq!(
            Credentials::lookup("other", &env(&[])).unwrap(),
            Credentials::Anonymous
        );
        let c = Credentials::lookup("other", &env(&[(TOKEN_ENV, "t")])).unwrap();
        assert!(matches!(c, Credentials::Bearer { ref token, .. } if token == "t"));
        let e = Credentials::lookup("other", &env(&[(USERNAME_ENV, "u")])).unwrap_err();
        assert_eq!(e.exit_code(), 16);
        std::fs::write(&config, "{").unwrap();
        let e = Credentials::lookup("other", &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.json: not a Docker configuration file"),
            "{e}"
        );
        std::fs::write(
            &config,
            r#"{"credHelpers": {"r": "ruleforge-test-missing"}}"#,
        )
        .unwrap();
        let e = Credentials::lookup("r", &env(&[])).unwrap_err().to_string();
        assert!(
            e.contains("docker-credential-ruleforge-test-missing"),
            "{e}"
        );
    }
}
