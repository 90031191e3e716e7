//! Delta bundles: `bundle --delta-from` writes a signed delta; `apply-delta` verifies its
//! signature and base first, rebuilds the new bundle byte for byte (its signatures verify
//! with `ruleforge verify`), and refuses bad deltas — another base, a truncated or tampered
//! one, an unknown format version, a tombstone for a missing rule, a duplicate rule — each
//! with a message naming the file and member, writing nothing.

mod common;

use assert_cmd::Command;
use common::GitRepo;
use ruleforge::bundle::{archive, sign};
use ruleforge::dist::delta;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const NOW: &str = "2024-06-03T00:00:00Z";

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

fn run(cmd: &mut Command) -> Output {
    let o = cmd.env_remove("RULEFORGE_KEY_PASSWORD").output().unwrap();
    Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn line<'a>(o: &'a Output, label: &str) -> &'a str {
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` line:\n{}", o.text()))
        .trim()
}

/// Three revisions: v1 (rules one, two, three), v2 (two changed, three removed, four
/// added), and v3 (one more rule), each bundled and signed by keys `a` and `b`; v2 also with
/// a delta from v1.
struct Fixture {
    _repo: GitRepo,
    dir: TempDir,
    v1: PathBuf,
    v2: PathBuf,
    v3: PathBuf,
    delta: PathBuf,
    bundle_output: String,
}

fn id(n: u8) -> String {
    format!("0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b{n:02x}")
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn public(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.pub"))
    }
    /// `apply-delta OLD DELTA --public-key a --public-key b --out OUT [extra]`.
    fn apply(&self, old: &Path, delta: &Path, out: &str, extra: &[&str]) -> Output {
        run(common::ruleforge(self.dir.path())
            .arg("apply-delta")
            .arg(old)
            .arg(delta)
            .arg("--public-key")
            .arg(self.public("a"))
            .arg("--public-key")
            .arg(self.public("b"))
            .arg("--out")
            .arg(self.path(out))
            .args(extra))
    }
    /// The delta's members, read back.
    fn delta_members(&self) -> Vec<(String, Vec<u8>)> {
        archive::read(&std::fs::read(&self.delta).unwrap(), 1 << 30).unwrap()
    }
    /// Writes `members` as a delta signed by key `a` under `name`.
    fn forged(&self, name: &str, members: &[(String, Vec<u8>)]) -> PathBuf {
        let refs: Vec<(&str, &[u8])> = members.iter().map(|(p, d)| (p.as_str(), &d[..])).collect();
        let bytes = archive::write(&refs, 0).unwrap();
        self.signed(name, &bytes)
    }
    /// Writes `bytes` signed by key `a` (with the real delta's trusted comment) as `name`.
    fn signed(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let doc: delta::DeltaDoc = serde_json::from_slice(&self.delta_members()[0].1).unwrap();
        let key = sign::load_secret_key(
            &std::fs::read_to_string(self.path("a.key")).unwrap(),
            "a.key",
            &mut || unreachable!("no password"),
        )
        .unwrap();
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        let sig = sign::sign(&key, bytes, &delta::trusted_comment(&doc)).unwrap();
        std::fs::write(format!("{}.minisig", p.display()), sig).unwrap();
        p
    }
}

fn fixture() -> Fixture {
    let repo = GitRepo::new();
    for n in 1..=3 {
        repo.write(
            &format!("rules/r{n}.yml"),
            &common::rule(&id(n), &format!("Web shell {n}"), &common::hash(n)),
        );
    }
    repo.commit_at("three rules", "2024-06-01T12:00:00+00:00");
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        let k = sign::generate(None).unwrap();
        std::fs::write(dir.path().join(format!("{name}.key")), &k.secret_key_text).unwrap();
        std::fs::write(dir.path().join(format!("{name}.pub")), &k.public_key_text).unwrap();
    }
    let build = |out: &str, extra: &[&Path]| {
        let mut c = common::ruleforge(repo.path());
        c.args(["bundle", "--out"])
            .arg(dir.path().join(out))
            .arg("--secret-key")
            .arg(dir.path().join("a.key"))
            .arg("--secret-key")
            .arg(dir.path().join("b.key"));
        if let Some(from) = extra.first() {
            c.arg("--delta-from").arg(from);
        }
        let o = run(&mut c);
        assert_eq!(o.code, 0, "{}", o.text());
        o
    };
    let v1 = PathBuf::from(line(&build("v1", &[]), "bundle "));
    repo.edit("rules/r2.yml", |t| {
        t.replace("Web shell 2", "Web shell 2, renamed")
    });
    repo.remove("rules/r3.yml");
    repo.write(
        "rules/r4.yml",
        &common::rule(&id(4), "Web shell 4", &common::hash(4)),
    );
    repo.commit_at("change, remove, add", "2024-06-02T08:30:00+00:00");
    let o = build("v2", &[&v1]);
    let v2 = PathBuf::from(line(&o, "bundle "));
    let delta = PathBuf::from(line(&o, "delta ").split(" (").next().unwrap());
    repo.write(
        "rules/r5.yml",
        &common::rule(&id(5), "Web shell 5", &common::hash(5)),
    );
    repo.commit_at("one more", "2024-06-02T10:00:00+00:00");
    let v3 = PathBuf::from(line(&build("v3", &[]), "bundle "));
    Fixture {
        _repo: repo,
        dir,
        v1,
        v2,
        v3,
        delta,
        bundle_output: o.stdout,
    }
}

fn assert_refused(o: &Output, code: i32, name: &str, texts: &[&str]) {
    assert_eq!(o.code, code, "{}", o.text());
    assert!(
        o.stderr.contains(&format!("[{name}]")),
        "[{name}]:\n{}",
        o.text()
    );
    for t in texts {
        assert!(o.stderr.contains(t), "`{t}`:\n{}", o.text());
    }
}

fn assert_nothing_written(f: &Fixture, out: &str) {
    let dir = f.path(out);
    assert!(
        !dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none(),
        "{out} holds files after a refusal"
    );
}

#[test]
fn delta_rebuilds_the_full_bundle_byte_for_byte() {
    let f = fixture();
    let name = f.delta.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("ruleforge-rules-20240602083000.delta-") && name.ends_with(".tar.gz"),
        "{name}"
    );
    assert!(
        f.bundle_output
            .contains("1 changed, 1 added, 1 removed rules"),
        "{}",
        f.bundle_output
    );
    assert!(PathBuf::from(format!("{}.minisig", f.delta.display())).is_file());
    assert!(PathBuf::from(format!("{}.minisig.2", f.delta.display())).is_file());
    // The delta holds the changed and added rules only, and a tombstone.
    let members = f.delta_members();
    let names: Vec<&str> = members.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["delta.json", "manifest.json", "patch/rules.json"]);
    let patch: serde_json::Value = serde_json::from_slice(&members[2].1).unwrap();
    assert_eq!(patch["removed"], serde_json::json!([id(3)]));
    assert_eq!(patch["changed"][0]["id"], id(2));
    assert_eq!(patch["changed"][0]["title"], "Web shell 2, renamed");
    assert_eq!(patch["added"][0]["id"], id(4));
    assert_eq!(patch["changed"].as_array().unwrap().len(), 1);
    assert_eq!(patch["added"].as_array().unwrap().len(), 1);

    let o = f.apply(&f.v1, &f.delta, "out", &["--threshold", "2"]);
    assert_eq!(o.code, 0, "{}", o.text());
    let rebuilt = f.path("out").join(f.v2.file_name().unwrap());
    // Byte-identical archive and signatures.
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&f.v2).unwrap()
    );
    for suffix in [".minisig", ".minisig.2"] {
        assert_eq!(
            std::fs::read(format!("{}{suffix}", rebuilt.display())).unwrap(),
            std::fs::read(format!("{}{suffix}", f.v2.display())).unwrap()
        );
    }
    let o = run(common::ruleforge(f.dir.path())
        .arg("verify")
        .arg(&rebuilt)
        .args(["--now", NOW, "--threshold", "2"])
        .arg("--public-key")
        .arg(f.public("a"))
        .arg("--public-key")
        .arg(f.public("b")));
    assert_eq!(o.code, 0, "{}", o.text());
}

#[test]
fn delta_against_another_base_is_refused() {
    let f = fixture();
    for other in [&f.v2, &f.v3] {
        let o = f.apply(other, &f.delta, "out", &[]);
        assert_refused(
            &o,
            20,
            "delta-wrong-base",
            &[
                "wrong base",
                &f.delta.display().to_string(),
                &other.display().to_string(),
            ],
        );
        assert_nothing_written(&f, "out");
    }
}

#[test]
fn delta_signatures_are_checked_first() {
    let f = fixture();
    // One key short of the threshold.
    let o = run(common::ruleforge(f.dir.path())
        .arg("apply-delta")
        .arg(&f.v1)
        .arg(&f.delta)
        .arg("--public-key")
        .arg(f.public("a"))
        .arg("--public-key")
        .arg(f.public("c"))
        .args(["--threshold", "2", "--out"])
        .arg(f.path("out")));
    assert_refused(&o, 9, "threshold-not-met", &["1 of the required 2"]);
    // Untrusted keys only.
    let o = run(common::ruleforge(f.dir.path())
        .arg("apply-delta")
        .arg(&f.v1)
        .arg(&f.delta)
        .arg("--public-key")
        .arg(f.public("c"))
        .arg("--out")
        .arg(f.path("out")));
    assert_refused(&o, 4, "unknown-key", &[]);
    // A truncated delta (its signature no longer matches), even against the wrong base.
    let bytes = std::fs::read(&f.delta).unwrap();
    let cut = f.path("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(
        format!("{}.minisig", f.delta.display()),
        format!("{}.minisig", cut.display()),
    )
    .unwrap();
    let o = f.apply(&f.v3, &cut, "out", &[]);
    assert_refused(&o, 3, "bad-signature", &[]);
    assert_nothing_written(&f, "out");
}

#[test]
fn signed_but_broken_deltas_are_refused_naming_the_member() {
    let f = fixture();
    let members = f.delta_members();
    let with = |member: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        members
            .iter()
            .map(|(p, d)| {
                if p == member {
                    let mut v: serde_json::Value = serde_json::from_slice(d).unwrap();
                    edit(&mut v);
                    (p.clone(), serde_json::to_vec(&v).unwrap())
                } else {
                    (p.clone(), d.clone())
                }
            })
            .collect::<Vec<_>>()
    };
    let delta_file = |name: &str| f.path(name).display().to_string();

    // Truncated by its publisher (signed as it is).
    let bytes = std::fs::read(&f.delta).unwrap();
    let cut = f.signed("cut.tar.gz", &bytes[..bytes.len() - 10]);
    let o = f.apply(&f.v1, &cut, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &[&delta_file("cut.tar.gz"), "(archive)"],
    );

    // A tampered rule: the rebuilt member does not hash as the signed manifest says.
    let tampered = f.forged(
        "tampered.tar.gz",
        &with("patch/rules.json", &|v| {
            v["changed"][0]["title"] = "Something else".into();
        }),
    );
    let o = f.apply(&f.v1, &tampered, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &[
            &delta_file("tampered.tar.gz"),
            "member `rules.json`",
            "the new manifest gives",
        ],
    );

    // An unknown format version.
    let future = f.forged(
        "future.tar.gz",
        &with("delta.json", &|v| v["format_version"] = 99.into()),
    );
    let o = f.apply(&f.v1, &future, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &[
            &delta_file("future.tar.gz"),
            "member `delta.json`",
            "unknown format version Some(99)",
        ],
    );

    // A tombstone for a rule the base does not hold.
    let ghost = f.forged(
        "ghost.tar.gz",
        &with("patch/rules.json", &|v| {
            v["removed"]
                .as_array_mut()
                .unwrap()
                .push("zz-missing".into());
        }),
    );
    let o = f.apply(&f.v1, &ghost, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &[
            &delta_file("ghost.tar.gz"),
            "patch/rules.json",
            "tombstone for rule `zz-missing`",
        ],
    );

    // A duplicate rule: added although the base holds it, or named twice.
    let dup = f.forged(
        "dup.tar.gz",
        &with("patch/rules.json", &|v| {
            let again = v["changed"][0].clone();
            v["added"].as_array_mut().unwrap().push(again);
        }),
    );
    let o = f.apply(&f.v1, &dup, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &["patch/rules.json", &format!("duplicate rule `{}`", id(2))],
    );
    let again = f.forged(
        "again.tar.gz",
        &with("patch/rules.json", &|v| {
            let mut twin = v["added"][0].clone();
            twin["title"] = "twin".into();
            v["added"].as_array_mut().unwrap().push(twin);
        }),
    );
    let o = f.apply(&f.v1, &again, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &[&format!("duplicate rule `{}`: named twice", id(4))],
    );

    // A member the delta document does not list.
    let mut extra = members.clone();
    extra.push(("whole/extra.json".into(), b"{}".to_vec()));
    let extra = f.forged("extra.tar.gz", &extra);
    let o = f.apply(&f.v1, &extra, "out", &[]);
    assert_refused(
        &o,
        21,
        "delta-invalid",
        &["member `whole/extra.json`", "not listed in delta.json"],
    );
    assert_nothing_written(&f, "out");
}

#[test]
fn delta_from_needs_a_key_and_a_readable_base() {
    let f = fixture();
    let o = run(common::ruleforge(f._repo.path())
        .args(["bundle", "--out"])
        .arg(f.path("x"))
        .arg("--delta-from")
        .arg(&f.v1));
    assert_eq!(o.code, 2, "{}", o.text());
    assert!(o.stderr.contains("--delta-from"), "{}", o.text());
    let o = run(common::ruleforge(f._repo.path())
        .args(["bundle", "--out"])
        .arg(f.path("x"))
        .arg("--secret-key")
        .arg(f.path("a.key"))
        .arg("--delta-from")
        .arg(f.path("missing.tar.gz")));
    assert_eq!(o.code, 2, "{}", o.text());
    assert!(
        o.stderr.contains("missing.tar.gz: cannot read"),
        "{}",
        o.text()
    );
    assert_nothing_written(&f, "x");
}
