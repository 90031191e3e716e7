//! `ruleforge fmt`, `new`, `test` and `match` on temporary repositories.

mod common;

use assert_cmd::Command;
use common::GitRepo;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A repository whose own configuration names its author (`ruleforge new` reads it).
struct Repo {
    repo: GitRepo,
}

impl Repo {
    fn new() -> Repo {
        let repo = GitRepo::new();
        repo.git(&["config", "user.name", "Jane Analyst"]);
        repo.git(&["config", "user.email", "jane@example.com"]);
        std::fs::create_dir_all(repo.path().join("rules")).unwrap();
        Repo { repo }
    }

    fn write(&self, rel: &str, text: &str) {
        self.repo.write(rel, text);
    }

    fn read(&self, rel: &str) -> String {
        self.repo.read(rel)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.repo.ruleforge();
        c.args(args);
        c
    }
}

const CANONICAL: &str = r"# yaml-language-server: $schema=../schemas/rule.schema.json
id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c
title: ProxyLogon web shell written under aspnet_client
status: test
severity: high
author: ruleforge maintainers
created: 2021-03-03
modified: 2021-11-22
description: |
  ASPX script dropped in the Exchange aspnet_client folder, where HAFNIUM and other actors
  wrote China Chopper web shells after exploiting CVE-2021-26855 and CVE-2021-27065.
indicators:
  drop_path:
    file_path:
      - C:\inetpub\wwwroot\aspnet_client\*
  script_ext:
    file_name:
      - '*.aspx'
condition: drop_path and script_ext
tests:
  - name: aspx in aspnet_client
    expect: match
    event:
      file.path: C:\inetpub\wwwroot\aspnet_client\system_web\discover.aspx
      file.name: discover.aspx
  - name: css in aspnet_client
    expect: no_match
    event:
      file.path: C:\inetpub\wwwroot\aspnet_client\site.css
      file.name: site.css
";

const MESSY: &str = r"# yaml-language-server: $schema=../schemas/rule.schema.json
# about the title
title: 'SUNBURST C2 domain lookups'   # short and clear
id: 5b0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d
status: test
severity: critical
author: ruleforge maintainers
created: 2020-12-13
modified: 2021-01-11
description: DNS lookups of the SUNBURST command-and-control domain and its subdomains.
indicators:
    c2:
        domain: [AVSVMCLOUD.com., '*.avsvmcloud.com']   # both forms
        # more domains to come
";

#[test]
fn fmt_check_lists_files_and_exits_1_without_writing() {
    let r = Repo::new();
    r.write("rules/good.yml", CANONICAL);
    r.write("rules/messy.yml", MESSY);
    r.cmd(&["fmt", "--check"])
        .assert()
        .code(1)
        .stdout("would reformat rules/messy.yml\n")
        .stderr(predicate::str::contains(
            "1 file would be reformatted, 1 file already formatted",
        ));
    assert_eq!(r.read("rules/messy.yml"), MESSY);
    r.cmd(&["fmt", "--check", "rules/good.yml"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn fmt_writes_keeps_comments_and_is_idempotent() {
    let r = Repo::new();
    r.write("rules/messy.yml", MESSY);
    r.cmd(&["fmt"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 file reformatted"));
    let want = r"# yaml-language-server: $schema=../schemas/rule.schema.json
id: 5b0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d
# about the title
title: SUNBURST C2 domain lookups # short and clear
status: test
severity: critical
author: ruleforge maintainers
created: 2020-12-13
modified: 2021-01-11
description: DNS lookups of the SUNBURST command-and-control domain and its subdomains.
indicators:
  c2:
    domain:
      - avsvmcloud.com
      - '*.avsvmcloud.com' # both forms
    # more domains to come
";
    assert_eq!(r.read("rules/messy.yml"), want);
    r.cmd(&["fmt"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "0 files reformatted, 1 file left unchanged",
        ));
    assert_eq!(r.read("rules/messy.yml"), want);
    r.cmd(&["fmt", "--check"]).assert().success();
}

/// `fmt` writes only the files whose text changes: a file already in the canonical layout
/// keeps its inode and modification time (build tools and editors see no change).
#[test]
fn fmt_writes_only_changed_files() {
    use std::os::unix::fs::MetadataExt;
    let r = Repo::new();
    r.write("rules/good.yml", CANONICAL);
    r.write("rules/messy.yml", MESSY);
    let stamp = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let ids = |rel: &str| {
        let m = std::fs::metadata(r.repo.path().join(rel)).unwrap();
        (m.ino(), m.modified().unwrap())
    };
    for rel in ["rules/good.yml", "rules/messy.yml"] {
        let f = std::fs::File::options()
            .write(true)
            .open(r.repo.path().join(rel))
            .unwrap();
        f.set_modified(stamp).unwrap();
    }
    let (good, messy) = (ids("rules/good.yml"), ids("rules/messy.yml"));
    assert_eq!(good.1, stamp);
    r.cmd(&["fmt"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "1 file reformatted, 1 file left unchanged",
        ));
    assert_eq!(ids("rules/good.yml"), good);
    assert_eq!(r.read("rules/good.yml"), CANONICAL);
    assert_ne!(ids("rules/messy.yml"), messy);
    assert_ne!(r.read("rules/messy.yml"), MESSY);
}

#[test]
fn fmt_diff_prints_a_unified_diff() {
    let r = Repo::new();
    r.write("rules/messy.yml", MESSY);
    let out = r
        .cmd(&["fmt", "--diff"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.starts_with("--- a/rules/messy.yml\n+++ b/rules/messy.yml\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains("-title: 'SUNBURST C2 domain lookups'   # short and clear\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+title: SUNBURST C2 domain lookups # short and clear\n"),
        "{diff}"
    );
    assert!(diff.contains("+      - avsvmcloud.com\n"), "{diff}");
    assert_eq!(r.read("rules/messy.yml"), MESSY);
}

#[test]
fn fmt_leaves_unparsable_files_untouched() {
    let r = Repo::new();
    let broken = "id: x\ntitle: [unclosed\n";
    r.write("rules/broken.yml", broken);
    r.write("rules/messy.yml", MESSY);
    r.cmd(&["fmt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rules/broken.yml:3:1: RF001 invalid YAML",
        ))
        .stderr(predicate::str::contains("1 file could not be formatted"));
    assert_eq!(r.read("rules/broken.yml"), broken);
    // The other file was still formatted.
    assert_ne!(r.read("rules/messy.yml"), MESSY);
    let dup = "a: 1\na: 2\n";
    r.write("rules/dup.yml", dup);
    r.cmd(&["fmt", "rules/dup.yml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rules/dup.yml:2:1: RF002 duplicate key `a`",
        ));
    assert_eq!(r.read("rules/dup.yml"), dup);
}

#[test]
fn new_scaffolds_a_rule_lint_flags_until_filled_in() {
    let r = Repo::new();
    r.cmd(&["new", "--title", "SUNBURST backdoor DLL by hash"])
        .assert()
        .success()
        .stdout("rules/sunburst-backdoor-dll-by-hash.yml\n");
    let text = r.read("rules/sunburst-backdoor-dll-by-hash.yml");
    assert!(
        text.starts_with("# yaml-language-server: $schema=../schemas/rule.schema.json\nid: "),
        "{text}"
    );
    assert!(
        text.contains("title: SUNBURST backdoor DLL by hash\n"),
        "{text}"
    );
    assert!(text.contains("author: Jane Analyst\n"), "{text}");
    assert!(text.contains("status: experimental\n"), "{text}");
    let id = text.lines().nth(1).unwrap().strip_prefix("id: ").unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4 && u.to_string() == id)
    );
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(
        text.contains(&format!("created: {today}\nmodified: {today}\n")),
        "{text}"
    );
    // Already canonical.
    r.cmd(&["fmt", "--check"]).assert().success();
    // The placeholders are lint errors.
    r.cmd(&["lint", "--output-format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("RF108"));
    // Its own test passes.
    r.cmd(&["test"]).assert().success();
    // Never overwrites.
    r.cmd(&["new", "--title", "SUNBURST backdoor DLL by hash"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    // --dir: the modeline path follows.
    r.cmd(&[
        "new",
        "--title",
        "Another rule in a subfolder",
        "--dir",
        "rules/nobelium/2021",
    ])
    .assert()
    .success()
    .stdout("rules/nobelium/2021/another-rule-in-a-subfolder.yml\n");
    assert!(r
        .read("rules/nobelium/2021/another-rule-in-a-subfolder.yml")
        .starts_with("# yaml-language-server: $schema=../../../schemas/rule.schema.json\n"));
}

#[test]
fn new_from_copies_a_rule_with_a_derived_link() {
    let r = Repo::new();
    r.write("rules/hafnium/webshell.yml", CANONICAL);
    r.cmd(&[
        "new",
        "--title",
        "ProxyLogon web shell under the OWA auth folder",
        "--from",
        "0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c",
    ])
    .assert()
    .success()
    .stdout("rules/proxylogon-web-shell-under-the-owa-auth-folder.yml\n");
    let text = r.read("rules/proxylogon-web-shell-under-the-owa-auth-folder.yml");
    assert!(text.starts_with("# yaml-language-server: $schema=../schemas/rule.schema.json\n"));
    assert!(
        !text.contains("id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c\ntitle"),
        "{text}"
    );
    assert!(
        text.contains(
            "related:\n  - id: 0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c\n    type: derived\n"
        ),
        "{text}"
    );
    assert!(text.contains("title: ProxyLogon web shell under the OWA auth folder\n"));
    assert!(text.contains("author: Jane Analyst\n"));
    assert!(text.contains("      - C:\\inetpub\\wwwroot\\aspnet_client\\*\n"));
    r.cmd(&["fmt", "--check"]).assert().success();
    r.cmd(&["test"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 passed, 0 failed"));
    r.cmd(&[
        "new",
        "--title",
        "Whatever rule title",
        "--from",
        "no-such-id",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("no rule with id `no-such-id`"));
}

#[test]
fn test_passes_and_fails_with_explanations() {
    let r = Repo::new();
    r.write("rules/webshell.yml", CANONICAL);
    r.cmd(&["test"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "test result: ok. 2 passed, 0 failed; 0 files with errors; 1 rule (0 without tests)",
        ));
    let failing = CANONICAL.replace("expect: no_match", "expect: match");
    r.write("rules/webshell.yml", &failing);
    let out = r.cmd(&["test"]).assert().code(1).get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("FAIL rules/webshell.yml:26:5: test `css in aspnet_client` expected match, got no_match"),
        "{text}"
    );
    assert!(text.contains("    file.name: site.css\n"), "{text}");
    assert!(
        text.contains("condition `drop_path and script_ext` is false"),
        "{text}"
    );
    assert!(text.contains("group `script_ext`: no match"), "{text}");
    assert!(
        text.contains("test result: FAILED. 1 passed, 1 failed"),
        "{text}"
    );

    let out = r
        .cmd(&["test", "--output-format", "json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["passed"], 1);
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(v["results"][1]["passed"], false);
    assert_eq!(v["results"][1]["outcome"], "no_match");
    assert_eq!(v["results"][1]["explanation"]["groups"][0]["matched"], true);
    assert_eq!(
        v["results"][1]["explanation"]["groups"][0]["types"][0]["hits"][0]["field"],
        "file.path"
    );
}

#[test]
fn test_counts_unparsable_files_and_bad_conditions() {
    let r = Repo::new();
    r.write("rules/webshell.yml", CANONICAL);
    r.write("rules/broken.yml", "id: [\n");
    r.write(
        "rules/badcond.yml",
        &CANONICAL.replace(
            "condition: drop_path and script_ext",
            "condition: drop_path and",
        ),
    );
    let out = r.cmd(&["test"]).assert().code(1).get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("error: rules/broken.yml:2:1: RF001"),
        "{text}"
    );
    assert!(
        text.contains("error: rules/badcond.yml:19:25: RF301 condition does not parse"),
        "{text}"
    );
    assert!(
        text.contains("2 passed, 0 failed; 2 files with errors"),
        "{text}"
    );
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

#[test]
fn match_on_the_vectors_gives_the_expected_output() {
    let v = vectors();
    let expected = std::fs::read_to_string(v.join("expected.ndjson")).unwrap();
    Command::cargo_bin("ruleforge")
        .unwrap()
        .current_dir(&v)
        .args(["match", "rules", "--event", "events.ndjson"])
        .assert()
        .success()
        .stdout(expected.clone());
    // The same events as a JSON array on standard input.
    let events: Vec<serde_json::Value> = std::fs::read_to_string(v.join("events.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Command::cargo_bin("ruleforge")
        .unwrap()
        .current_dir(&v)
        .args(["match", "rules", "--event", "-", "--stats"])
        .write_stdin(serde_json::to_string_pretty(&events).unwrap())
        .assert()
        .success()
        .stdout(expected)
        .stderr(predicate::str::contains("51 events"));
}

/// A live input (a pipe left open, as `tail -f eve.json | ruleforge match …` leaves it) gets
/// each event's matches while it is still open: not when 8,192 more events have come, nor at
/// its end.
#[test]
fn match_writes_the_matches_of_a_live_input_as_its_events_come() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let v = vectors();
    let expected = std::fs::read_to_string(v.join("expected.ndjson")).unwrap();
    let events = std::fs::read_to_string(v.join("events.ndjson")).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ruleforge"))
        .current_dir(&v)
        .args(["match", "rules", "--event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // `n` output lines, read while the input stays open (the limit only stops a run that
    // would otherwise wait for ever).
    let take = |n: usize, child: &mut std::process::Child| -> Vec<String> {
        (0..n)
            .map(|i| {
                rx.recv_timeout(std::time::Duration::from_secs(120))
                    .unwrap_or_else(|e| {
                        let _ = child.kill();
                        panic!("{i} of {n} matches written while the input is open: {e}")
                    })
            })
            .collect()
    };
    // The first events, read while the rules load.
    stdin.write_all(events.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(take(want.len(), &mut child), want);
    // One more, after: event 51, the first event again.
    let first = events.lines().next().unwrap();
    stdin.write_all(format!("{first}\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let again: Vec<String> = want
        .iter()
        .filter_map(|l| l.strip_prefix("{\"event\":0,"))
        .map(|rest| format!("{{\"event\":51,{rest}"))
        .collect();
    assert!(!again.is_empty());
    assert_eq!(take(again.len(), &mut child), again);
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

/// The events of `ruleforge match` output, in order.
fn matched_events(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

#[test]
fn match_reads_any_layout_of_objects_in_order() {
    let r = Repo::new();
    r.write("rules/webshell.yml", CANONICAL);
    let path = r#""C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx""#;
    let hit = format!(r#"{{"file.path": {path}, "file.name": "a.aspx"}}"#);
    let events = [
        hit.clone(),
        "   ".to_string(),
        // Nested objects, and a field through both spellings.
        format!(
            r#"{{"file": {{"path": [{path}, 1, null], "name": "b.aspx"}}, "event": {{"id": 2}}}}"#
        ),
        // A repeated key: the last one counts, as in a JSON object.
        format!(r#"{{"file.name": "a.aspx", "file.path": {path}, "file.name": "a.css"}}"#),
        // Two objects on one line, then one over several lines.
        format!(r#"{{"file.name": "x.css"}} {hit}"#),
        format!("{{\n  \"file.name\": \"c.aspx\",\n  \"file.path\": {path}\n}}"),
        hit.clone(),
    ];
    let mut text = events.join("\n");
    // Past the first parallel batch.
    for _ in 0..9000 {
        text.push('\n');
        text.push_str(&hit);
    }
    r.write("events.ndjson", &text);
    let out = r
        .cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let got = matched_events(&out);
    assert_eq!(got[..4], [0, 1, 4, 5], "{}", String::from_utf8_lossy(&out));
    assert_eq!(got.len(), 9005);
    assert_eq!(got[got.len() - 1], 9006);

    // An error past the first batch names its line; the events before it were matched.
    let mut text = String::new();
    for _ in 0..9000 {
        text.push_str(&hit);
        text.push('\n');
    }
    r.write(
        "events.ndjson",
        &format!("{text}\n{{\"file.name\" \"a\"}}\n{hit}\n"),
    );
    r.cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "events.ndjson:9002:14: invalid JSON: expected `:` at line 9002 column 14",
        ));
    r.write("events.ndjson", &format!("{text}[{hit}]\n"));
    r.cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "event 9000: an event must be a JSON object",
        ));
}

#[test]
fn match_reports_bad_input() {
    let r = Repo::new();
    r.write("rules/webshell.yml", CANONICAL);
    r.write(
        "events.ndjson",
        "{\"file.name\": \"a.aspx\"}\n{\"file.name\": \n",
    );
    r.cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("events.ndjson:3:0: invalid JSON"));
    r.write("events.ndjson", "[1]");
    r.cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "event 0: an event must be a JSON object",
        ));
    r.write("events.ndjson", "{\"file.path\": \"C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\a.aspx\", \"file.name\": \"a.aspx\"}");
    r.write("rules/broken.yml", "id: [\n");
    r.cmd(&["match", "rules", "--event", "events.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rules/broken.yml:2:1: RF001"))
        .stderr(predicate::str::contains("--skip-invalid"));
    r.cmd(&[
        "match",
        "rules",
        "--event",
        "events.ndjson",
        "--skip-invalid",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "\"id\":\"0b9e6c5e-3a5f-4f0a-9d57-6c1f0f1a2b3c\"",
    ));
    r.cmd(&["match", "rules", "--event", "missing.ndjson"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.ndjson"));
}

/// The configuration's rule selectors are checked by lint, and every command reads its
/// configuration through the same place: `fmt`, `test` and `new` reject what `lint` rejects,
/// naming the file.
#[test]
fn every_command_rejects_a_configuration_lint_rejects() {
    let r = Repo::new();
    r.write("rules/good.yml", CANONICAL);
    r.write("ruleforge.toml", "[lint]\nignore = [\"RF9X\"]\n");
    for args in [
        &["lint"][..],
        &["fmt", "--check"],
        &["test"],
        &["new", "--title", "A new rule title"],
    ] {
        r.cmd(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "ruleforge.toml: unknown rule code or prefix `RF9X` (see `ruleforge rule --all`)",
            ));
    }
}

/// An error that stops a command keeps its cause: the context the command adds, then the
/// library's message.
#[test]
fn errors_keep_their_cause() {
    let r = Repo::new();
    r.write("rules/good.yml", CANONICAL);
    r.cmd(&["match", "rules", "--event", "no-such-events.json"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::is_match(
                r"ruleforge: error: no-such-events\.json: .*(No such file|not found)",
            )
            .unwrap(),
        );
}
