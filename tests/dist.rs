//! Distribution: `timestamp`, `verify --freshness`, threshold signatures, and (against a
//! real registry, CNCF distribution, started here on 127.0.0.1) `push` and `pull` with every
//! attack refused by its own exit code; `oras` (PyPI) pulls the same bytes.
//!
//! The registry tests need `docker-registry` (Debian's CNCF distribution 2.8), `htpasswd`
//! (apache2-utils) and a Python with `oras`; `.ci/run dist` installs them and sets
//! RULEFORGE_TEST_REGISTRY (the registry binary) and RULEFORGE_PYTHON. With the variable set
//! and a tool missing, they fail; without it, they say so on the terminal and return.

mod common;

use assert_cmd::Command;
use common::GitRepo;
use ruleforge::bundle::sign;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tempfile::TempDir;

const DATE1: &str = "2024-06-01T12:00:00+00:00";
const VERSION1: &str = "20240601120000";
const DATE2: &str = "2024-06-02T08:30:00+00:00";
const VERSION2: &str = "20240602083000";
/// Every check runs at this instant: both bundles valid, freshness issued at ISSUED fresh.
const NOW: &str = "2024-06-03T00:00:00Z";
const ISSUED: &str = "2024-06-02T12:00:00Z";
/// A freshness document issued then for 2 days expired before NOW.
const ISSUED_LONG_AGO: &str = "2024-05-30T00:00:00Z";

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    fn text(&self) -> String {
        format!("exit {}\n{}{}", self.code, self.stdout, self.stderr)
    }
}

/// The binary, isolated from the machine's registry credentials.
fn rf(dir: &Path, docker_config: &Path) -> Command {
    let mut c = common::ruleforge(dir);
    for var in [
        "RULEFORGE_KEY_PASSWORD",
        "RULEFORGE_REGISTRY_TOKEN",
        "RULEFORGE_REGISTRY_USERNAME",
        "RULEFORGE_REGISTRY_PASSWORD",
    ] {
        c.env_remove(var);
    }
    c.env("DOCKER_CONFIG", docker_config);
    c
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn assert_refused(o: &Output, code: i32, name: &str, text: &str) {
    assert_eq!(o.code, code, "{}", o.text());
    assert!(
        o.stderr.contains(&format!("[{name}]")) && o.stderr.contains(text),
        "expected [{name}] and `{text}`:\n{}",
        o.text()
    );
}

/// Two revisions of a rules repository, three key pairs, and the signed bundles of both
/// revisions (each signed by keys `a` and `b`) with their freshness documents.
struct Fixture {
    _repo: GitRepo,
    dir: TempDir,
    docker_config: PathBuf,
    v1: PathBuf,
    v2: PathBuf,
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn key(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.key"))
    }
    fn public(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.pub"))
    }
    fn rf(&self) -> Command {
        rf(self.dir.path(), &self.docker_config)
    }
    /// `ruleforge timestamp BUNDLE --secret-key a.key --now ISSUED [--out OUT]`.
    fn timestamp(&self, bundle: &Path, issued: &str, out: Option<&Path>) -> Output {
        let mut c = self.rf();
        c.arg("timestamp")
            .arg(bundle)
            .arg("--secret-key")
            .arg(self.key("a"))
            .args(["--now", issued, "--expires-in", "2d"]);
        if let Some(out) = out {
            c.arg("--out").arg(out);
        }
        run(&mut c)
    }
}

fn fixture() -> Fixture {
    let repo = GitRepo::new();
    repo.write(
        "rules/one.yml",
        &common::rule(
            "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c",
            "First web shell",
            "32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77",
        ),
    );
    repo.commit_at("one rule", DATE1);
    let dir = tempfile::tempdir().unwrap();
    let docker_config = dir.path().join("docker");
    std::fs::create_dir_all(&docker_config).unwrap();
    for name in ["a", "b", "c"] {
        let k = sign::generate(None).unwrap();
        std::fs::write(dir.path().join(format!("{name}.key")), &k.secret_key_text).unwrap();
        std::fs::write(dir.path().join(format!("{name}.pub")), &k.public_key_text).unwrap();
    }
    let build = |out: &str| {
        let o = run(rf(repo.path(), &docker_config)
            .args(["bundle", "--out"])
            .arg(dir.path().join(out))
            .arg("--secret-key")
            .arg(dir.path().join("a.key"))
            .arg("--secret-key")
            .arg(dir.path().join("b.key")));
        assert_eq!(o.code, 0, "{}", o.text());
        let line = o
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("bundle "))
            .unwrap();
        PathBuf::from(line.trim())
    };
    let v1 = build("v1");
    repo.write(
        "rules/two.yml",
        &common::rule(
            "1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01",
            "Second web shell",
            "ce77d116a074dab7a22a0fd4f2c1ab475f16eec42e1ded3c0b0aa8211fe858d6",
        ),
    );
    repo.commit_at("two rules", DATE2);
    let v2 = build("v2");
    let f = Fixture {
        _repo: repo,
        dir,
        docker_config,
        v1,
        v2,
    };
    for bundle in [&f.v1, &f.v2] {
        let o = f.timestamp(bundle, ISSUED, None);
        assert_eq!(o.code, 0, "{}", o.text());
    }
    f
}

fn verify(f: &Fixture, bundle: &Path, keys: &[&str], extra: &[&str]) -> Output {
    let mut c = f.rf();
    c.arg("verify").arg(bundle);
    if !extra.contains(&"--now") {
        c.args(["--now", NOW]);
    }
    for k in keys {
        c.arg("--public-key").arg(f.public(k));
    }
    run(c.args(extra))
}

fn freshness_of(bundle: &Path) -> String {
    format!("{}.freshness.json", bundle.display())
}

#[test]
fn bundles_carry_several_signatures_and_verify_checks_a_threshold() {
    let f = fixture();
    assert!(f
        .v1
        .to_string_lossy()
        .ends_with(&format!("-{VERSION1}.tar.gz")));
    let sig2 = PathBuf::from(format!("{}.minisig.2", f.v1.display()));
    assert!(sig2.is_file(), "the second signature is BUNDLE.minisig.2");

    let o = verify(&f, &f.v1, &["a", "b"], &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(o.stdout.contains("signed by keys "), "{}", o.stdout);
    // One signature short: a, b and c trusted, three required, two signed.
    let o = verify(&f, &f.v1, &["a", "b", "c"], &["--threshold", "3"]);
    assert_refused(&o, 9, "threshold-not-met", "2 of the required 3");
    // With only the first signature given, two keys required: one short.
    let o = verify(
        &f,
        &f.v1,
        &["a", "b"],
        &[
            "--threshold",
            "2",
            "--signature",
            &format!("{}.minisig", f.v1.display()),
        ],
    );
    assert_refused(&o, 9, "threshold-not-met", "1 of the required 2");
    // A wrong key: none of the signatures is by a trusted key.
    let o = verify(&f, &f.v1, &["c"], &[]);
    assert_refused(&o, 4, "unknown-key", "signed by unknown key");
    // A threshold above the number of keys can never be met: a usage error.
    let o = verify(&f, &f.v1, &["a"], &["--threshold", "2"]);
    assert_eq!(o.code, 2, "{}", o.text());
    assert!(o.stderr.contains("--threshold 2"), "{}", o.stderr);
    // The same key twice counts once.
    let o = verify(&f, &f.v1, &["a", "a"], &["--threshold", "2"]);
    assert_eq!(o.code, 2, "{}", o.text());
    // Rotation: trusting only the new key b still verifies (the bundle is signed by both).
    let o = verify(&f, &f.v1, &["b"], &[]);
    assert_eq!(o.code, 0, "{}", o.text());
}

#[test]
fn freshness_documents_are_signed_checked_and_refused_when_stale_or_for_another_bundle() {
    let f = fixture();
    let doc = freshness_of(&f.v1);
    let text = std::fs::read_to_string(&doc).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"].as_u64(), Some(VERSION1.parse().unwrap()));
    assert_eq!(json["issued"], ISSUED);
    assert_eq!(json["expires"], "2024-06-04T12:00:00Z");
    let o = verify(&f, &f.v1, &["a"], &["--freshness", &doc]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(
        o.stdout.contains("fresh      until 2024-06-04T12:00:00Z"),
        "{}",
        o.stdout
    );

    // Expired: the same document judged after its expiry (a frozen mirror).
    let o = verify(
        &f,
        &f.v1,
        &["a"],
        &["--freshness", &doc, "--now", "2024-06-05T00:00:00Z"],
    );
    assert_refused(
        &o,
        10,
        "freshness-expired",
        "expired at 2024-06-04T12:00:00Z",
    );
    // An old timestamp re-served.
    let old = f.path("old");
    assert_eq!(f.timestamp(&f.v1, ISSUED_LONG_AGO, Some(&old)).code, 0);
    let old_doc = old.join(Path::new(&doc).file_name().unwrap());
    let o = verify(
        &f,
        &f.v1,
        &["a"],
        &["--freshness", old_doc.to_str().unwrap()],
    );
    assert_refused(&o, 10, "freshness-expired", "freeze");
    // Mix-and-match: v2's document with v1's bundle.
    let o = verify(&f, &f.v1, &["a"], &["--freshness", &freshness_of(&f.v2)]);
    assert_refused(&o, 11, "freshness-mismatch", "names SHA-256");
    // Signed by an untrusted key, or altered after signing.
    let o = verify(
        &f,
        &f.v1,
        &["a"],
        &[
            "--freshness",
            &doc,
            "--freshness-key",
            f.public("c").to_str().unwrap(),
        ],
    );
    assert_refused(&o, 12, "freshness-invalid", "signed by unknown key");
    let tampered = f.path("tampered.freshness.json");
    std::fs::write(&tampered, text.replace("2024-06-04T12", "2024-06-09T12")).unwrap();
    std::fs::copy(
        format!("{doc}.minisig"),
        format!("{}.minisig", tampered.display()),
    )
    .unwrap();
    let o = verify(
        &f,
        &f.v1,
        &["a"],
        &["--freshness", tampered.to_str().unwrap()],
    );
    assert_refused(&o, 12, "freshness-invalid", "bad signature");
    // Months of validity are refused when signing.
    let o = run(f
        .rf()
        .arg("timestamp")
        .arg(&f.v1)
        .arg("--secret-key")
        .arg(f.key("a"))
        .args(["--expires-in", "90d"]));
    assert_eq!(o.code, 12, "{}", o.text());
    assert!(o.stderr.contains("not months"), "{}", o.stderr);
    let o = run(f
        .rf()
        .arg("timestamp")
        .arg(&f.v1)
        .arg("--secret-key")
        .arg(f.key("a"))
        .args(["--expires-in", "2w"]));
    assert_eq!(o.code, 2, "{}", o.text());
    assert!(o.stderr.contains("m, h or d"), "{}", o.stderr);
}

// ------------------------------------------------------------------------------------------
// Against a real registry
// ------------------------------------------------------------------------------------------

const REGISTRY_ENV: &str = "RULEFORGE_TEST_REGISTRY";

/// The registry binary, when the registry tests are to run here: `None` (with a line on
/// the terminal, past the test harness's capture) when RULEFORGE_TEST_REGISTRY is unset;
/// a failure when it is set and a tool is missing.
fn registry_binary(test: &str) -> Option<PathBuf> {
    let Some(bin) = std::env::var_os(REGISTRY_ENV) else {
        let _ = writeln!(
            std::io::stderr(),
            "{test}: not run here: {REGISTRY_ENV} is unset; `.ci/run dist` installs docker-registry and oras and runs it"
        );
        return None;
    };
    let bin = PathBuf::from(bin);
    assert!(
        bin.is_file(),
        "{REGISTRY_ENV}={} does not exist: install Debian's registry (`apt-get install docker-registry`, CNCF distribution 2.8) or run `.ci/run dist`",
        bin.display()
    );
    Some(bin)
}

fn python_with_oras() -> String {
    let python = std::env::var("RULEFORGE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import oras.client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{python} cannot import oras: `pip install oras` in a venv and set RULEFORGE_PYTHON (`.ci/run dist` does)"
    );
    python
}

/// A CNCF distribution registry on 127.0.0.1 with its storage in a temporary folder,
/// stopped when dropped.
struct Registry {
    child: std::process::Child,
    storage: TempDir,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start(bin: &Path, htpasswd: Option<&Path>) -> Registry {
        let storage = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.path().join("data").display()
        );
        if let Some(h) = htpasswd {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: ruleforge-test\n    path: {}\n",
                h.display()
            ));
        }
        let config_path = storage.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(storage.path().join("registry.log")).unwrap();
        let child = std::process::Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start: {e}", bin.display()));
        let r = Registry {
            child,
            storage,
            port,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the registry did not listen on 127.0.0.1:{port}: {}",
                std::fs::read_to_string(r.storage.path().join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        r
    }

    fn reference(&self, repo_tag: &str) -> String {
        format!("oci://127.0.0.1:{}/{repo_tag}", self.port)
    }

    /// The requests the registry served so far (its access log): `METHOD /v2/…` each.
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.storage.path().join("registry.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let start = l.find('"')? + 1;
                let request = &l[start..];
                let end = request.find(" HTTP/")?;
                Some(request[..end].to_string())
            })
            .filter(|r| r.contains(" /v2/"))
            .collect()
    }

    /// The file holding a blob in the registry's storage.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

fn push(f: &Fixture, bundle: &Path, reference: &str, env: &[(&str, &str)]) -> Output {
    let mut c = f.rf();
    c.arg("push").arg(bundle).arg(reference);
    for (k, v) in env {
        c.env(k, v);
    }
    run(&mut c)
}

fn pull(f: &Fixture, reference: &str, out: &str, keys: &[&str], extra: &[&str]) -> Output {
    let mut c = f.rf();
    c.args(["pull", reference, "--now", NOW, "--out"])
        .arg(f.path(out))
        .arg("--state")
        .arg(f.path("state.json"));
    for k in keys {
        c.arg("--public-key").arg(f.public(k));
    }
    run(c.args(extra))
}

fn digest_line(o: &Output) -> String {
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest     "))
        .unwrap_or_else(|| panic!("no digest line:\n{}", o.text()))
        .to_string()
}

/// Names and bytes of the files in a folder.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `oras pull` (the Python SDK) of `target` into `out`; with `basic`, the registry's basic
/// authentication with the credentials of the Docker configuration file.
fn oras_pull(python: &str, target: &str, out: &Path, docker_config: &Path, basic: bool) {
    let script = "import sys, oras.client\n\
                  backend = 'basic' if sys.argv[3] == 'basic' else 'token'\n\
                  c = oras.client.OrasClient(insecure=True, auth_backend=backend)\n\
                  config = sys.argv[4] if backend == 'basic' else None\n\
                  print(c.pull(target=sys.argv[1], outdir=sys.argv[2], config_path=config))\n";
    let o = std::process::Command::new(python)
        .args(["-c", script, target])
        .arg(out)
        .arg(if basic { "basic" } else { "token" })
        .arg(docker_config.join("config.json"))
        .env("DOCKER_CONFIG", docker_config)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "oras pull {target}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Puts a hand-made artifact manifest under a tag, as an attacker with write access to the
/// registry (or a mirror) would.
fn put_manifest(reference: &str, manifest: &ruleforge::dist::artifact::ImageManifest) {
    use ruleforge::dist::{Client, ClientOptions, Credentials, Reference};
    let r = Reference::parse(reference).unwrap();
    let mut client = Client::new(&r, Credentials::Anonymous, true, ClientOptions::default());
    client
        .put_manifest(&manifest.to_json(), r.tag.as_deref().unwrap())
        .unwrap();
}

fn get_manifest(reference: &str) -> ruleforge::dist::artifact::ImageManifest {
    use ruleforge::dist::{artifact::ImageManifest, Client, ClientOptions, Credentials, Reference};
    let r = Reference::parse(reference).unwrap();
    let mut client = Client::new(&r, Credentials::Anonymous, false, ClientOptions::default());
    let (bytes, _) = client.get_manifest().unwrap();
    ImageManifest::parse(&bytes, reference).unwrap()
}

#[test]
fn registry_push_pull_oras_and_every_attack_refused() {
    let Some(bin) = registry_binary("registry_push_pull_oras_and_every_attack_refused") else {
        return;
    };
    let python = python_with_oras();
    let f = fixture();
    let reg = Registry::start(&bin, None);
    let latest = reg.reference("acme/rules:latest");

    // Push v1; oras pulls the same bytes; ruleforge pull verifies and writes them.
    let o = push(&f, &f.v1, &latest, &[]);
    assert_eq!(o.code, 0, "{}", o.text());
    let v1_digest = digest_line(&o);
    let oras_out = f.path("oras-v1");
    std::fs::create_dir_all(&oras_out).unwrap();
    oras_pull(
        &python,
        &format!("127.0.0.1:{}/acme/rules:latest", reg.port),
        &oras_out,
        &f.docker_config,
        false,
    );
    let pushed: Vec<(String, Vec<u8>)> = files_of(f.v1.parent().unwrap());
    assert_eq!(
        files_of(&oras_out),
        pushed,
        "oras pulls exactly the pushed files"
    );
    let o = pull(&f, &latest, "pulled-v1", &["a", "b"], &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(
        o.stdout.contains(&format!("version    {VERSION1}")),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains(&v1_digest), "{}", o.stdout);
    assert_eq!(files_of(&f.path("pulled-v1")), pushed);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.path("state.json")).unwrap()).unwrap();
    assert_eq!(
        state["bundles"]["ruleforge-rules"]["version"].as_u64(),
        Some(VERSION1.parse().unwrap())
    );

    // Push v2 under the same tag; a pull by digest pins it.
    let o = push(&f, &f.v2, &latest, &[]);
    assert_eq!(o.code, 0, "{}", o.text());
    let v2_digest = digest_line(&o);
    let pinned = format!("{}@{v2_digest}", reg.reference("acme/rules"));
    let o = pull(&f, &pinned, "pulled-v2", &["a"], &[]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(
        o.stdout.contains(&format!("version    {VERSION2}")),
        "{}",
        o.stdout
    );

    // A tag moved back to the older version: rollback against the state file.
    let v1_manifest = get_manifest(&format!("{}@{v1_digest}", reg.reference("acme/rules")));
    put_manifest(&latest, &v1_manifest);
    let o = pull(&f, &latest, "moved-back", &["a"], &[]);
    assert_refused(
        &o,
        8,
        "rollback",
        &format!("version {VERSION1} is older than the current version {VERSION2}"),
    );
    assert!(
        !f.path("moved-back").exists(),
        "nothing written on a refusal"
    );
    // …unless the operator asks for it.
    let o = pull(&f, &latest, "moved-back", &["a"], &["--allow-downgrade"]);
    assert_eq!(o.code, 0, "{}", o.text());
    put_manifest(&latest, &get_manifest(&pinned));

    // A freshness document naming another digest (v1's, beside v2's bundle): mix-and-match.
    let mut mixed = get_manifest(&pinned);
    for (i, layer) in v1_manifest.layers.iter().enumerate() {
        if layer
            .media_type
            .starts_with("application/vnd.ruleforge.freshness")
        {
            let at = mixed
                .layers
                .iter()
                .position(|l| l.media_type == layer.media_type)
                .unwrap();
            mixed.layers[at] = v1_manifest.layers[i].clone();
        }
    }
    put_manifest(&reg.reference("acme/rules:mixed"), &mixed);
    let o = pull(&f, &reg.reference("acme/rules:mixed"), "mixed", &["a"], &[]);
    assert_refused(&o, 11, "freshness-mismatch", "mix-and-match");

    // An expired freshness document (the publisher stopped re-signing: a frozen mirror).
    let stale = f.path("stale");
    std::fs::create_dir_all(&stale).unwrap();
    for (name, bytes) in files_of(f.v2.parent().unwrap()) {
        if !name.contains("freshness") {
            std::fs::write(stale.join(name), bytes).unwrap();
        }
    }
    let stale_bundle = stale.join(f.v2.file_name().unwrap());
    assert_eq!(f.timestamp(&stale_bundle, ISSUED_LONG_AGO, None).code, 0);
    let o = push(&f, &stale_bundle, &reg.reference("acme/rules:stale"), &[]);
    assert_eq!(o.code, 0, "{}", o.text());
    let o = pull(
        &f,
        &reg.reference("acme/rules:stale"),
        "stale-out",
        &["a"],
        &[],
    );
    assert_refused(&o, 10, "freshness-expired", "freeze");

    // One signature short of the threshold, and a wrong key.
    let o = pull(
        &f,
        &latest,
        "short",
        &["a", "b", "c"],
        &["--threshold", "3"],
    );
    assert_refused(&o, 9, "threshold-not-met", "2 of the required 3");
    let o = pull(&f, &latest, "wrong-key", &["c"], &[]);
    assert_refused(&o, 4, "unknown-key", "signed by unknown key");

    // A blob altered in the registry's storage: the digest check refuses it.
    let bundle_layer = get_manifest(&latest).layers[0].clone();
    let blob = reg.blob_file(&bundle_layer.digest);
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&blob, &bytes).unwrap();
    let o = pull(&f, &latest, "altered", &["a"], &[]);
    assert_refused(&o, 15, "digest-mismatch", &bundle_layer.digest);
    assert!(!f.path("altered").exists(), "nothing written on a refusal");

    // Not found, and plain HTTP to a non-loopback host only when asked.
    let o = pull(&f, &reg.reference("acme/none:latest"), "none", &["a"], &[]);
    assert_refused(&o, 17, "not-found", "MANIFEST_UNKNOWN");
    let state_after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.path("state.json")).unwrap()).unwrap();
    assert_eq!(
        state_after["bundles"]["ruleforge-rules"]["version"].as_u64(),
        Some(VERSION1.parse().unwrap()),
        "the state follows the last accepted pull (the deliberate downgrade)"
    );
}

/// `requests` from `from` on: the blob downloads among them.
fn blob_gets(requests: &[String], from: usize) -> Vec<String> {
    requests[from..]
        .iter()
        .filter(|r| r.starts_with("GET ") && r.contains("/blobs/"))
        .cloned()
        .collect()
}

#[test]
fn registry_delta_pull_and_conditional_poll() {
    let Some(bin) = registry_binary("registry_delta_pull_and_conditional_poll") else {
        return;
    };
    let python = python_with_oras();
    let f = fixture();
    let reg = Registry::start(&bin, None);
    let latest = reg.reference("acme/rules:latest");
    // v2 again (the same bytes: bundles are reproducible), with a delta from v1.
    let o = run(rf(f._repo.path(), &f.docker_config)
        .args(["bundle", "--out"])
        .arg(f.path("v2d"))
        .arg("--secret-key")
        .arg(f.key("a"))
        .arg("--secret-key")
        .arg(f.key("b"))
        .arg("--delta-from")
        .arg(&f.v1));
    assert_eq!(o.code, 0, "{}", o.text());
    let v2d = f.path("v2d").join(f.v2.file_name().unwrap());
    assert_eq!(std::fs::read(&v2d).unwrap(), std::fs::read(&f.v2).unwrap());
    let delta = PathBuf::from(
        o.stdout
            .lines()
            .find_map(|l| l.strip_prefix("delta "))
            .unwrap()
            .trim()
            .split(" (")
            .next()
            .unwrap(),
    );
    assert_eq!(f.timestamp(&v2d, ISSUED, None).code, 0);

    // v1, pulled in full.
    assert_eq!(push(&f, &f.v1, &latest, &[]).code, 0);
    let o = pull(&f, &latest, "held", &["a", "b"], &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(!o.stdout.contains("via delta"), "{}", o.text());

    // Polled again unchanged: a HEAD on the manifest, no blob, nothing written.
    let before = reg.requests().len();
    let o = pull(&f, &latest, "held", &["a", "b"], &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(o.stdout.starts_with("Up to date"), "{}", o.text());
    assert!(o.stdout.contains("fresh      until"), "{}", o.text());
    let polled = reg.requests()[before..].to_vec();
    assert!(
        polled
            .iter()
            .all(|r| r.starts_with("HEAD ") && r.contains("/manifests/")),
        "an up-to-date poll only asks for the manifest digest: {polled:?}"
    );
    assert!(!polled.is_empty());
    // The policy still holds while nothing changes: past the freshness document's expiry
    // the poll is refused as a freeze.
    let o = run(f
        .rf()
        .args(["pull", &latest, "--now", "2024-06-10T00:00:00Z", "--out"])
        .arg(f.path("held"))
        .arg("--state")
        .arg(f.path("state.json"))
        .arg("--public-key")
        .arg(f.public("a")));
    assert_refused(&o, 10, "freshness-expired", "freeze");

    // v2 with its delta: the scanner holding v1 downloads the delta only.
    let mut c = f.rf();
    let o = run(c
        .arg("push")
        .arg(&v2d)
        .arg(&latest)
        .arg("--delta")
        .arg(&delta));
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(
        o.stdout
            .contains("application/vnd.ruleforge.bundle.delta.v1.tar+gzip"),
        "{}",
        o.text()
    );
    let manifest = get_manifest(&latest);
    let bundle_layer = manifest
        .layers_of(ruleforge::dist::artifact::BUNDLE_MEDIA_TYPE)
        .next()
        .unwrap()
        .clone();
    let v1_sha = ruleforge::dist::delta::sha256_hex(&std::fs::read(&f.v1).unwrap());
    let delta_layer = manifest
        .layers_of(ruleforge::dist::artifact::DELTA_MEDIA_TYPE)
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        delta_layer.annotations[ruleforge::dist::artifact::DELTA_BASE_SHA256],
        v1_sha
    );
    let before = reg.requests().len();
    let o = pull(&f, &latest, "held", &["a", "b"], &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(o.stdout.contains("via delta"), "{}", o.text());
    let gets = blob_gets(&reg.requests(), before);
    assert!(
        !gets.iter().any(|r| r.contains(&bundle_layer.digest)),
        "the full bundle was downloaded: {gets:?}"
    );
    assert!(
        gets.iter().any(|r| r.contains(&delta_layer.digest)),
        "{gets:?}"
    );
    // The same bytes as a full pull (another scanner, no state).
    let o = run(f
        .rf()
        .args(["pull", &latest, "--now", NOW, "--out"])
        .arg(f.path("full"))
        .arg("--public-key")
        .arg(f.public("a")));
    assert_eq!(o.code, 0, "{}", o.text());
    let held = f.path("held");
    for (name, bytes) in files_of(&f.path("full")) {
        assert_eq!(
            std::fs::read(held.join(&name)).unwrap(),
            bytes,
            "{name}: the delta pull wrote other bytes than a full pull"
        );
    }
    assert_eq!(
        std::fs::read(held.join(f.v2.file_name().unwrap())).unwrap(),
        std::fs::read(&f.v2).unwrap()
    );

    // A delta announced for the held bundle but made for another base: refused as a wrong
    // base, and the full bundle downloaded instead.
    let odd = f.path("odd");
    std::fs::create_dir_all(&odd).unwrap();
    let mut odd_v1 = std::fs::read(&f.v1).unwrap();
    odd_v1.extend_from_slice(b"extra");
    std::fs::write(odd.join(f.v1.file_name().unwrap()), &odd_v1).unwrap();
    let odd_sha = ruleforge::dist::delta::sha256_hex(&odd_v1);
    let state = serde_json::json!({
        "format": "ruleforge-dist-state", "format_version": 1,
        "bundles": {"ruleforge-rules": {"version": VERSION1.parse::<u64>().unwrap(), "sha256": odd_sha}}
    });
    std::fs::write(f.path("odd-state.json"), state.to_string()).unwrap();
    let mut forged = manifest.clone();
    for layer in &mut forged.layers {
        if layer
            .annotations
            .contains_key(ruleforge::dist::artifact::DELTA_BASE_SHA256)
        {
            layer.annotations.insert(
                ruleforge::dist::artifact::DELTA_BASE_SHA256.into(),
                odd_sha.clone(),
            );
        }
    }
    let forged_ref = reg.reference("acme/rules:forged");
    put_manifest(&forged_ref, &forged);
    let before = reg.requests().len();
    let o = run(f
        .rf()
        .args(["pull", &forged_ref, "--now", NOW, "--out"])
        .arg(&odd)
        .arg("--state")
        .arg(f.path("odd-state.json"))
        .arg("--public-key")
        .arg(f.public("a")));
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(
        o.stderr.contains("delta refused [delta-wrong-base]") && o.stderr.contains("wrong base"),
        "{}",
        o.text()
    );
    assert!(!o.stdout.contains("via delta"), "{}", o.text());
    assert!(blob_gets(&reg.requests(), before)
        .iter()
        .any(|r| r.contains(&bundle_layer.digest)));
    assert_eq!(
        std::fs::read(odd.join(f.v2.file_name().unwrap())).unwrap(),
        std::fs::read(&f.v2).unwrap()
    );

    // oras still pulls the artifact: every layer, the delta among them.
    let oras_out = f.path("oras-v2");
    std::fs::create_dir_all(&oras_out).unwrap();
    oras_pull(
        &python,
        &format!("127.0.0.1:{}/acme/rules:latest", reg.port),
        &oras_out,
        &f.docker_config,
        false,
    );
    let mut expected = files_of(&f.path("v2d"));
    expected.sort();
    assert_eq!(files_of(&oras_out), expected);
    assert!(expected
        .iter()
        .any(|(n, _)| *n == delta.file_name().unwrap().to_string_lossy()));
}

#[test]
fn registry_with_htpasswd_auth() {
    let Some(bin) = registry_binary("registry_with_htpasswd_auth") else {
        return;
    };
    let python = python_with_oras();
    let f = fixture();
    let htpasswd = f.path("htpasswd");
    let o = std::process::Command::new("htpasswd")
        .args(["-Bbn", "publisher", "s3cret-pass"])
        .output()
        .unwrap_or_else(|e| panic!("htpasswd: {e}: install apache2-utils (`.ci/run dist` does)"));
    assert!(o.status.success());
    std::fs::write(&htpasswd, &o.stdout).unwrap();
    let reg = Registry::start(&bin, Some(&htpasswd));
    let target = reg.reference("acme/rules:v1");

    // No credentials, then wrong ones: refused as authentication failures.
    let o = push(&f, &f.v1, &target, &[]);
    assert_refused(&o, 16, "registry-auth", "requires credentials");
    let wrong = [
        ("RULEFORGE_REGISTRY_USERNAME", "publisher"),
        ("RULEFORGE_REGISTRY_PASSWORD", "wrong"),
    ];
    let o = push(&f, &f.v1, &target, &wrong);
    assert_refused(&o, 16, "registry-auth", "refused user `publisher`");
    // Environment credentials push.
    let right = [
        ("RULEFORGE_REGISTRY_USERNAME", "publisher"),
        ("RULEFORGE_REGISTRY_PASSWORD", "s3cret-pass"),
    ];
    let o = push(&f, &f.v1, &target, &right);
    assert_eq!(o.code, 0, "{}", o.text());
    // The Docker configuration file's credentials pull (ruleforge and oras alike).
    let auth = ruleforge::bundle::sign::base64_encode(b"publisher:s3cret-pass");
    std::fs::write(
        f.docker_config.join("config.json"),
        format!(
            r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "{auth}"}}}}}}"#,
            reg.port
        ),
    )
    .unwrap();
    let o = pull(&f, &target, "pulled", &["a"], &[]);
    assert_eq!(o.code, 0, "{}", o.text());
    assert_eq!(
        files_of(&f.path("pulled")),
        files_of(f.v1.parent().unwrap())
    );
    let oras_out = f.path("oras");
    std::fs::create_dir_all(&oras_out).unwrap();
    oras_pull(
        &python,
        &format!("127.0.0.1:{}/acme/rules:v1", reg.port),
        &oras_out,
        &f.docker_config,
        true,
    );
    assert_eq!(files_of(&oras_out), files_of(f.v1.parent().unwrap()));
}

#[test]
fn lint_checks_the_trust_table_for_a_rotation_that_keeps_a_valid_path() {
    let repo = GitRepo::new();
    repo.write(
        "rules/one.yml",
        &common::rule(
            "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c",
            "First web shell",
            "32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77",
        ),
    );
    for name in ["old", "new"] {
        let k = sign::generate(None).unwrap();
        repo.write(&format!("keys/{name}.pub"), &k.public_key_text);
    }
    let lint = |threshold: usize| {
        repo.write(
            "ruleforge.toml",
            &format!("[trust]\npublic-keys = [\"keys/old.pub\", \"keys/new.pub\"]\nthreshold = {threshold}\n"),
        );
        run(rf(repo.path(), repo.path()).arg("lint"))
    };
    // Mid-rotation: both keys listed, one signature required.
    let o = lint(1);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(!o.stderr.contains("[trust]"), "{}", o.stderr);
    // Every key required: retiring one would strand the scanners.
    let o = lint(2);
    assert_eq!(o.code, 0, "{}", o.text());
    assert!(o.stderr.contains("ruleforge: warning: "), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("ruleforge.toml: [trust] threshold = 2 requires every listed key"),
        "{}",
        o.stderr
    );
    // More than the keys listed: never reachable.
    let o = lint(3);
    assert_eq!(o.code, 1, "{}", o.text());
    assert!(o.stderr.contains("ruleforge: error: "), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("ruleforge.toml: [trust] threshold = 3 cannot be met"),
        "{}",
        o.stderr
    );
    repo.write(
        "ruleforge.toml",
        "[trust]\npublic-keys = [\"keys/gone.pub\"]\n",
    );
    let o = run(rf(repo.path(), repo.path()).arg("lint"));
    assert_eq!(o.code, 1, "{}", o.text());
    assert!(
        o.stderr
            .contains("public-keys[0] `keys/gone.pub`: cannot read"),
        "{}",
        o.stderr
    );
}
