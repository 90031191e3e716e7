//! `ruleforge keygen`, `bundle` and `verify` on temporary git repositories, with the real
//! binary; plus the library verification API.

mod common;

use assert_cmd::Command;
use common::{GitRepo, SIGMA_WHOAMI};
use ruleforge::bundle::{self, sign, TrustedKey, VerifyError, VerifyOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const HASH_RULE: &str = r#"# yaml-language-server: $schema=../schemas/rule.schema.json
id: 8f3e2a4c-1b5d-4e6f-9a7b-0c1d2e3f4a5b
title: SUNBURST backdoored DLL by hash
status: stable
severity: critical
confidence: high
tlp: clear
author: ruleforge tests
created: 2020-12-13
modified: 2021-01-05
description: |
  Trojanized SolarWinds.Orion.Core.BusinessLayer.dll carrying the SUNBURST backdoor,
  as published in the vendor advisories.
references:
  - https://www.mandiant.com/resources/blog/evasive-attacker-leverages-solarwinds-supply-chain-compromises-with-sunburst-backdoor
tags:
  - malware.sunburst
  - attack.t1195.002
indicators:
  dll_hash:
    sha256:
      - CE77D116A074DAB7A22A0FD4F2C1AB475F16EEC42E1DED3C0B0AA8211FE858D6
      - 32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77
condition: dll_hash
tests:
  - name: SUNBURST DLL by hash
    expect: match
    event:
      file.hash.sha256: 32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77
  - name: other file
    expect: no_match
    event:
      file.hash.sha256: '0000000000000000000000000000000000000000000000000000000000000001'
"#;

const DOMAIN_RULE: &str = r#"# yaml-language-server: $schema=../schemas/rule.schema.json
id: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d
title: SUNBURST command and control domain
status: test
severity: high
author: ruleforge tests
created: 2020-12-14
modified: 2020-12-15
expires: 2030-01-01
description: |
  DNS lookups of the SUNBURST domain generation algorithm parent domain used for
  command and control.
tags:
  - malware.sunburst
indicators:
  c2:
    domain:
      - '*.avsvmcloud.com'
      - FreeScanOnline.com
    ip:
      - 13.59.205.66
"#;

const DEPRECATED_RULE: &str = r#"# yaml-language-server: $schema=../schemas/rule.schema.json
id: 2b3c4d5e-6f70-4b8c-9d0e-1f2a3b4c5d6e
title: Retired SUNBURST staging domain
status: deprecated
severity: low
author: ruleforge tests
created: 2020-12-14
modified: 2021-02-01
description: |
  A SUNBURST staging domain that has since been sinkholed; kept for history and
  superseded by the command and control rule.
related:
  - id: 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d
    type: supersedes
indicators:
  staging:
    domain:
      - databasegalore.com
"#;

/// 2024-06-01T10:00:00Z written with a +02:00 offset: the bundle must use UTC.
const DATE1: &str = "2024-06-01T12:00:00+02:00";
const VERSION1: u64 = 20240601100000;
const DATE2: &str = "2024-06-02T08:30:00+00:00";
const VERSION2: u64 = 20240602083000;

/// A repository holding the three SUNBURST rules and a README, committed at DATE1.
fn sunburst_repo() -> GitRepo {
    let r = GitRepo::new();
    r.write("rules/sunburst-dll-hash.yml", HASH_RULE);
    r.write("rules/sunburst-c2-domain.yml", DOMAIN_RULE);
    r.write("rules/sunburst-staging-domain.yml", DEPRECATED_RULE);
    r.write("README.md", "not a rule\n");
    r.commit_at("initial rules", DATE1);
    r
}

fn rf(dir: &Path) -> Command {
    let mut c = common::ruleforge(dir);
    c.env_remove("RULEFORGE_KEY_PASSWORD");
    c
}

/// An unprotected key pair written to `dir`: (secret key path, public key path).
fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let k = sign::generate(None).unwrap();
    let sk = dir.join(format!("{name}.key"));
    let pk = dir.join(format!("{name}.pub"));
    std::fs::write(&sk, &k.secret_key_text).unwrap();
    std::fs::write(&pk, &k.public_key_text).unwrap();
    (sk, pk)
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap();
    Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `ruleforge bundle --out OUT --secret-key SK`, run in `dir`.
fn bundle_to(
    dir: &Path,
    out: impl AsRef<std::ffi::OsStr>,
    sk: impl AsRef<std::ffi::OsStr>,
) -> Output {
    run(rf(dir)
        .args(["bundle", "--out"])
        .arg(out)
        .arg("--secret-key")
        .arg(sk))
}

/// Builds a signed bundle of HEAD into `out`; returns the archive path.
fn build_signed(repo: &GitRepo, out: &Path, sk: &Path) -> PathBuf {
    let o = bundle_to(repo.path(), out, sk);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let line = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("bundle "))
        .expect("bundle path printed");
    PathBuf::from(line.trim())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn sig_path(archive: &Path) -> PathBuf {
    PathBuf::from(format!("{}.minisig", archive.display()))
}

fn verify_cli(archive: &Path, pk: &Path, extra: &[&str]) -> Output {
    run(rf(archive.parent().unwrap())
        .arg("verify")
        .arg(archive)
        .arg("--public-key")
        .arg(pk)
        .args(["--now", "2024-07-01T00:00:00Z"])
        .args(extra))
}

/// Re-signs `bytes` with `sk` as a bundle of the test, writing archive and signature.
fn write_signed(dir: &Path, name: &str, bytes: &[u8], sk: &Path) -> PathBuf {
    let key = sign::load_secret_key(
        &std::fs::read_to_string(sk).unwrap(),
        "test key",
        &mut || unreachable!(),
    )
    .unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::write(
        sig_path(&p),
        sign::sign(&key, bytes, "crafted by a test").unwrap(),
    )
    .unwrap();
    p
}

/// The members of a bundle archive.
fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    bundle::archive::read(bytes, 1 << 30).unwrap()
}

fn manifest_of(bytes: &[u8]) -> serde_json::Value {
    let m = unpack(bytes);
    serde_json::from_slice(&m.iter().find(|(p, _)| p == "manifest.json").unwrap().1).unwrap()
}

/// A tar.gz from raw (name bytes, data) members; names are written into the header
/// as-is (no path checks), so tests can build hostile archives.
fn raw_targz(members: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.as_mut_bytes()[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        tar.extend_from_slice(h.as_bytes());
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

// ---------------------------------------------------------------------------------------
// keygen

#[test]
fn keygen_writes_minisign_keys_with_safe_modes_and_refuses_to_overwrite() {
    let dir = TempDir::new().unwrap();
    let sk = dir.path().join("bundle.key");
    let pk = dir.path().join("bundle.pub");
    let o = run(rf(dir.path())
        .args(["keygen", "--no-password", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("NOT password-protected"), "{}", o.stdout);
    let sk_text = std::fs::read_to_string(&sk).unwrap();
    let pk_text = std::fs::read_to_string(&pk).unwrap();
    assert!(pk_text.starts_with("untrusted comment: minisign public key "));
    assert!(pk_text.lines().nth(1).unwrap().starts_with("RW"));
    let key_id = TrustedKey::parse(&pk_text).unwrap().key_id().to_string();
    assert!(o.stdout.contains(&key_id), "{}", o.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sk).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "secret key mode {mode:o}");
    }
    assert!(!sign::is_protected(&sk_text, "k").unwrap());

    // Refuses to overwrite either file, and leaves both untouched.
    let o = run(rf(dir.path())
        .args(["keygen", "--no-password", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(dir.path().join("other.pub")));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&sk).unwrap(), sk_text);
    assert!(!dir.path().join("other.pub").exists());

    // --force replaces both; the secret key is 0600 even when the old file was not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sk, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let o = run(rf(dir.path())
        .args(["keygen", "--no-password", "--force", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_ne!(std::fs::read_to_string(&sk).unwrap(), sk_text);
    assert_ne!(std::fs::read_to_string(&pk).unwrap(), pk_text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sk).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // No temporary files left behind.
    assert_eq!(files_in(dir.path()), vec!["bundle.key", "bundle.pub"]);

    // Without --no-password and without a terminal or RULEFORGE_KEY_PASSWORD: a clear error.
    let o = run(rf(dir.path())
        .args(["keygen", "--secret-key", "x.key", "--public-key", "x.pub"])
        .write_stdin(""));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("RULEFORGE_KEY_PASSWORD"), "{}", o.stderr);
    assert!(!dir.path().join("x.key").exists());
}

/// The one password-protected key test (scrypt is slow): keygen with the password from the
/// environment, sign a bundle with it, reject a wrong password without writing anything.
#[test]
fn protected_key_round_trip() {
    let repo = sunburst_repo();
    let keys = TempDir::new().unwrap();
    let sk = keys.path().join("p.key");
    let pk = keys.path().join("p.pub");
    let o = run(rf(keys.path())
        .env("RULEFORGE_KEY_PASSWORD", "correct horse")
        .args(["keygen", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("password-protected"), "{}", o.stdout);
    assert!(sign::is_protected(&std::fs::read_to_string(&sk).unwrap(), "k").unwrap());

    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path())
        .env("RULEFORGE_KEY_PASSWORD", "wrong")
        .args(["bundle", "--out"])
        .arg(out.path())
        .arg("--secret-key")
        .arg(&sk));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("wrong password"), "{}", o.stderr);
    assert!(files_in(out.path()).is_empty());

    let o = run(rf(repo.path())
        .env("RULEFORGE_KEY_PASSWORD", "correct horse")
        .args(["bundle", "--out"])
        .arg(out.path())
        .arg("--secret-key")
        .arg(&sk));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let archive = out
        .path()
        .join(format!("ruleforge-rules-{VERSION1}.tar.gz"));
    let v = verify_cli(&archive, &pk, &[]);
    assert_eq!(v.code, 0, "{}", v.stderr);
}

// ---------------------------------------------------------------------------------------
// bundle + verify

#[test]
fn bundle_and_verify_round_trip() {
    let repo = sunburst_repo();
    let keys = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let out = TempDir::new().unwrap();
    let o = bundle_to(repo.path(), out.path(), &sk);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let name = format!("ruleforge-rules-{VERSION1}.tar.gz");
    assert_eq!(
        files_in(out.path()),
        vec![name.clone(), format!("{name}.minisig")]
    );
    let archive = out.path().join(&name);
    let bytes = std::fs::read(&archive).unwrap();
    // The printed SHA-256 is the archive's.
    use sha2::Digest;
    let sha = bundle::verify::hex(&sha2::Sha256::digest(&bytes));
    assert!(
        o.stdout.contains(&format!("sha256     {sha}")),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains(&commit), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("excluded   native 1 by status, 0 expired; Sigma 0 by status"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("rules      2 native rules, 0 Sigma rules"),
        "{}",
        o.stdout
    );

    // Archive layout: manifest first, then rules, then the (here empty) Sigma documents.
    let members = unpack(&bytes);
    let names: Vec<_> = members.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, vec!["manifest.json", "rules.json", "sigma.json"]);
    assert_eq!(members[2].1, b"{\"format_version\":3,\"rules\":[]}\n");
    assert_schema_valid(&bytes);
    let m = manifest_of(&bytes);
    assert_eq!(m["format"], "ruleforge-bundle");
    assert_eq!(m["format_version"], 3);
    assert_eq!(m["rules"]["native"]["count"], 2);
    assert_eq!(m["rules"]["sigma"]["count"], 0);
    assert_eq!(m["name"], "ruleforge-rules");
    assert_eq!(m["version"], VERSION1);
    assert_eq!(m["commit"], commit.as_str());
    assert_eq!(m["created"], "2024-06-01T10:00:00Z");
    assert_eq!(m["expires"], "2024-08-30T10:00:00Z");
    assert_eq!(m["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["counts"]["rules"], 2);
    assert_eq!(m["counts"]["indicators"], 5);
    assert_eq!(m["counts"]["indicators_by_type"]["sha256"], 2);
    assert_eq!(m["counts"]["rules_by_status"]["stable"], 1);
    assert!(bundle::manifest_validator().is_valid(&m));

    // Rules: sorted by id, canonical values, deprecated rule left out.
    let rules: serde_json::Value = serde_json::from_slice(&members[1].1).unwrap();
    assert!(bundle::rules_validator().is_valid(&rules));
    let ids: Vec<_> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
            "8f3e2a4c-1b5d-4e6f-9a7b-0c1d2e3f4a5b"
        ]
    );
    assert_eq!(
        rules["rules"][0]["groups"]["c2"]["domain"],
        serde_json::json!(["*.avsvmcloud.com", "freescanonline.com"])
    );
    assert_eq!(
        rules["rules"][1]["groups"]["dll_hash"]["sha256"][1],
        "ce77d116a074dab7a22a0fd4f2c1ab475f16eec42e1ded3c0b0aa8211fe858d6"
    );
    assert_eq!(
        rules["rules"][1]["tags"],
        serde_json::json!(["attack.t1195.002", "malware.sunburst"])
    );
    assert_eq!(rules["rules"][0]["condition"], "1 of them");
    assert_eq!(rules["types"]["ip"]["matching"], "cidr");
    assert_eq!(
        rules["types"]["domain"]["ecs_fields"][0],
        "dns.question.name"
    );

    // The signature's trusted comment carries name, version, commit and expiry.
    let sig = std::fs::read_to_string(sig_path(&archive)).unwrap();
    let expected = format!(
        "trusted comment: ruleforge-bundle name=ruleforge-rules version={VERSION1} commit={commit} expires=2024-08-30T10:00:00Z"
    );
    assert!(sig.lines().any(|l| l == expected), "{sig}");

    let v = verify_cli(&archive, &pk, &[]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    for want in [
        "name       ruleforge-rules".to_string(),
        format!("version    {VERSION1}"),
        format!("commit     {commit}"),
        "expires    2024-08-30T10:00:00Z".to_string(),
        "rules      2 native rules, 0 Sigma rules".to_string(),
        "native     2 (stable 1, test 1)".to_string(),
        "sigma      0\n".to_string(),
        "indicators 5 (domain 2, ip 1, sha256 2)".to_string(),
    ] {
        assert!(v.stdout.contains(&want), "{want}\n{}", v.stdout);
    }
    // Key rotation: several trusted keys, the signing one among them.
    let (_, other_pk) = keypair(keys.path(), "other");
    let v = verify_cli(&archive, &other_pk, &["--public-key", pk.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    // --signature names another signature file.
    let moved = keys.path().join("sig.minisig");
    std::fs::copy(sig_path(&archive), &moved).unwrap();
    std::fs::remove_file(sig_path(&archive)).unwrap();
    let v = verify_cli(&archive, &pk, &[]);
    assert_eq!(v.code, 2, "missing default signature file");
    assert!(v.stderr.contains(".minisig"), "{}", v.stderr);
    let v = verify_cli(&archive, &pk, &["--signature", moved.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}", v.stderr);
}

#[test]
fn bundles_are_reproducible_across_dirs_tz_locale_umask_and_runs() {
    let repo = sunburst_repo();
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    // A second clone in another folder: same commit, different paths and file times.
    let clone = TempDir::new().unwrap();
    common::git::git(
        clone.path(),
        &["clone", "-q", repo.path().to_str().unwrap(), "c"],
    );
    let clone_dir = clone.path().join("c");
    let build = |dir: &Path, out: &Path, tz: &str, lc: &str, umask: &str| {
        let bin = assert_cmd::cargo::cargo_bin("ruleforge");
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" bundle --out \"$1\"",))
            .arg(&bin)
            .arg(out)
            .current_dir(dir)
            .env("TZ", tz)
            .env("LC_ALL", lc)
            .env("LANG", lc)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(out.join(format!("ruleforge-rules-{VERSION1}.tar.gz"))).unwrap()
    };
    let first = build(repo.path(), a.path(), "UTC", "C", "022");
    let second = build(
        &clone_dir,
        b.path(),
        "Pacific/Chatham",
        "de_DE.UTF-8",
        "077",
    );
    assert_eq!(first, second, "two builds of one commit differ");
    // Rebuilding over an existing bundle gives the same bytes again.
    let third = build(&clone_dir, b.path(), "Asia/Kolkata", "fr_FR", "002");
    assert_eq!(first, third);
    // Signing does not change the archive.
    let keys = TempDir::new().unwrap();
    let (sk, _) = keypair(keys.path(), "k");
    let signed = TempDir::new().unwrap();
    let p = build_signed(&repo, signed.path(), &sk);
    assert_eq!(std::fs::read(p).unwrap(), first);
    // gzip header: no mtime, no name, xfl 0, OS "unknown".
    assert_eq!(&first[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
}

#[test]
fn bundle_reads_the_revision_not_the_working_tree() {
    let repo = sunburst_repo();
    let out1 = TempDir::new().unwrap();
    let out2 = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out1.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let name = format!("ruleforge-rules-{VERSION1}.tar.gz");
    let before = std::fs::read(out1.path().join(&name)).unwrap();

    // Uncommitted edits, an untracked rule, a broken rule and an uncommitted config.
    repo.write(
        "rules/sunburst-c2-domain.yml",
        &DOMAIN_RULE.replace("13.59.205.66", "13.59.205.67"),
    );
    repo.write("rules/broken.yml", "id: [unclosed\n");
    repo.write("ruleforge.toml", "[bundle]\nname = \"worktree-name\"\n");
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out2.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(files_in(out2.path()), vec![name.clone()]);
    assert_eq!(std::fs::read(out2.path().join(&name)).unwrap(), before);

    // After committing (without the broken file), HEAD gives a new version; --rev HEAD~1
    // still gives the old bytes.
    std::fs::remove_file(repo.path().join("rules/broken.yml")).unwrap();
    std::fs::remove_file(repo.path().join("ruleforge.toml")).unwrap();
    repo.commit_at("move the c2 address", DATE2);
    let out3 = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out3.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let new = std::fs::read(
        out3.path()
            .join(format!("ruleforge-rules-{VERSION2}.tar.gz")),
    )
    .unwrap();
    let rules = &unpack(&new)[1].1;
    assert!(String::from_utf8_lossy(rules).contains("13.59.205.67"));
    let out4 = TempDir::new().unwrap();
    let o = run(rf(repo.path())
        .args(["bundle", "--rev", "HEAD~1", "--out"])
        .arg(out4.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read(out4.path().join(&name)).unwrap(), before);
}

/// `bundle` trusts git's index for a working-tree file as `git status` does, except where a
/// checkout conversion may have applied: a file checked out with an expanded `$Id$` under
/// attributes since deleted is, for `git status`, unchanged; the bundle still holds the
/// committed rule.
#[test]
fn bundle_holds_the_committed_bytes_whatever_the_index_vouches_for() {
    let repo = GitRepo::new();
    let rule = "rules/sunburst-c2-domain.yml";
    let text = DOMAIN_RULE.replace(
        "title: SUNBURST command and control domain",
        "title: 'SUNBURST command and control domain ($Id$)'",
    );
    repo.write(rule, &text);
    repo.write("rules/sunburst-dll-hash.yml", HASH_RULE);
    repo.commit_at("initial rules", DATE1);
    let bundle = |out: &Path| {
        let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out));
        assert_eq!(o.code, 0, "{}", o.stderr);
        std::fs::read(out.join(format!("ruleforge-rules-{VERSION1}.tar.gz"))).unwrap()
    };
    // Let the index record every file after the second it was written: no entry is racily
    // clean, so the index is a proof for each.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    repo.git(&["update-index", "--refresh"]);
    let out1 = TempDir::new().unwrap();
    let before = bundle(out1.path());
    assert!(String::from_utf8_lossy(&unpack(&before)[1].1).contains("($Id$)"));

    repo.write(".gitattributes", "*.yml ident\n");
    std::fs::remove_file(repo.path().join(rule)).unwrap();
    repo.git(&["checkout", "--", rule]);
    assert!(
        repo.read(rule).contains("($Id: "),
        "checked out with $Id$ expanded"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    repo.git(&["update-index", "--refresh"]);
    let out2 = TempDir::new().unwrap();
    assert!(bundle(out2.path()) == before, "attributes apply");

    std::fs::remove_file(repo.path().join(".gitattributes")).unwrap();
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "git status trusts the index"
    );
    let out3 = TempDir::new().unwrap();
    assert!(bundle(out3.path()) == before, "the attributes are gone");
}

#[test]
fn bundle_uses_the_config_committed_at_the_revision() {
    let repo = sunburst_repo();
    repo.write(
        "ruleforge.toml",
        "[bundle]\nname = \"acme-iocs\"\nstatuses = [\"stable\", \"deprecated\"]\nvalidity-days = 7\n",
    );
    repo.commit_at("config", DATE2);
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bytes = std::fs::read(out.path().join(format!("acme-iocs-{VERSION2}.tar.gz"))).unwrap();
    let m = manifest_of(&bytes);
    assert_eq!(m["name"], "acme-iocs");
    assert_eq!(m["expires"], "2024-06-09T08:30:00Z");
    assert_eq!(
        m["counts"]["rules_by_status"],
        serde_json::json!({"deprecated": 1, "stable": 1})
    );
    assert!(
        o.stdout.contains("excluded   native 1 by status"),
        "{}",
        o.stdout
    );
}

#[test]
fn ruleforge_root_in_a_subfolder_and_empty_bundles() {
    let dir = GitRepo::new();
    let sub = dir.path().join("detections");
    std::fs::create_dir_all(sub.join("iocs")).unwrap();
    std::fs::write(
        sub.join("ruleforge.toml"),
        "[lint]\nroots = [\"iocs\"]\n[bundle]\nname = \"sub\"\n",
    )
    .unwrap();
    std::fs::write(sub.join("iocs/sunburst-dll-hash.yml"), HASH_RULE).unwrap();
    // A rule outside the configured roots is not bundled.
    std::fs::write(dir.path().join("stray.yml"), DOMAIN_RULE).unwrap();
    dir.commit_at("sub", DATE1);
    let out = TempDir::new().unwrap();
    let o = run(rf(&sub).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("config     "), "{}", o.stdout);
    let bytes = std::fs::read(out.path().join(format!("sub-{VERSION1}.tar.gz"))).unwrap();
    assert_eq!(manifest_of(&bytes)["counts"]["rules"], 1);

    // Only deprecated rules: an empty bundle is built, with a warning.
    std::fs::write(
        sub.join("ruleforge.toml"),
        "[lint]\nroots = [\"iocs\"]\n[bundle]\nname = \"sub\"\nstatuses = [\"deprecated\"]\n",
    )
    .unwrap();
    dir.commit_at("nothing", DATE2);
    let o = run(rf(&sub).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("holds no rules"), "{}", o.stderr);
    let bytes = std::fs::read(out.path().join(format!("sub-{VERSION2}.tar.gz"))).unwrap();
    assert_eq!(manifest_of(&bytes)["counts"]["rules"], 0);
}

#[test]
fn expired_rules_are_judged_at_the_commit_date() {
    let repo = sunburst_repo();
    // Expired before the commit date: left out (by default) ...
    repo.write(
        "rules/sunburst-c2-domain.yml",
        &DOMAIN_RULE.replace("expires: 2030-01-01", "expires: 2024-05-01"),
    );
    repo.commit_at("expire", DATE2);
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("1 expired"), "{}", o.stdout);
    let bytes = std::fs::read(
        out.path()
            .join(format!("ruleforge-rules-{VERSION2}.tar.gz")),
    )
    .unwrap();
    assert_eq!(manifest_of(&bytes)["counts"]["rules"], 1);
    // ... and shipped with include-expired.
    repo.write("ruleforge.toml", "[bundle]\ninclude-expired = true\n");
    repo.commit_at("ship expired", "2024-06-03T00:00:00+00:00");
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bytes = std::fs::read(out.path().join("ruleforge-rules-20240603000000.tar.gz")).unwrap();
    assert_eq!(manifest_of(&bytes)["counts"]["rules"], 2);
}

#[test]
fn bundle_refuses_lint_errors_at_the_revision() {
    let repo = sunburst_repo();
    repo.write(
        "rules/sunburst-dll-hash.yml",
        &HASH_RULE.replace(
            "      - 32519b85c0b422e4656de6e6c41878e95fd95026267daab4215ee59c107d6c77\ncondition",
            "      - 32519b85c0b422e4656de6e6c41878e95fd950\ncondition",
        ),
    );
    repo.commit_at("bad hash", DATE2);
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("rules/sunburst-dll-hash.yml:"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("RF201"), "{}", o.stderr);
    assert!(o.stderr.contains("no bundle built"), "{}", o.stderr);
    assert!(files_in(out.path()).is_empty());
    // The previous commit is still fine.
    let o = run(rf(repo.path())
        .args(["bundle", "--rev", "HEAD~1", "--out"])
        .arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn missing_revision_is_exit_2() {
    let repo = sunburst_repo();
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path())
        .args(["bundle", "--rev", "no-such-tag", "--out"])
        .arg(out.path()));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown revision `no-such-tag`"),
        "{}",
        o.stderr
    );
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn unwritable_output_is_exit_2_without_partial_files() {
    let repo = sunburst_repo();
    let keys = TempDir::new().unwrap();
    let (sk, _) = keypair(keys.path(), "k");
    // The output folder cannot be created (a file is in the way).
    let blocker = keys.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let o = bundle_to(repo.path(), blocker.join("out"), &sk);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cannot create the output folder"),
        "{}",
        o.stderr
    );

    // The bundle's path is taken by a folder: nothing else is left behind.
    let out = TempDir::new().unwrap();
    let name = format!("ruleforge-rules-{VERSION1}.tar.gz");
    std::fs::create_dir(out.path().join(&name)).unwrap();
    let o = bundle_to(repo.path(), out.path(), &sk);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains(&name), "{}", o.stderr);
    assert_eq!(files_in(out.path()), vec![name.clone()]);

    // The signature's path is taken: the archive written just before is removed again.
    std::fs::remove_dir(out.path().join(&name)).unwrap();
    std::fs::create_dir(out.path().join(format!("{name}.minisig"))).unwrap();
    let o = bundle_to(repo.path(), out.path(), &sk);
    assert_eq!(o.code, 2);
    assert_eq!(files_in(out.path()), vec![format!("{name}.minisig")]);

    // A read-only folder (only meaningful when not running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = TempDir::new().unwrap();
        std::fs::set_permissions(ro.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(ro.path().join("probe"), "x").is_err() {
            let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(ro.path()));
            assert_eq!(o.code, 2, "{}", o.stderr);
            assert!(files_in(ro.path()).is_empty());
        }
        std::fs::set_permissions(ro.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn secret_key_from_environment_and_bad_secret_keys() {
    let repo = sunburst_repo();
    let keys = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path())
        .env("BUNDLE_SIGNING_KEY", std::fs::read_to_string(&sk).unwrap())
        .args(["bundle", "--secret-key-env", "BUNDLE_SIGNING_KEY", "--out"])
        .arg(out.path()));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let archive = out
        .path()
        .join(format!("ruleforge-rules-{VERSION1}.tar.gz"));
    assert_eq!(verify_cli(&archive, &pk, &[]).code, 0);

    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path())
        .args(["bundle", "--secret-key-env", "NOT_SET_ANYWHERE", "--out"])
        .arg(out.path()));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("NOT_SET_ANYWHERE"), "{}", o.stderr);
    assert!(o.stderr.contains("not set"), "{}", o.stderr);

    // A malformed key file, and a public key given as the secret key.
    std::fs::write(
        keys.path().join("bad.key"),
        "untrusted comment: x\nRWQAAAA=\n",
    )
    .unwrap();
    for (file, msg) in [
        ("bad.key", "not a minisign secret key"),
        ("k.pub", "public key"),
    ] {
        let o = run(rf(repo.path())
            .args(["bundle", "--out"])
            .arg(out.path())
            .arg("--secret-key")
            .arg(keys.path().join(file)));
        assert_eq!(o.code, 2, "{file}");
        assert!(o.stderr.contains(msg), "{file}: {}", o.stderr);
        assert!(o.stderr.contains(file), "{}", o.stderr);
    }
    assert!(files_in(out.path()).is_empty());
}

// ---------------------------------------------------------------------------------------
// rejections

struct Fixture {
    repo: GitRepo,
    keys: TempDir,
    out: TempDir,
    sk: PathBuf,
    pk: PathBuf,
    archive: PathBuf,
    bytes: Vec<u8>,
}

fn fixture() -> Fixture {
    let repo = sunburst_repo();
    let keys = TempDir::new().unwrap();
    let out = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let archive = build_signed(&repo, out.path(), &sk);
    let bytes = std::fs::read(&archive).unwrap();
    Fixture {
        repo,
        keys,
        out,
        sk,
        pk,
        archive,
        bytes,
    }
}

fn assert_rejected(o: &Output, code: i32, name: &str, text: &str) {
    assert_eq!(o.code, code, "{name}: {}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains(&format!("bundle rejected [{name}]")),
        "{name}: {}",
        o.stderr
    );
    assert!(o.stderr.contains(text), "{name}: {text}: {}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
}

#[test]
fn tampering_wrong_keys_and_bad_signatures_are_rejected() {
    let f = fixture();
    // One flipped byte anywhere: bad signature (nothing is decompressed).
    for at in [0, f.bytes.len() / 2, f.bytes.len() - 1] {
        let mut b = f.bytes.clone();
        b[at] ^= 0x01;
        let p = f.out.path().join("tampered.tar.gz");
        std::fs::write(&p, &b).unwrap();
        std::fs::copy(sig_path(&f.archive), sig_path(&p)).unwrap();
        assert_rejected(
            &verify_cli(&p, &f.pk, &[]),
            3,
            "bad-signature",
            "bad signature",
        );
    }
    // A truncated archive with its original signature.
    let p = f.out.path().join("truncated.tar.gz");
    std::fs::write(&p, &f.bytes[..f.bytes.len() - 10]).unwrap();
    std::fs::copy(sig_path(&f.archive), sig_path(&p)).unwrap();
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        3,
        "bad-signature",
        "bad signature",
    );

    // A signature for another file, by the same key.
    let other = write_signed(f.out.path(), "other.bin", b"something else", &f.sk);
    let o = verify_cli(
        &f.archive,
        &f.pk,
        &["--signature", sig_path(&other).to_str().unwrap()],
    );
    assert_rejected(&o, 3, "bad-signature", "signature for another file");

    // The wrong key.
    let (_, wrong_pk) = keypair(f.keys.path(), "wrong");
    let o = verify_cli(&f.archive, &wrong_pk, &[]);
    assert_rejected(&o, 4, "unknown-key", "signed by unknown key");

    // A malformed signature file.
    let bad_sig = f.keys.path().join("bad.minisig");
    std::fs::write(&bad_sig, "untrusted comment: hi\nnot base64\n").unwrap();
    let o = verify_cli(
        &f.archive,
        &f.pk,
        &["--signature", bad_sig.to_str().unwrap()],
    );
    assert_rejected(&o, 3, "malformed-signature", "not a minisign signature");

    // A malformed public key file: a usage error (exit 2) naming the file.
    let bad_pk = f.keys.path().join("bad.pub");
    std::fs::write(&bad_pk, "untrusted comment: minisign public key\nRWQ!!!\n").unwrap();
    let o = verify_cli(&f.archive, &bad_pk, &[]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("bad.pub: not a minisign public key"),
        "{}",
        o.stderr
    );
    // A secret key given as a public key.
    let o = verify_cli(&f.archive, &f.sk, &[]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("SECRET key"), "{}", o.stderr);
}

#[test]
fn expiry_and_rollback_are_rejected() {
    let f = fixture();
    let o = run(rf(f.out.path())
        .arg("verify")
        .arg(&f.archive)
        .arg("--public-key")
        .arg(&f.pk)
        .args(["--now", "2024-08-30T10:00:01Z"]));
    assert_rejected(&o, 7, "expired", "bundle expired at 2024-08-30T10:00:00Z");
    // A date alone means midnight UTC; default "now" (today) is long past this bundle.
    let o = run(rf(f.out.path())
        .arg("verify")
        .arg(&f.archive)
        .arg("--public-key")
        .arg(&f.pk));
    assert_rejected(&o, 7, "expired", "expired");
    let o = verify_cli(
        &f.archive,
        &f.pk,
        &["--current-version", &(VERSION1 + 1).to_string()],
    );
    assert_rejected(&o, 8, "rollback", &format!("version {VERSION1} is older"));
    // The same version is not a rollback.
    let o = verify_cli(
        &f.archive,
        &f.pk,
        &["--current-version", &VERSION1.to_string()],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A bad --now is a usage error.
    let o = verify_cli(&f.archive, &f.pk, &["--now", "tomorrow"]);
    assert_eq!(o.code, 2);
}

#[test]
fn crafted_archives_are_rejected_even_when_signed() {
    let f = fixture();
    let members = unpack(&f.bytes);
    let manifest = &members[0].1;
    let rules = &members[1].1;
    let sigma = &members[2].1;
    let dir = f.out.path();

    // An extra member the manifest does not list.
    let b = bundle::archive::write(
        &[
            ("manifest.json", manifest),
            ("rules.json", rules),
            ("sigma.json", sigma),
            ("extra.json", b"{}"),
        ],
        0,
    )
    .unwrap();
    let p = write_signed(dir, "unlisted.tar.gz", &b, &f.sk);
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        6,
        "unlisted-member",
        "`extra.json`",
    );

    // rules.json changed after the manifest was written (same size, other bytes).
    let mut changed = rules.clone();
    let pos = changed.windows(4).position(|w| w == b"high").unwrap();
    changed[pos..pos + 4].copy_from_slice(b"HIGH");
    let b = bundle::archive::write(&[("manifest.json", manifest), ("rules.json", &changed)], 0)
        .unwrap();
    let p = write_signed(dir, "hash.tar.gz", &b, &f.sk);
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        6,
        "hash-mismatch",
        "has SHA-256",
    );

    // A listed member missing.
    let b = bundle::archive::write(&[("manifest.json", manifest)], 0).unwrap();
    let p = write_signed(dir, "missing.tar.gz", &b, &f.sk);
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        6,
        "missing-member",
        "`rules.json`",
    );

    // A manifest that breaks its schema.
    let mut m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    m["version"] = serde_json::json!("soon");
    let b = bundle::archive::write(
        &[
            ("manifest.json", &serde_json::to_vec(&m).unwrap()),
            ("rules.json", rules),
        ],
        0,
    )
    .unwrap();
    let p = write_signed(dir, "schema.tar.gz", &b, &f.sk);
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        6,
        "invalid-manifest",
        "/version",
    );

    // Path traversal and absolute paths.
    for (name, bad) in [
        ("traversal.tar.gz", &b"../evil.json"[..]),
        ("absolute.tar.gz", &b"/etc/evil.json"[..]),
    ] {
        let b = raw_targz(&[(b"manifest.json", manifest), (bad, b"{}")]);
        let p = write_signed(dir, name, &b, &f.sk);
        let o = verify_cli(&p, &f.pk, &[]);
        assert_rejected(&o, 5, "unsafe-path", std::str::from_utf8(bad).unwrap());
    }

    // A truncated archive, re-signed: corrupt, not a panic.
    let p = write_signed(dir, "cut.tar.gz", &f.bytes[..f.bytes.len() * 2 / 3], &f.sk);
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        5,
        "corrupt-archive",
        "corrupt archive",
    );
    // Not gzip at all.
    let p = write_signed(
        dir,
        "garbage.tar.gz",
        b"PK\x03\x04 definitely not gzip",
        &f.sk,
    );
    assert_rejected(&verify_cli(&p, &f.pk, &[]), 5, "corrupt-archive", "gzip");

    // A signature whose trusted comment names another version.
    let key = sign::load_secret_key(
        &std::fs::read_to_string(&f.sk).unwrap(),
        "k",
        &mut || unreachable!(),
    )
    .unwrap();
    let p = dir.join("comment.tar.gz");
    std::fs::write(&p, &f.bytes).unwrap();
    let sig = sign::sign(
        &key,
        &f.bytes,
        "ruleforge-bundle name=ruleforge-rules version=29990101000000 commit=x expires=y",
    )
    .unwrap();
    std::fs::write(sig_path(&p), sig).unwrap();
    assert_rejected(
        &verify_cli(&p, &f.pk, &[]),
        3,
        "comment-mismatch",
        "version=29990101000000",
    );
}

#[test]
fn decompression_bombs_are_bounded() {
    let f = fixture();
    // 300 MiB of zeros in one member: about 300 KiB compressed.
    let size: u64 = 300 << 20;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut h = tar::Header::new_ustar();
    h.set_path("rules.json").unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    gz.write_all(h.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(size >> 20) {
        gz.write_all(&zeros).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let p = write_signed(f.out.path(), "bomb.tar.gz", &bomb, &f.sk);
    let o = verify_cli(&p, &f.pk, &[]);
    assert_rejected(&o, 5, "too-large", "decompression bomb");

    // A bomb that does not declare its size: zeros after the end of the tar.
    let members = unpack(&f.bytes);
    let mut tar = Vec::new();
    {
        let mut t = tar::Builder::new(&mut tar);
        for (p, d) in &members {
            let mut h = tar::Header::new_ustar();
            h.set_path(p).unwrap();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append(&h, &d[..]).unwrap();
        }
        t.finish().unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    let opts = VerifyOptions {
        now: bundle::parse_time("2024-07-01").unwrap(),
        max_unpacked: 64 << 20,
        ..Default::default()
    };
    let key = sign::load_secret_key(
        &std::fs::read_to_string(&f.sk).unwrap(),
        "k",
        &mut || unreachable!(),
    )
    .unwrap();
    let sig = sign::sign(&key, &bomb, "bomb").unwrap();
    let pk = TrustedKey::parse(&std::fs::read_to_string(&f.pk).unwrap()).unwrap();
    assert_eq!(
        bundle::verify(&bomb, &sig, &[pk], &opts).unwrap_err(),
        VerifyError::TooLarge { limit: 64 << 20 }
    );
}

// ---------------------------------------------------------------------------------------
// library API

/// A scanner that depends on the `ruleforge-bundle` and `ruleforge-match` crates only: the
/// crate's verification (no JSON-schema engine) reads the tool's bundle as the tool does and
/// rejects what the tool rejects with the same codes, and the matcher fed the compiled rules
/// gives the verdicts of the YAML rules.
#[test]
fn scanner_crates_verify_and_match_like_the_tool() {
    use ruleforge::rule::RuleFile;
    use ruleforge::source::SourceFile;
    use ruleforge_match::{CompiledSet, Observable, RuleSpec};

    let f = fixture();
    let sig = std::fs::read_to_string(sig_path(&f.archive)).unwrap();
    let keys = [TrustedKey::parse(&std::fs::read_to_string(&f.pk).unwrap()).unwrap()];
    let opts = VerifyOptions {
        now: ruleforge_bundle::parse_time("2024-07-01").unwrap(),
        ..Default::default()
    };
    let tool = bundle::verify(&f.bytes, &sig, &keys, &opts).unwrap();
    let scanner = ruleforge_bundle::verify(&f.bytes, &sig, &keys, &opts).unwrap();
    assert_eq!(scanner.manifest, tool.manifest);
    assert_eq!(scanner.rules, tool.rules);
    assert_eq!(scanner.sigma, tool.sigma);
    assert_eq!(scanner.members, tool.members);
    assert_eq!(scanner.rules.rules.len(), 2);

    let mut tampered = f.bytes.clone();
    tampered[40] ^= 0xff;
    let rollback = VerifyOptions {
        current_version: Some(VERSION1 + 1),
        ..opts.clone()
    };
    for (bytes, opts, code) in [
        (&tampered, &opts, "bad-signature"),
        (&f.bytes, &rollback, "rollback"),
    ] {
        let by_tool = bundle::verify(bytes, &sig, &keys, opts).unwrap_err();
        let by_scanner = ruleforge_bundle::verify(bytes, &sig, &keys, opts).unwrap_err();
        assert_eq!(by_scanner, by_tool);
        assert_eq!(by_scanner.code(), code);
    }

    let compiled: Vec<RuleSpec> = scanner
        .rules
        .rules
        .iter()
        .map(RuleSpec::from_compiled)
        .collect();
    // The same rules from YAML, in the bundle's order (by id).
    let from_yaml: Vec<RuleSpec> = [
        ("rules/sunburst-c2-domain.yml", DOMAIN_RULE),
        ("rules/sunburst-dll-hash.yml", HASH_RULE),
    ]
    .into_iter()
    .map(|(path, text)| {
        let file = RuleFile::parse(SourceFile::new(path, text));
        RuleSpec::from(file.rule().expect("the rule parses"))
    })
    .collect();
    let field = |ty: &str| scanner.rules.types[ty].ecs_fields[0].clone();
    let (sha256, domain, ip) = (field("sha256"), field("domain"), field("ip"));
    let event = |values: &[(&str, &str)]| {
        let mut e = Observable::new();
        for (f, v) in values {
            e.push(f, *v);
        }
        e
    };
    let hash_id = "8f3e2a4c-1b5d-4e6f-9a7b-0c1d2e3f4a5b";
    let c2_id = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
    let cases = [
        (
            event(&[(
                &sha256,
                "CE77D116A074DAB7A22A0FD4F2C1AB475F16EEC42E1DED3C0B0AA8211FE858D6",
            )]),
            vec![hash_id],
        ),
        (
            event(&[(&domain, "x.avsvmcloud.com."), (&ip, "13.59.205.66")]),
            vec![c2_id],
        ),
        (event(&[(&domain, "freescanonline.com")]), vec![]),
        (event(&[(&sha256, &"0".repeat(64))]), vec![]),
    ];
    let (by_compiled, by_yaml) = (
        CompiledSet::new(&compiled).unwrap(),
        CompiledSet::new(&from_yaml).unwrap(),
    );
    for (e, want) in &cases {
        let ids = |set: &CompiledSet, specs: &[RuleSpec]| -> Vec<String> {
            set.matches(e)
                .iter()
                .map(|m| specs[m.rule].id.clone())
                .collect()
        };
        assert_eq!(ids(&by_compiled, &compiled), *want, "{e:?}");
        assert_eq!(ids(&by_yaml, &from_yaml), *want, "{e:?}");
    }
}

#[test]
fn library_verify_api() {
    let f = fixture();
    let sig = std::fs::read_to_string(sig_path(&f.archive)).unwrap();
    let pk = TrustedKey::parse(&std::fs::read_to_string(&f.pk).unwrap()).unwrap();
    // A bare base64 key line, as given to `minisign -P`, parses too.
    let line = std::fs::read_to_string(&f.pk)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(TrustedKey::parse(&line).unwrap().key_id(), pk.key_id());
    let opts = VerifyOptions {
        now: bundle::parse_time("2024-07-01").unwrap(),
        current_version: Some(VERSION1 - 1),
        ..Default::default()
    };
    let v = bundle::verify(&f.bytes, &sig, std::slice::from_ref(&pk), &opts).unwrap();
    assert_eq!(v.key_id, pk.key_id());
    assert_eq!(v.manifest.version, VERSION1);
    assert_eq!(v.manifest.name, "ruleforge-rules");
    assert_eq!(v.rules.rules.len(), 2);
    assert_eq!(v.rules.rules[1].groups["dll_hash"]["sha256"].len(), 2);
    assert_eq!(v.rules.types["sha256"].matching, "exact_hex");
    assert!(v
        .trusted_comment
        .starts_with("ruleforge-bundle name=ruleforge-rules "));
    assert_eq!(
        v.members.keys().collect::<Vec<_>>(),
        vec!["rules.json", "sigma.json"]
    );
    assert!(v.sigma.rules.is_empty());

    let err = |bytes: &[u8], sig: &str, opts: &VerifyOptions| {
        bundle::verify(bytes, sig, std::slice::from_ref(&pk), opts).unwrap_err()
    };
    let mut tampered = f.bytes.clone();
    tampered[40] ^= 0xff;
    assert!(matches!(
        err(&tampered, &sig, &opts),
        VerifyError::BadSignature { .. }
    ));
    assert!(matches!(
        err(&f.bytes, "junk", &opts),
        VerifyError::MalformedSignature(_)
    ));
    let late = VerifyOptions {
        now: bundle::parse_time("2025-01-01").unwrap(),
        ..opts.clone()
    };
    assert!(matches!(
        err(&f.bytes, &sig, &late),
        VerifyError::Expired { .. }
    ));
    let newer = VerifyOptions {
        current_version: Some(VERSION1 + 1),
        ..opts.clone()
    };
    let e = err(&f.bytes, &sig, &newer);
    assert_eq!(
        e,
        VerifyError::Rollback {
            version: VERSION1,
            current: VERSION1 + 1
        }
    );
    assert_eq!((e.code(), e.exit_code()), ("rollback", 8));
    assert!(matches!(
        bundle::verify(&f.bytes, &sig, &[], &opts).unwrap_err(),
        VerifyError::UnknownKey { .. }
    ));
}

// ---------------------------------------------------------------------------------------
// stock minisign interop (runs when `minisign` is installed; required when
// RULEFORGE_REQUIRE_MINISIGN is set, as in CI)

/// The stock `minisign` tool. `.ci/run` installs it (Debian's package) and runs this test with
/// `--ignored`; it fails rather than passes when the tool is missing.
fn stock_minisign() -> PathBuf {
    let found = std::process::Command::new("minisign")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "stock `minisign` is not on PATH (apt-get install minisign)"
    );
    PathBuf::from("minisign")
}

#[test]
#[ignore = "needs the stock minisign tool: run by .ci/run with --ignored"]
fn stock_minisign_interop() {
    let ms = stock_minisign();
    let f = fixture();
    let minisign = |args: &[&str], dir: &Path| {
        let o = std::process::Command::new(&ms)
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let archive = f.archive.to_str().unwrap();
    // 1. Stock minisign verifies a ruleforge bundle and shows the trusted comment.
    let (ok, text) = minisign(
        &["-Vm", archive, "-p", f.pk.to_str().unwrap()],
        f.out.path(),
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("Trusted comment: ruleforge-bundle name=ruleforge-rules"),
        "{text}"
    );
    // ... and rejects a tampered one.
    let mut b = f.bytes.clone();
    b[20] ^= 1;
    let t = f.out.path().join("t.tar.gz");
    std::fs::write(&t, &b).unwrap();
    std::fs::copy(sig_path(&f.archive), sig_path(&t)).unwrap();
    let (ok, _) = minisign(
        &["-Vm", t.to_str().unwrap(), "-p", f.pk.to_str().unwrap()],
        f.out.path(),
    );
    assert!(!ok);

    // 2. A key pair made by stock `minisign -G -W`: stock signs, `ruleforge verify` accepts.
    let k = f.keys.path();
    let (ok, text) = minisign(&["-G", "-W", "-p", "stock.pub", "-s", "stock.key"], k);
    assert!(ok, "{text}");
    let copy = k.join("stock-signed.tar.gz");
    std::fs::copy(&f.archive, &copy).unwrap();
    let (ok, text) = minisign(
        &[
            "-S",
            "-s",
            "stock.key",
            "-m",
            copy.to_str().unwrap(),
            "-t",
            "signed by hand",
        ],
        k,
    );
    assert!(ok, "{text}");
    let o = verify_cli(&copy, &k.join("stock.pub"), &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);

    // 3. `ruleforge bundle` signs with the stock key; stock minisign verifies.
    let out = TempDir::new().unwrap();
    let o = run(rf(f.repo.path())
        .args(["bundle", "--out"])
        .arg(out.path())
        .arg("--secret-key")
        .arg(k.join("stock.key")));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let built = out
        .path()
        .join(format!("ruleforge-rules-{VERSION1}.tar.gz"));
    let (ok, text) = minisign(&["-Vm", built.to_str().unwrap(), "-p", "stock.pub"], k);
    assert!(ok, "{text}");

    // 4. Stock minisign signs with a `ruleforge keygen --no-password` key.
    let copy2 = k.join("rf-key-stock-signed.tar.gz");
    std::fs::copy(&f.archive, &copy2).unwrap();
    let (ok, text) = minisign(
        &[
            "-S",
            "-s",
            f.sk.to_str().unwrap(),
            "-m",
            copy2.to_str().unwrap(),
        ],
        k,
    );
    assert!(ok, "{text}");
    let (ok, text) = minisign(
        &["-Vm", copy2.to_str().unwrap(), "-p", f.pk.to_str().unwrap()],
        k,
    );
    assert!(ok, "{text}");
    assert_eq!(verify_cli(&copy2, &f.pk, &[]).code, 0);
}

// ---------------------------------------------------------------------------------------
// Sigma rules in bundles

/// A detection rule and the correlation rule built on it, in one file.
const SIGMA_LOGONS: &str = "title: Failed Logon
id: 0b5e4c1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d
name: failed_logon
status: stable
description: A failed logon on a Windows host, the building block of the brute force rule.
author: ruleforge tests
date: 2024-03-01
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
falsepositives:
    - Mistyped passwords
level: low
---
title: Brute Force Against One Account
id: 3e8f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b
status: test
description: Many failed logons for one account within minutes.
author: ruleforge tests
date: 2024-03-01
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 5m
    condition:
        gte: 10
level: high
";

const SIGMA_FILTER: &str = "title: Logons On Domain Controllers
id: 7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a
description: Failed logons on domain controllers are handled by another team.
author: ruleforge tests
date: 2024-03-01
logsource:
    product: windows
    service: security
filter:
    rules:
        - 0b5e4c1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d
    selection:
        ComputerName|startswith: 'DC'
    condition: not selection
";

const SIGMA_DEPRECATED: &str = "title: Old Whoami Rule
id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
status: deprecated
description: Superseded by the web server whoami rule.
author: ruleforge tests
date: 2024-01-01
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
level: low
";

const SIGMA_UNSUPPORTED: &str = "title: Whoami In A Custom Log
id: 6f5e4d3c-2b1a-4f0e-9d8c-7b6a5f4e3d2c
status: unsupported
description: Needs a home-made log source that scanners do not have.
author: ruleforge tests
date: 2024-01-01
logsource:
    product: acme
    service: home_made
detection:
    selection:
        Program: whoami
    condition: selection
level: medium
";

/// The ids of the bundled Sigma documents, sorted.
const SIGMA_IDS: [&str; 4] = [
    "0b5e4c1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d",
    "1c0f5a57-5c7e-4d63-9f1e-2b8f3a6a9d01",
    "3e8f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b",
    "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
];

/// The native rules of [`sunburst_repo`] plus Sigma files (four documents bundled, a
/// deprecated and an unsupported one left out), committed at DATE2.
fn sigma_repo() -> GitRepo {
    let r = sunburst_repo();
    add_sigma(&r);
    r.commit_at("sigma rules", DATE2);
    r
}

fn add_sigma(repo: &GitRepo) {
    repo.write(
        "rules/sigma/proc_creation_win_webserver_whoami.yml",
        SIGMA_WHOAMI,
    );
    repo.write("rules/sigma/win_security_failed_logons.yml", SIGMA_LOGONS);
    repo.write("rules/sigma/filters/win_filter_dc_logons.yml", SIGMA_FILTER);
    repo.write(
        "rules/sigma/deprecated/proc_creation_win_whoami_old.yml",
        SIGMA_DEPRECATED,
    );
    repo.write(
        "rules/sigma/unsupported/acme_home_made_whoami.yml",
        SIGMA_UNSUPPORTED,
    );
}

fn member<'a>(members: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &members.iter().find(|(p, _)| p == name).unwrap().1
}

/// Validates a bundle's JSON members against the schemas in `schemas/` (read from disk, as
/// `.ci/run` and scanner teams use them, not the copies compiled into the library).
fn assert_schema_valid(bytes: &[u8]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let members = unpack(bytes);
    for (name, schema) in [
        ("manifest.json", "bundle-manifest.schema.json"),
        ("rules.json", "bundle-rules.schema.json"),
        ("sigma.json", "bundle-sigma.schema.json"),
    ] {
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(schema)).unwrap()).unwrap();
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(member(&members, name)).unwrap();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn native_and_sigma_rules_bundle_verify_and_are_listed_by_kind() {
    let repo = sigma_repo();
    let keys = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let out = TempDir::new().unwrap();
    let o = bundle_to(repo.path(), out.path(), &sk);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    for want in [
        "rules      2 native rules, 4 Sigma rules",
        "native     2 (stable 1, test 1)",
        "sigma      4 (correlation 1, filter 1, rule 2; status stable 1, test 2; level high 2, low 1)",
        "excluded   native 1 by status, 0 expired; Sigma 2 by status",
    ] {
        assert!(o.stdout.contains(want), "{want}\n{}", o.stdout);
    }
    let archive = out
        .path()
        .join(format!("ruleforge-rules-{VERSION2}.tar.gz"));
    let bytes = std::fs::read(&archive).unwrap();
    let members = unpack(&bytes);
    let names: Vec<_> = members.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["manifest.json", "rules.json", "sigma.json"]);
    assert_schema_valid(&bytes);

    let m = manifest_of(&bytes);
    assert_eq!(m["format_version"], 3);
    assert_eq!(
        m["rules"]["native"],
        serde_json::json!({"member": "rules.json", "count": 2})
    );
    assert_eq!(
        m["rules"]["sigma"],
        serde_json::json!({
            "member": "sigma.json",
            "count": 4,
            "by_type": {"correlation": 1, "filter": 1, "rule": 2},
            "by_status": {"stable": 1, "test": 2},
            "by_level": {"high": 2, "low": 1}
        })
    );
    assert_eq!(m["counts"]["rules"], 2);
    let listed: Vec<_> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["rules.json", "sigma.json"]);

    // sigma.json: sorted by id, every document whole, keys sorted, values typed as pySigma
    // reads them; the deprecated and unsupported documents left out.
    let sigma_bytes = member(&members, "sigma.json");
    assert!(sigma_bytes.ends_with(b"}\n"));
    let sigma: serde_json::Value = serde_json::from_slice(sigma_bytes).unwrap();
    assert_eq!(sigma["format_version"], 3);
    let docs = sigma["rules"].as_array().unwrap();
    let ids: Vec<_> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, SIGMA_IDS);
    let types: Vec<_> = docs.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["rule", "rule", "correlation", "filter"]);
    assert_eq!(docs[0]["name"], "failed_logon");
    assert_eq!(docs[0]["status"], "stable");
    assert_eq!(docs[0]["level"], "low");
    assert_eq!(
        docs[0]["document"]["detection"]["selection"]["EventID"],
        4625
    );
    assert_eq!(
        docs[0]["document"]["logsource"],
        serde_json::json!({"product": "windows", "service": "security"})
    );
    let keys: Vec<_> = docs[1]["document"].as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        docs[1]["document"]["detection"]["selection_child"]["Image|endswith"],
        "\\whoami.exe"
    );
    assert_eq!(docs[1]["document"]["date"], "2024-03-01");
    assert_eq!(
        docs[2]["document"]["correlation"],
        serde_json::json!({
            "condition": {"gte": 10},
            "group-by": ["TargetUserName"],
            "rules": ["failed_logon"],
            "timespan": "5m",
            "type": "event_count"
        })
    );
    assert_eq!(docs[2]["name"], serde_json::Value::Null);
    assert_eq!(docs[3]["status"], serde_json::Value::Null);
    assert_eq!(docs[3]["level"], serde_json::Value::Null);
    assert_eq!(
        docs[3]["document"]["filter"]["rules"],
        serde_json::json!(["0b5e4c1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d"])
    );
    let text = String::from_utf8_lossy(sigma_bytes);
    assert!(!text.contains("Old Whoami Rule") && !text.contains("home-made"));

    // verify: the CLI prints the counts per kind; the library exposes the documents.
    let v = run(rf(out.path())
        .arg("verify")
        .arg(&archive)
        .arg("--public-key")
        .arg(&pk)
        .args(["--now", "2024-07-01T00:00:00Z"]));
    assert_eq!(v.code, 0, "{}", v.stderr);
    for want in [
        "rules      2 native rules, 4 Sigma rules",
        "native     2 (stable 1, test 1)",
        "indicators 5 (domain 2, ip 1, sha256 2)",
        "sigma      4 (correlation 1, filter 1, rule 2;",
    ] {
        assert!(v.stdout.contains(want), "{want}\n{}", v.stdout);
    }
    let sig = std::fs::read_to_string(sig_path(&archive)).unwrap();
    let key = TrustedKey::parse(&std::fs::read_to_string(&pk).unwrap()).unwrap();
    let opts = VerifyOptions {
        now: bundle::parse_time("2024-07-01").unwrap(),
        ..Default::default()
    };
    let verified = bundle::verify(&bytes, &sig, &[key], &opts).unwrap();
    assert_eq!(verified.rules.rules.len(), 2);
    assert_eq!(verified.sigma.rules.len(), 4);
    assert_eq!(verified.sigma.rules[2].doc_type, "correlation");
    assert_eq!(verified.manifest.sigma_count(), 4);
    assert_eq!(
        verified.manifest.rules.as_ref().unwrap().sigma.by_type["rule"],
        2
    );
    assert_eq!(
        verified.members.keys().collect::<Vec<_>>(),
        ["rules.json", "sigma.json"]
    );
}

#[test]
fn bundles_with_sigma_are_reproducible() {
    let repo = sigma_repo();
    let clone = TempDir::new().unwrap();
    common::git::git(
        clone.path(),
        &["clone", "-q", repo.path().to_str().unwrap(), "c"],
    );
    let build = |dir: &Path, tz: &str| {
        let out = TempDir::new().unwrap();
        let o = run(rf(dir)
            .args(["bundle", "--out"])
            .arg(out.path())
            .env("TZ", tz));
        assert_eq!(o.code, 0, "{}", o.stderr);
        std::fs::read(
            out.path()
                .join(format!("ruleforge-rules-{VERSION2}.tar.gz")),
        )
        .unwrap()
    };
    let first = build(repo.path(), "UTC");
    let second = build(&clone.path().join("c"), "Pacific/Chatham");
    assert_eq!(first, second, "two builds of one commit differ");
    // The library builds the same bytes without the lint pass (files compiled on their own).
    let git = git2::Repository::open(repo.path()).unwrap();
    let rev = bundle::read_revision(&git, "HEAD", "").unwrap();
    assert_eq!(bundle::build(&rev).unwrap().archive, first);
}

#[test]
fn a_tampered_sigma_member_is_rejected() {
    let repo = sigma_repo();
    let keys = TempDir::new().unwrap();
    let (sk, pk) = keypair(keys.path(), "k");
    let out = TempDir::new().unwrap();
    let archive = build_signed(&repo, out.path(), &sk);
    let bytes = std::fs::read(&archive).unwrap();
    let members = unpack(&bytes);
    let manifest = member(&members, "manifest.json");
    let rules = member(&members, "rules.json");
    let sigma = member(&members, "sigma.json");

    // A level raised in sigma.json (same size), re-signed with the trusted key: the manifest's
    // hash no longer matches.
    let text = String::from_utf8(sigma.to_vec()).unwrap();
    let changed = text.replacen("\"level\":\"low\"", "\"level\":\"LOW\"", 1);
    assert_ne!(changed, text);
    let b = bundle::archive::write(
        &[
            ("manifest.json", manifest),
            ("rules.json", rules),
            ("sigma.json", changed.as_bytes()),
        ],
        0,
    )
    .unwrap();
    let p = write_signed(out.path(), "tampered.tar.gz", &b, &sk);
    assert_rejected(
        &verify_cli(&p, &pk, &[]),
        6,
        "hash-mismatch",
        "member `sigma.json` has SHA-256",
    );

    // sigma.json dropped: missing member.
    let b =
        bundle::archive::write(&[("manifest.json", manifest), ("rules.json", rules)], 0).unwrap();
    let p = write_signed(out.path(), "missing.tar.gz", &b, &sk);
    assert_rejected(
        &verify_cli(&p, &pk, &[]),
        6,
        "missing-member",
        "`sigma.json`",
    );

    // A document removed and the manifest's hash and size updated to match, but not its
    // count: the member no longer agrees with `rules.sigma`.
    let mut s: serde_json::Value = serde_json::from_slice(sigma).unwrap();
    s["rules"].as_array_mut().unwrap().pop();
    let mut s = serde_json::to_vec(&s).unwrap();
    s.push(b'\n');
    let mut m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    use sha2::Digest;
    m["files"][1]["size"] = serde_json::json!(s.len());
    m["files"][1]["sha256"] = serde_json::json!(bundle::verify::hex(&sha2::Sha256::digest(&s)));
    let m = serde_json::to_vec(&m).unwrap();
    let b = bundle::archive::write(
        &[
            ("manifest.json", &m),
            ("rules.json", rules),
            ("sigma.json", &s),
        ],
        0,
    )
    .unwrap();
    let p = write_signed(out.path(), "count.tar.gz", &b, &sk);
    assert_rejected(&verify_cli(&p, &pk, &[]), 6, "invalid-sigma", "3 documents");
}

#[test]
fn sigma_lint_errors_block_the_bundle() {
    let repo = sigma_repo();
    // A condition naming a selection that does not exist (RF603, an error).
    repo.write(
        "rules/sigma/win_security_failed_logons.yml",
        &SIGMA_LOGONS.replace("    condition: selection\n", "    condition: selectoin\n"),
    );
    repo.commit_at("typo", "2024-06-03T00:00:00+00:00");
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("rules/sigma/win_security_failed_logons.yml:"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("RF603"), "{}", o.stderr);
    assert!(o.stderr.contains("no bundle built"), "{}", o.stderr);
    assert!(files_in(out.path()).is_empty());

    // A Sigma document without an id only warns in lint (RF641), but cannot be bundled.
    repo.write(
        "rules/sigma/win_security_failed_logons.yml",
        &SIGMA_LOGONS.replace("id: 3e8f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b\n", ""),
    );
    repo.commit_at("no id", "2024-06-04T00:00:00+00:00");
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains(
            "rules/sigma/win_security_failed_logons.yml:19:8: the Sigma correlation rule has no `id`"
        ),
        "{}",
        o.stderr
    );
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn a_sigma_only_repository_bundles_and_statuses_select_sigma_too() {
    let repo = sunburst_repo();
    for f in [
        "rules/sunburst-dll-hash.yml",
        "rules/sunburst-c2-domain.yml",
        "rules/sunburst-staging-domain.yml",
    ] {
        std::fs::remove_file(repo.path().join(f)).unwrap();
    }
    add_sigma(&repo);
    repo.write(
        "ruleforge.toml",
        "[kinds]\nsigma = [\"rules/sigma/**\"]\n[bundle]\nname = \"sigma-only\"\n",
    );
    repo.commit_at("sigma only", DATE2);
    let out = TempDir::new().unwrap();
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(!o.stderr.contains("holds no rules"), "{}", o.stderr);
    assert!(
        o.stdout
            .contains("rules      0 native rules, 4 Sigma rules"),
        "{}",
        o.stdout
    );
    let bytes = std::fs::read(out.path().join(format!("sigma-only-{VERSION2}.tar.gz"))).unwrap();
    assert_schema_valid(&bytes);
    let m = manifest_of(&bytes);
    assert_eq!(m["rules"]["native"]["count"], 0);
    assert_eq!(m["rules"]["sigma"]["count"], 4);
    let rules: serde_json::Value =
        serde_json::from_slice(member(&unpack(&bytes), "rules.json")).unwrap();
    assert_eq!(rules["rules"], serde_json::json!([]));

    // `unsupported` and `deprecated` are shipped only when listed; documents without a
    // status (the filter) always are.
    repo.write(
        "ruleforge.toml",
        "[bundle]\nname = \"sigma-only\"\nstatuses = [\"stable\", \"unsupported\"]\n",
    );
    repo.commit_at("stable and unsupported", "2024-06-03T00:00:00+00:00");
    let o = run(rf(repo.path()).args(["bundle", "--out"]).arg(out.path()));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("excluded   native 0 by status, 0 expired; Sigma 3 by status"),
        "{}",
        o.stdout
    );
    let bytes = std::fs::read(out.path().join("sigma-only-20240603000000.tar.gz")).unwrap();
    let sigma: serde_json::Value =
        serde_json::from_slice(member(&unpack(&bytes), "sigma.json")).unwrap();
    let got: Vec<_> = sigma["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap(),
                d["status"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("0b5e4c1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d", "stable"),
            ("6f5e4d3c-2b1a-4f0e-9d8c-7b6a5f4e3d2c", "unsupported"),
            ("7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a", "-"),
        ]
    );
}

/// `[bundle] exports` and `--export`: the bundle carries `exports/<target>/…` and the export
/// report, listed in the manifest with size and sha256, byte for byte what `ruleforge export
/// --rev` writes for the same commit; `verify` checks them; two builds give the same bytes.
#[test]
fn bundles_carry_the_exports_the_configuration_and_flags_name() {
    let repo = sunburst_repo();
    repo.write(
        "ruleforge.toml",
        "[bundle]\nexports = [\"zeek\", \"stix\"]\n",
    );
    repo.commit_at("exports", DATE1);
    let work = tempfile::tempdir().unwrap();
    let (sk, pk) = keypair(work.path(), "k");
    let build = |out: &str| {
        let o = run(rf(repo.path())
            .args(["bundle", "--export", "yara", "--out"])
            .arg(work.path().join(out))
            .arg("--secret-key")
            .arg(&sk));
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stdout
                .contains("exports    stix (1 file), yara (1 file), zeek (1 file)"),
            "{}",
            o.stdout
        );
        let path = o
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("bundle "))
            .map(|p| PathBuf::from(p.trim()))
            .unwrap();
        std::fs::read(path).unwrap()
    };
    let one = build("one");
    let two = build("two");
    assert_eq!(one, two, "the same commit gives the same bundle");
    // Named another way (a tag), the commit still gives the same bytes.
    repo.git(&["tag", "v1"]);
    let o = run(rf(repo.path())
        .args(["bundle", "--rev", "v1", "--export", "yara", "--out"])
        .arg(work.path().join("tagged")));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let tagged = files_in(&work.path().join("tagged"))
        .into_iter()
        .find(|f| f.ends_with(".tar.gz"))
        .unwrap();
    assert!(
        std::fs::read(work.path().join("tagged").join(tagged)).unwrap() == one,
        "a tag of the commit gives the same bundle"
    );
    let m = manifest_of(&one);
    assert_eq!(m["format_version"], 3);
    let listed: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [
            "rules.json",
            "sigma.json",
            "exports/export-report.json",
            "exports/stix/bundle.json",
            "exports/yara/ruleforge.yar",
            "exports/zeek/ruleforge.intel",
        ]
    );
    // The members are what `ruleforge export --rev <commit>` writes.
    let commit = m["commit"].as_str().unwrap();
    let o = run(rf(repo.path())
        .args([
            "export", "zeek", "stix", "yara", "--quiet", "--rev", commit, "--out",
        ])
        .arg(work.path().join("exported")));
    assert_eq!(o.code, 0, "{}", o.stderr);
    for (path, bytes) in unpack(&one) {
        if let Some(rel) = path.strip_prefix("exports/") {
            let on_disk = std::fs::read(work.path().join("exported").join(rel)).unwrap();
            assert!(
                bytes == on_disk,
                "{path} differs from the export:\n{}\n---\n{}",
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&on_disk)
            );
        }
    }
    // verify checks them: the bundle verifies, and says what it carries.
    let archive = files_in(&work.path().join("one"))
        .into_iter()
        .find(|f| f.ends_with(".tar.gz"))
        .unwrap();
    let v = verify_cli(&work.path().join("one").join(archive), &pk, &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("exports    stix (1 file)"),
        "{}",
        v.stdout
    );
}

#[test]
fn an_unknown_bundle_export_is_a_clear_error() {
    let repo = sunburst_repo();
    let work = tempfile::tempdir().unwrap();
    let o = run(rf(repo.path())
        .args(["bundle", "--export", "snort", "--out"])
        .arg(work.path()));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("bundle exports ([bundle] exports, --export): unknown export target `snort`"),
        "{}",
        o.stderr
    );
    assert!(files_in(work.path()).is_empty());
}
