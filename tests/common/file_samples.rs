//! Sample files and hash rules for the file-scanner exports (YARA, ClamAV): real files on
//! disk, rules that carry their real digests, and the reference matcher's verdict on the
//! event a scanner builds for each file (`file.hash.md5`, `.sha1`, `.sha256` of its bytes).

#![allow(dead_code)]

use super::GitRepo;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sample names and contents. All are longer than 5 bytes (ClamAV skips smaller files); the
/// empty file is written separately.
pub const SAMPLES: [(&str, &str); 6] = [
    ("alpha.bin", "alpha: a file the export tests hash\n"),
    ("beta.bin", "beta: another file the export tests hash\n"),
    ("gamma.bin", "gamma: a third sample\n"),
    ("delta.bin", "delta: a fourth sample\n"),
    ("epsilon.bin", "epsilon: a fifth sample\n"),
    ("other.bin", "other: no rule names this file\n"),
];
pub const EMPTY: &str = "empty.bin";

/// Digests of one file, lower-case hex.
#[derive(Debug, Clone)]
pub struct Digests {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

fn digest(tool: &str, path: &Path) -> String {
    let out = Command::new(tool)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} {}", path.display());
    String::from_utf8(out.stdout).unwrap()[..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The digests of a file, computed by coreutils.
pub fn digests(path: &Path) -> Digests {
    Digests {
        md5: digest("md5sum", path),
        sha1: digest("sha1sum", path),
        sha256: digest("sha256sum", path),
    }
}

/// A rules repository, the sample folder beside it, and the digests of every sample.
pub struct Fixture {
    pub repo: GitRepo,
    pub samples: PathBuf,
    pub digests: Vec<(String, Digests)>,
}

impl Fixture {
    /// Writes the samples (and the empty file) to `samples/`; rules go to `rules/`.
    pub fn new() -> Fixture {
        let repo = GitRepo::new();
        let samples = repo.path().join("samples");
        std::fs::create_dir_all(&samples).unwrap();
        let mut all = Vec::new();
        for (name, text) in SAMPLES {
            std::fs::write(samples.join(name), text).unwrap();
            all.push((name.to_string(), digests(&samples.join(name))));
        }
        std::fs::write(samples.join(EMPTY), "").unwrap();
        all.push((EMPTY.to_string(), digests(&samples.join(EMPTY))));
        Fixture {
            repo,
            samples,
            digests: all,
        }
    }

    pub fn of(&self, name: &str) -> &Digests {
        &self
            .digests
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no sample {name}"))
            .1
    }

    /// Paths of the samples, the empty file included.
    pub fn sample_paths(&self) -> Vec<PathBuf> {
        self.digests
            .iter()
            .map(|(n, _)| self.samples.join(n))
            .collect()
    }

    /// Writes `rules/<id>.yml` with `indicators` (YAML, indented two spaces) and `condition`.
    pub fn rule(&self, id: &str, title: &str, indicators: &str, condition: Option<&str>) {
        let condition = condition
            .map(|c| format!("condition: {c}\n"))
            .unwrap_or_default();
        self.repo.write(
            &format!("rules/{id}.yml"),
            &format!(
                "id: {id}\ntitle: {title}\nstatus: stable\nseverity: high\nauthor: ruleforge tests\n\
                 created: 2024-01-01\nmodified: 2024-01-02\n\
                 description: Sample digests for the export engine tests.\n\
                 references:\n  - https://example.org/samples\n\
                 indicators:\n{indicators}{condition}"
            ),
        );
    }

    /// Runs `ruleforge export TARGET --out out` in the repository; returns the report.
    pub fn export(&self, target: &str) -> serde_json::Value {
        super::export::run(self.repo.path(), target, Path::new("out"), &[], &[])
    }

    /// A fixture with the hash rules, exported to `target`: (the fixture, the report).
    pub fn exported(target: &str) -> (Fixture, serde_json::Value) {
        let f = Fixture::new();
        f.hash_rules();
        let report = f.export(target);
        (f, report)
    }

    pub fn out(&self, rel: &str) -> PathBuf {
        self.repo.path().join("out").join(rel)
    }

    /// The reference matcher's (rule id, sample name) pairs over the samples' hash events.
    pub fn reference(&self) -> BTreeSet<(String, String)> {
        let events: String = self
            .digests
            .iter()
            .map(|(_, d)| {
                serde_json::json!({
                    "file.hash.md5": d.md5,
                    "file.hash.sha1": d.sha1,
                    "file.hash.sha256": d.sha256,
                })
                .to_string()
                    + "\n"
            })
            .collect();
        self.repo.write("events.ndjson", &events);
        let out = self
            .repo
            .ruleforge()
            .args(["match", "--event", "events.ndjson", "rules"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "match failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let event = v["event"].as_u64().unwrap() as usize;
                (
                    v["id"].as_str().unwrap().to_string(),
                    self.digests[event].0.clone(),
                )
            })
            .collect()
    }
}

/// The status of rule `id` for `target` in an export report (`exported`, `partial`, `skipped`).
pub fn status<'a>(report: &'a serde_json::Value, target: &str, id: &str) -> &'a serde_json::Value {
    report["targets"][target]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("rule {id} not in the {target} report"))
}

/// The reason codes a rule's outcome names (the skip code, or the omitted parts' codes).
pub fn codes(outcome: &serde_json::Value) -> Vec<String> {
    match outcome["status"].as_str().unwrap() {
        "skipped" => vec![outcome["code"].as_str().unwrap().to_string()],
        "partial" => outcome["omitted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Rule ids of [`Fixture::hash_rules`].
pub mod ids {
    pub const SHA256: &str = "7e000000-0000-4000-8000-000000000001";
    pub const MD5: &str = "7e000000-0000-4000-8000-000000000002";
    pub const SHA1: &str = "7e000000-0000-4000-8000-000000000003";
    pub const SAME_FILE_AND: &str = "7e000000-0000-4000-8000-000000000004";
    pub const CROSS_FILE_AND: &str = "7e000000-0000-4000-8000-000000000005";
    pub const TWO_GROUPS: &str = "7e000000-0000-4000-8000-000000000006";
    pub const HASH_OR_NAME: &str = "7e000000-0000-4000-8000-000000000007";
    pub const NAMES_ONLY: &str = "7e000000-0000-4000-8000-000000000008";
    pub const NEGATION: &str = "7e000000-0000-4000-8000-000000000009";
    pub const AND_OR_TERM: &str = "7e000000-0000-4000-8000-00000000000a";
    pub const EMPTY_AND_BETA: &str = "7e000000-0000-4000-8000-00000000000b";
    pub const EMPTY_ONLY: &str = "7e000000-0000-4000-8000-00000000000c";
}

impl Fixture {
    /// The rule set the file-scanner tests share: every shape of hash condition a file
    /// scanner meets (one type, several types in a group, AND of groups, OR of terms, a
    /// digest pair that no single file has, names, `not`, the empty file's digests).
    pub fn hash_rules(&self) {
        let (a, b, g, d, e, z) = (
            self.of("alpha.bin"),
            self.of("beta.bin"),
            self.of("gamma.bin"),
            self.of("delta.bin"),
            self.of("epsilon.bin"),
            self.of(EMPTY),
        );
        let unrelated = "0123456789abcdef".repeat(4);
        self.rule(
            ids::SHA256,
            "Alpha by SHA-256",
            &format!(
                "  h:\n    sha256:\n      - {}\n      - {unrelated}\n",
                a.sha256
            ),
            None,
        );
        self.rule(
            ids::MD5,
            "Beta by MD5",
            &format!("  h:\n    md5:\n      - {}\n", b.md5),
            None,
        );
        self.rule(
            ids::SHA1,
            "Gamma by SHA-1",
            &format!("  h:\n    sha1:\n      - {}\n", g.sha1),
            None,
        );
        self.rule(
            ids::SAME_FILE_AND,
            "Delta by MD5 and SHA-256 in one group",
            &format!(
                "  h:\n    md5:\n      - {}\n    sha256:\n      - {}\n",
                d.md5, d.sha256
            ),
            None,
        );
        self.rule(
            ids::CROSS_FILE_AND,
            "MD5 of alpha with SHA-256 of beta, which no single file has",
            &format!(
                "  h:\n    md5:\n      - {}\n    sha256:\n      - {}\n",
                a.md5, b.sha256
            ),
            None,
        );
        self.rule(
            ids::TWO_GROUPS,
            "Epsilon by two groups",
            &format!(
                "  a:\n    sha1:\n      - {}\n  b:\n    md5:\n      - {}\n",
                e.sha1, e.md5
            ),
            Some("a and b"),
        );
        self.rule(
            ids::HASH_OR_NAME,
            "Epsilon by hash or a name",
            &format!(
                "  h:\n    sha256:\n      - {}\n  n:\n    file_name:\n      - '*.aspx'\n",
                e.sha256
            ),
            None,
        );
        self.rule(
            ids::NAMES_ONLY,
            "Names only",
            "  n:\n    file_name:\n      - webshell.aspx\n",
            None,
        );
        self.rule(
            ids::NEGATION,
            "Hash without a name",
            &format!(
                "  h:\n    sha256:\n      - {}\n  n:\n    file_name:\n      - alpha.bin\n",
                a.sha256
            ),
            Some("h and not n"),
        );
        self.rule(
            ids::AND_OR_TERM,
            "Alpha by two digests, or gamma",
            &format!(
                "  a:\n    md5:\n      - {}\n  b:\n    sha1:\n      - {}\n  c:\n    sha256:\n      - {}\n",
                a.md5, a.sha1, g.sha256
            ),
            Some("(a and b) or c"),
        );
        self.rule(
            ids::EMPTY_AND_BETA,
            "Beta or the empty file by MD5",
            &format!("  h:\n    md5:\n      - {}\n      - {}\n", z.md5, b.md5),
            None,
        );
        self.rule(
            ids::EMPTY_ONLY,
            "The empty file by SHA-1",
            &format!("  h:\n    sha1:\n      - {}\n", z.sha1),
            None,
        );
    }
}

/// Checks an engine's (rule id, sample) hits against the reference matcher and the report:
/// a rule exported whole is flagged on exactly the samples the reference matches; a partial
/// rule on a subset of them; a skipped rule on none. Returns the hits for further checks.
pub fn assert_agrees(
    engine: &str,
    hits: &BTreeSet<(String, String)>,
    reference: &BTreeSet<(String, String)>,
    report: &serde_json::Value,
    target: &str,
) {
    let rules = report["targets"][target]["rules"].as_array().unwrap();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let of = |set: &BTreeSet<(String, String)>| -> BTreeSet<String> {
            set.iter()
                .filter(|(i, _)| i == id)
                .map(|(_, s)| s.clone())
                .collect()
        };
        let (got, want) = (of(hits), of(reference));
        match r["status"].as_str().unwrap() {
            "exported" => assert_eq!(got, want, "{engine}: rule {id} (exported whole)"),
            "partial" => assert!(
                got.is_subset(&want),
                "{engine}: partial rule {id} flagged {got:?}, the reference only {want:?}"
            ),
            _ => assert!(
                got.is_empty(),
                "{engine}: skipped rule {id} flagged {got:?}"
            ),
        }
    }
    let known: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for (id, sample) in hits {
        assert!(
            known.contains(id.as_str()),
            "{engine}: unknown rule {id} on {sample}"
        );
    }
}

/// Turns 32 hex digits back into a hyphenated UUID.
pub fn uuid_of_hex(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The expected pairs, written out: `(rule id, sample)`.
pub fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(i, s)| (i.to_string(), s.to_string()))
        .collect()
}

/// For engines that name one rule per flagged digest (ClamAV): every file a rule exported
/// whole matches is flagged, and every flagged file is matched by a rule the engine carries.
pub fn assert_flags_files(
    engine: &str,
    hits: &BTreeSet<(String, String)>,
    reference: &BTreeSet<(String, String)>,
    report: &serde_json::Value,
    target: &str,
) {
    let rules = report["targets"][target]["rules"].as_array().unwrap();
    let with_status = |keep: &dyn Fn(&str) -> bool| -> BTreeSet<String> {
        let ids: BTreeSet<&str> = rules
            .iter()
            .filter(|r| keep(r["status"].as_str().unwrap()))
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        reference
            .iter()
            .filter(|(i, _)| ids.contains(i.as_str()))
            .map(|(_, s)| s.clone())
            .collect()
    };
    let whole = with_status(&|s| s == "exported");
    let carried = with_status(&|s| s != "skipped");
    let flagged: BTreeSet<String> = hits.iter().map(|(_, s)| s.clone()).collect();
    assert!(
        whole.is_subset(&flagged),
        "{engine}: missed {:?}",
        whole.difference(&flagged).collect::<Vec<_>>()
    );
    assert!(
        flagged.is_subset(&carried),
        "{engine}: flagged {:?}, which no exported rule matches",
        flagged.difference(&carried).collect::<Vec<_>>()
    );
    for (id, sample) in hits {
        assert!(
            reference.contains(&(id.clone(), sample.clone())),
            "{engine}: names rule {id} on {sample}, which the reference matcher does not match"
        );
    }
}

/// The report validates against `schemas/export-report.schema.json` (read from disk).
pub fn assert_report_valid(report: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/export-report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v.iter_errors(report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "export report: {errors:?}");
}

/// Every reason of `target` is prefixed with its name and documented in its section of
/// `docs/exports.md`.
pub fn assert_reasons_documented(target: ruleforge::export::Target) {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/exports.md"))
            .unwrap();
    // The section's heading is the engine's name (`## YARA`, `## ClamAV`), any case.
    let heading = format!("\n## {}\n", target.name());
    let start = docs
        .to_ascii_lowercase()
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/exports.md has no `## {}`", target.name()));
    let rest = &docs[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let common: Vec<&str> = ruleforge::export::report::common::ALL
        .iter()
        .map(|r| r.code)
        .collect();
    for reason in target.reasons() {
        if common.contains(&reason.code) {
            assert!(
                docs.contains(&format!("`{}`", reason.code)),
                "{}",
                reason.code
            );
            continue;
        }
        assert!(
            reason.code.starts_with(&format!("{}-", target.name())),
            "{}",
            reason.code
        );
        assert!(
            section.contains(&format!("| `{}` |", reason.code)),
            "docs/exports.md `## {}` does not document `{}`",
            target.name(),
            reason.code
        );
    }
}
