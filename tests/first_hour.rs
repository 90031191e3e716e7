//! A new user's first hour: `init`, `schema`, shell completions, the man page, pre-commit
//! hooks and `coverage`, each run end to end with the real binary and, where one exists, the
//! real tool that judges the output (bash, man, pre-commit, MITRE's mitreattack-python,
//! rsvg-convert).
//!
//! A test that needs a tool looks for it; where it is missing the test says so and passes,
//! unless `RULEFORGE_REQUIRE_ENGINES=1` is set (as `.ci/run` does after installing them), in
//! which case it fails.

mod common;

use common::git::{git, isolate};
use common::{run, write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The tool `name` if it runs (`name --version` or the given probe succeeds); `None` (after a
/// note) when it is missing on a developer machine; a failure under RULEFORGE_REQUIRE_ENGINES.
fn engine(name: &str, program: &str, probe: &[&str]) -> Option<PathBuf> {
    let ok = Command::new(program)
        .args(probe)
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(PathBuf::from(program));
    }
    if std::env::var_os("RULEFORGE_REQUIRE_ENGINES").is_some_and(|v| v == "1") {
        panic!("{name} ({program}) is required (RULEFORGE_REQUIRE_ENGINES=1) but does not run");
    }
    eprintln!("note: {name} not found ({program}); this check needs it (.ci/run installs it)");
    None
}

/// The Python that has mitreattack-python (`RULEFORGE_PYTHON`, else `python3`).
fn python() -> String {
    std::env::var("RULEFORGE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn init_in_an_empty_folder_then_lint_test_fmt_and_bundle_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("detections");
    let (code, out, err) = run(tmp.path(), &["init", "detections", "--keygen"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Initialized a git repository"), "{out}");
    for f in [
        "ruleforge.toml",
        ".ruleforge/rule.schema.json",
        "rules/examples/eicar-test-file.yml",
        ".github/workflows/rules-pr.yml",
        ".github/workflows/rules-publish.yml",
        "action.yml",
        "scripts/install-ruleforge.sh",
        ".pre-commit-config.yaml",
        ".gitignore",
        "README.md",
        "keys/ruleforge.pub",
        ".ruleforge/ruleforge.key",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing; {out}");
        assert!(out.contains(f), "{f} not listed: {out}");
    }
    // The modeline resolves inside the new repository.
    let rule = std::fs::read_to_string(dir.join("rules/examples/eicar-test-file.yml")).unwrap();
    let modeline = rule.lines().next().unwrap();
    let target = modeline.split("$schema=").nth(1).unwrap();
    let schema = dir.join("rules/examples").join(target);
    assert!(schema.is_file(), "{modeline} does not resolve");
    assert_eq!(
        std::fs::read_to_string(schema).unwrap(),
        ruleforge::schema::RULE_SCHEMA
    );
    // The daily commands pass on what init wrote, the strictest lint selection included.
    for args in [
        &["lint"][..],
        &["lint", "--select", "ALL", "--deny-warnings"],
        &["test"],
        &["fmt", "--check"],
    ] {
        let (code, out, err) = run(&dir, args);
        assert_eq!(code, 0, "ruleforge {args:?}: {out}{err}");
    }
    // The secret key is git-ignored, the public key is not. Committed now (not at a fixed
    // date), so that the bundle has not expired.
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "ruleforge init"]);
    let files = git(&dir, &["ls-files"]);
    assert!(files.contains("keys/ruleforge.pub"), "{files}");
    assert!(
        !files.contains(".key"),
        "a secret key was committed: {files}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(".ruleforge/ruleforge.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secret key is readable by others");
    }
    // The first signed bundle, verified with the committed public key.
    let out_dir = tmp.path().join("dist");
    let (code, out, err) = run(
        &dir,
        &[
            "bundle",
            "--out",
            out_dir.to_str().unwrap(),
            "--secret-key",
            ".ruleforge/ruleforge.key",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let archive = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("a bundle");
    let (code, out, err) = run(
        &dir,
        &[
            "verify",
            archive.to_str().unwrap(),
            "--public-key",
            "keys/ruleforge.pub",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 native rule"), "{out}");
}

#[test]
fn init_twice_changes_nothing_and_lists_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &["init", "--keygen"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = tree(dir.path());
    let (code, out, err) = run(dir.path(), &["init", "--keygen"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(tree(dir.path()), before, "the second init changed files");
    assert!(!out.contains("Created:"), "{out}");
    assert!(out.contains("Skipped"), "{out}");
    assert!(out.contains("  ruleforge.toml\n"), "{out}");
    assert!(out.contains("  keys/ruleforge.pub\n"), "{out}");
    assert!(out.contains("Nothing to do"), "{out}");
}

#[test]
fn init_in_an_existing_repository_keeps_its_files() {
    let mut dir = common::repo(&[("README.md", "# Our rules\n")]);
    std::fs::write(
        dir.path().join("ruleforge.toml"),
        "[lint]\nroots = [\"rules\"]\n",
    )
    .unwrap();
    dir.commit("existing");
    let (code, out, err) = run(dir.path(), &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("Initialized a git repository"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("README.md")).unwrap(),
        "# Our rules\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ruleforge.toml")).unwrap(),
        "[lint]\nroots = [\"rules\"]\n"
    );
    let skipped = out.split("Skipped").nth(1).unwrap_or("");
    assert!(
        skipped.contains("README.md") && skipped.contains("ruleforge.toml"),
        "{out}"
    );
    assert!(dir
        .path()
        .join("rules/examples/eicar-test-file.yml")
        .is_file());
}

#[test]
fn init_refuses_a_secret_key_git_would_not_ignore() {
    let dir = common::repo(&[
        (".gitignore", "# ours\n"),
        (".ruleforge/.gitignore", "# nothing ignored here\n"),
    ]);
    let (code, out, err) = run(dir.path(), &["init", "--keygen"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(".ruleforge/ruleforge.key") && err.contains("would not ignore"),
        "{err}"
    );
    assert!(!dir.path().join(".ruleforge/ruleforge.key").exists());
    assert!(!dir.path().join("keys/ruleforge.pub").exists());
}

#[test]
fn init_on_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "x").unwrap();
    let (code, out, err) = run(dir.path(), &["init", "taken"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("taken: not a folder"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn schema_prints_the_shipped_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, file) in [
        ("rule", "schemas/rule.schema.json"),
        ("config", "schemas/config.schema.json"),
        ("bundle-manifest", "schemas/bundle-manifest.schema.json"),
        ("export-report", "schemas/export-report.schema.json"),
        (
            "sigma-rule",
            "schemas/sigma/sigma-detection-rule-schema.json",
        ),
    ] {
        let (code, out, _) = run(dir.path(), &["schema", name]);
        assert_eq!(code, 0);
        assert_eq!(
            out,
            std::fs::read_to_string(root.join(file)).unwrap(),
            "{name}"
        );
    }
    let (code, _, err) = run(dir.path(), &["schema", "yara"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn completion_scripts_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(dir.path(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains("coverage") && out.contains("lint"),
            "{shell}: {out}"
        );
    }
    let (code, _, _) = run(dir.path(), &["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn bash_completion_loads_and_completes() {
    let Some(bash) = engine("bash", "bash", &["--version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, script, _) = run(dir.path(), &["completions", "bash"]);
    let file = dir.path().join("ruleforge.bash");
    std::fs::write(&file, &script).unwrap();
    let syntax = Command::new(&bash).arg("-n").arg(&file).output().unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // Source it in a real bash, check the registration, then ask it to complete
    // `ruleforge cov` and `ruleforge coverage --format `.
    let probe = r#"
source "$1"
complete -p ruleforge
COMP_WORDS=(ruleforge cov); COMP_CWORD=1; COMP_LINE="ruleforge cov"; COMP_POINT=${#COMP_LINE}
_ruleforge ruleforge cov ruleforge
echo "words: ${COMPREPLY[*]}"
COMP_WORDS=(ruleforge coverage --format ""); COMP_CWORD=3; COMP_LINE="ruleforge coverage --format "; COMP_POINT=${#COMP_LINE}
_ruleforge ruleforge "" --format
echo "formats: ${COMPREPLY[*]}"
"#;
    let o = Command::new(&bash)
        .args(["--norc", "--noprofile", "-c", probe, "probe"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("-F _ruleforge ruleforge"), "{stdout}");
    assert!(stdout.contains("words: coverage"), "{stdout}");
    assert!(
        stdout.contains("formats: text json markdown navigator svg html"),
        "{stdout}"
    );
}

#[test]
fn man_pages_render_with_man() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(dir.path(), &["man", "no-such-command"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no command `no-such-command`"), "{err}");
    let out_dir = dir.path().join("man1");
    let (code, listed, err) = run(dir.path(), &["man", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for page in [
        "ruleforge.1",
        "ruleforge-lint.1",
        "ruleforge-init.1",
        "ruleforge-coverage.1",
    ] {
        assert!(out_dir.join(page).is_file(), "{page} missing: {listed}");
    }
    let Some(man) = engine("man (man-db)", "man", &["--version"]) else {
        return;
    };
    for (args, want) in [
        (
            &["man"][..],
            &["ruleforge", "lint", "coverage", "completions"][..],
        ),
        (
            &["man", "coverage"],
            &["ruleforge coverage", "--format", "navigator"],
        ),
    ] {
        let (code, roff, err) = run(dir.path(), args);
        assert_eq!(code, 0, "{err}");
        let page = dir.path().join("page.1");
        std::fs::write(&page, roff).unwrap();
        let o = Command::new(&man)
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "100")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        let warnings = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "man -l {args:?}: {warnings}");
        assert!(!warnings.contains("warning"), "troff warnings: {warnings}");
        for w in want {
            assert!(text.contains(w), "man -l {args:?} lacks {w}: {text}");
        }
    }
}

/// A rules repository with native and Sigma rules tagged with current, revoked and unknown
/// ATT&CK ids, and a file that does not parse.
fn coverage_repo() -> common::GitRepo {
    let native = |id: &str, title: &str, status: &str, severity: &str, tags: &[&str]| {
        let tags: String = tags.iter().map(|t| format!("  - {t}\n")).collect();
        format!(
            "id: {id}\ntitle: {title}\nstatus: {status}\nseverity: {severity}\nauthor: tests\n\
             created: 2024-01-01\nmodified: 2024-01-01\ndescription: A fixture rule for the coverage tests.\n\
             tags:\n{tags}indicators:\n  main:\n    file_name:\n      - a.exe\n"
        )
    };
    let dir = common::repo(&[
        (
            "rules/powershell.yml",
            &native(
                "6b0c4b1e-1111-4c1e-9a41-0d5f0f1a2b01",
                "Encoded PowerShell download cradle",
                "stable",
                "high",
                &["attack.t1059.001", "attack.execution"],
            ),
        ),
        (
            "rules/exchange.yml",
            &native(
                "6b0c4b1e-2222-4c1e-9a41-0d5f0f1a2b02",
                "Exchange server exploitation | new variant",
                "experimental",
                "critical",
                &["attack.t1190", "attack.initial-access"],
            ),
        ),
        (
            "rules/webshell.yml",
            &native(
                "6b0c4b1e-3333-4c1e-9a41-0d5f0f1a2b03",
                "Web shell & PowerShell on IIS <legacy tags>",
                "test",
                "medium",
                &["attack.t1505.003", "attack.t1086", "attack.persistence"],
            ),
        ),
        ("sigma/whoami.yml", common::SIGMA_WHOAMI),
        (
            "sigma/future.yml",
            "title: A rule tagged with tactics newer than the embedded data\n\
             id: 7c2d9e10-4444-4b5f-8c3a-2d1e0f9a8b04\nstatus: experimental\n\
             description: Uses tags of a later ATT&CK release.\nauthor: tests\ndate: 2026-05-01\n\
             tags:\n    - attack.stealth\n    - attack.t1685\n    - attack.g0016\n\
             logsource:\n    category: process_creation\n    product: windows\n\
             detection:\n    selection:\n        Image|endswith: '\\x.exe'\n    condition: selection\n\
             level: informational\n",
        ),
        ("rules/broken.yml", "title: [unclosed\n"),
    ]);
    std::fs::write(
        dir.path().join("ruleforge.toml"),
        "[lint]\nroots = [\"rules\", \"sigma\"]\n",
    )
    .unwrap();
    dir
}

#[test]
fn coverage_text_snapshot() {
    let dir = coverage_repo();
    let (code, out, err) = run(dir.path(), &["coverage"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("coverage_text", out);
}

#[test]
fn coverage_markdown_snapshot() {
    let dir = coverage_repo();
    let (code, out, err) = run(dir.path(), &["coverage", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("coverage_markdown", out);
}

#[test]
fn coverage_json_counts() {
    let dir = coverage_repo();
    let (code, out, err) = run(dir.path(), &["coverage", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rules"]["total"], 5);
    assert_eq!(v["attack"]["version"], "18.1");
    let ids: Vec<&str> = v["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["T1033", "T1059.001", "T1086", "T1190", "T1505.003"]);
    let t1190 = &v["techniques"][3];
    assert_eq!(t1190["name"], "Exploit Public-Facing Application");
    assert_eq!(t1190["only_experimental_or_deprecated"], true);
    assert_eq!(t1190["by_severity"]["critical"], 1);
    assert_eq!(
        v["techniques"][2]["attack_status"],
        "revoked: use T1059.001"
    );
    let unknown: Vec<&str> = v["unknown_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["tag"].as_str().unwrap())
        .collect();
    assert_eq!(unknown, ["attack.stealth", "attack.t1685"]);
    assert!(v["not_read"][0]
        .as_str()
        .unwrap()
        .starts_with("rules/broken.yml"));
}

#[test]
fn coverage_navigator_layer_loads_in_mitreattack_python() {
    let dir = coverage_repo();
    let layer = dir.path().join("layer.json");
    let (code, _, err) = run(
        dir.path(),
        &[
            "coverage",
            "--format",
            "navigator",
            "--out",
            layer.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer).unwrap()).unwrap();
    assert_eq!(v["versions"]["layer"], "4.5");
    let scored: Vec<(&str, u64)> = v["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| Some((t["techniqueID"].as_str()?, t["score"].as_u64()?)))
        .collect();
    assert_eq!(
        scored,
        [
            ("T1033", 1),
            ("T1059.001", 1),
            ("T1190", 1),
            ("T1505.003", 1)
        ]
    );
    let py = python();
    let Some(py) = engine(
        "mitreattack-python",
        &py,
        &["-c", "import mitreattack.navlayers"],
    ) else {
        return;
    };
    // MITRE's loader: strict, and any message it prints (it reports problems by printing)
    // fails the check. The loaded layer must keep every technique, score and comment.
    let script = r#"
import contextlib, io, json, sys
from mitreattack.navlayers import Layer
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    layer = Layer(strict=True)
    layer.from_file(sys.argv[1])
    out = layer.to_dict()
if buf.getvalue().strip():
    sys.exit("mitreattack-python complained: " + buf.getvalue())
src = json.load(open(sys.argv[1]))
assert out["versions"]["layer"] == "4.5", out["versions"]
assert out["domain"] == "enterprise-attack"
got = {t["techniqueID"]: (t.get("score"), t.get("comment")) for t in out["techniques"]}
for t in src["techniques"]:
    assert got[t["techniqueID"]] == (t.get("score"), t.get("comment")), t
print("loaded", len(out["techniques"]), "techniques")
"#;
    let o = Command::new(&py)
        .args(["-c", script])
        .arg(&layer)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn coverage_svg_is_xml_and_renders_to_png() {
    let dir = coverage_repo();
    let svg_path = dir.path().join("coverage.svg");
    let (code, _, err) = run(
        dir.path(),
        &[
            "coverage",
            "--format",
            "svg",
            "-o",
            svg_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(texts.contains(&"Initial Access"), "{texts:?}");
    // A covered cell names its rules in its tooltip; titles are escaped, not markup.
    let tips: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        tips.iter()
            .any(|t| t.starts_with("T1505 Server Software Component: 1 rule")
                && t.contains("Web shell & PowerShell on IIS <legacy tags> [test]")),
        "{tips:?}"
    );
    assert!(
        !svg.contains("<script") && !svg.contains("href"),
        "not self-contained"
    );
    let Some(rsvg) = engine(
        "rsvg-convert (librsvg2-bin)",
        "rsvg-convert",
        &["--version"],
    ) else {
        return;
    };
    let png = dir.path().join("coverage.png");
    let o = Command::new(&rsvg)
        .arg(&svg_path)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // The IHDR chunk: width and height as wide as the SVG says.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(
        width.to_string(),
        root.attribute("width").unwrap(),
        "PNG width"
    );
}

#[test]
fn coverage_html_is_self_contained() {
    let dir = coverage_repo();
    let (code, html, err) = run(dir.path(), &["coverage", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(html.contains("Exchange server exploitation | new variant"));
    assert!(html.contains("Web shell &amp; PowerShell on IIS &lt;legacy tags&gt;"));
    assert!(html.contains("The MITRE Corporation"));
}

#[test]
fn coverage_writes_atomically_and_reports_unwritable_output() {
    let dir = coverage_repo();
    let (code, _, err) = run(
        dir.path(),
        &["coverage", "--out", "no/such/folder/coverage.txt"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no/such/folder/coverage.txt: cannot write"),
        "{err}"
    );
    let (code, _, err) = run(dir.path(), &["coverage", "missing-folder"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing-folder"), "{err}");
}

#[test]
fn pre_commit_hooks_pass_a_good_rule_and_fail_a_bad_one() {
    let Some(pre_commit) = engine("pre-commit", "pre-commit", &["--version"]) else {
        return;
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ruleforge")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);
    let try_repo = |hooks: &[&str]| {
        let mut cmd = Command::new(&pre_commit);
        let o = isolate(&mut cmd)
            .current_dir(dir.path())
            .arg("try-repo")
            .arg(source)
            .args(hooks)
            .arg("--all-files")
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", cache.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let (code, out) = try_repo(&[]);
    assert_eq!(code, Some(0), "{out}");
    for hook in ["ruleforge lint", "ruleforge fmt --check", "ruleforge test"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(hook) && l.ends_with("Passed")),
            "{hook}: {out}"
        );
    }
    // A bad rule: lint fails and names the place; an unformatted one: fmt fails.
    let rule = "rules/examples/eicar-test-file.yml";
    let good = std::fs::read_to_string(dir.path().join(rule)).unwrap();
    write(
        dir.path(),
        rule,
        &good.replace("severity: low", "severity: bogus"),
    );
    git(dir.path(), &["add", "-A"]);
    let (code, out) = try_repo(&["ruleforge-lint"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{rule}:5:11: RF010")), "{out}");
    write(
        dir.path(),
        rule,
        &good.replace("severity: low", "severity:   low"),
    );
    git(dir.path(), &["add", "-A"]);
    let (code, out) = try_repo(&["ruleforge-fmt"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(rule), "{out}");
}
