//! `ruleforge export sigma`: the rules' shape, every skip reason, Sigma sources copied,
//! reproducibility, `ruleforge lint` on the output, and the real tools as judges
//! (`engines_*`: `sigma check`, `sigma convert` with the Splunk and Elasticsearch backends).

mod common;

use common::engines;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `ruleforge export sigma` in `cwd` into `out`; returns the report.
fn export(cwd: &Path, out: &Path, args: &[&str], paths: &[&str]) -> Value {
    common::export::run(cwd, "sigma", out, args, paths)
}

fn outcome<'a>(report: &'a Value, id: &str) -> &'a Value {
    common::export::outcome(report, "sigma", id)
}

fn read(out: &Path, id: &str) -> Option<String> {
    std::fs::read_to_string(out.join(format!("sigma/{id}.yml"))).ok()
}

fn vector_id(n: u32) -> String {
    format!("7f000000-0000-4000-8000-{n:012}")
}

/// A folder with `rules/r.yml` holding one rule with these indicators and condition.
fn one_rule(dir: &Path, id: &str, indicators: &str, condition: &str) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("rules/r.yml"),
        format!(
            "id: {id}\ntitle: Export test\nstatus: stable\nseverity: high\nauthor: tests\n\
             created: 2025-01-15\nmodified: 2025-02-01\n\
             description: An export test rule.\ntlp: amber\n\
             tags:\n  - attack.initial-access\n  - attack.t1190\n  - cve.2021-26855\n  - actor.hafnium\n\
             references:\n  - https://example.org/report\n\
             indicators:\n{indicators}{condition}"
        ),
    )
    .unwrap();
}

#[test]
fn conditions_selections_and_metadata() {
    let out = tempfile::tempdir().unwrap();
    let report = export(Path::new(ROOT), out.path(), &[], &["tests/vectors/rules"]);
    // `1 of hash_* or (proc and cmd)`: one process_creation rule.
    let text = read(out.path(), &vector_id(10)).unwrap();
    assert!(text.contains("category: process_creation"), "{text}");
    assert!(
        text.contains(
            "condition: (sel_cmd_command_line and sel_proc_process_name) or sel_hash_md5_md5 or sel_hash_sha1_sha1"
        ),
        "{text}"
    );
    assert!(text.contains("- Hashes|contains: 'MD5=0123456789ABCDEF0123456789ABCDEF'"));
    assert!(text.contains("- Image|endswith: '\\w3wp.exe'"));
    assert!(text.contains("- CommandLine|contains: 'cmd.exe /c '"));
    assert_eq!(outcome(&report, &vector_id(10))["status"], "exported");
    // Windows paths: a backslash before a wildcard is doubled, others are not.
    let text = read(out.path(), &vector_id(2)).unwrap();
    assert!(
        text.contains(r"- TargetFilename|startswith: 'C:\inetpub\wwwroot\aspnet_client\\'"),
        "{text}"
    );
    // `?.ashx` as a name would be widened by the full path: left out, the rule partial.
    let o = outcome(&report, &vector_id(2));
    assert_eq!(o["status"], "partial");
    assert_eq!(o["omitted"][0]["code"], "sigma-name-glob");
    // User agents are case-sensitive: an anchored `|re`.
    let text = read(out.path(), &vector_id(5)).unwrap();
    assert!(
        text.contains(r"- c-useragent|re: '^Mozilla/4\.0 \(compatible; MSIE 6\.0; .*$'"),
        "{text}"
    );
    // `not` cannot be exported.
    assert_eq!(outcome(&report, &vector_id(11))["code"], "negation");
    assert!(read(out.path(), &vector_id(11)).is_none());

    let dir = tempfile::tempdir().unwrap();
    let id = "7f000000-0000-4000-8000-0000000000b1";
    one_rule(
        dir.path(),
        id,
        "  c2:\n    domain:\n      - evil.example\n      - '*.evil.example'\n",
        "",
    );
    export(dir.path(), &dir.path().join("out"), &[], &[]);
    let text = read(&dir.path().join("out"), id).unwrap();
    for line in [
        "id: 7f000000-0000-4000-8000-0000000000b1",
        "status: stable",
        "date: 2025-01-15",
        "modified: 2025-02-01",
        "level: high",
        "  - attack.initial-access\n  - attack.t1190\n  - cve.2021-26855\n",
        "ruleforge:\n  tlp: 'amber'\n  tags:\n    - 'actor.hafnium'\n",
        "category: dns",
        "- query:\n        - 'evil.example'\n        - 'evil.example.'\n",
        "- query|endswith:\n        - '.evil.example'\n        - '.evil.example.'\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn several_log_sources_give_several_documents() {
    let dir = tempfile::tempdir().unwrap();
    let id = "7f000000-0000-4000-8000-0000000000b2";
    one_rule(
        dir.path(),
        id,
        "  c2_domain:\n    domain:\n      - evil.example\n  c2_ip:\n    ip:\n      - 192.0.2.0/24\n",
        "",
    );
    let report = export(dir.path(), &dir.path().join("out"), &[], &[]);
    assert_eq!(outcome(&report, id)["status"], "exported");
    let text = read(&dir.path().join("out"), id).unwrap();
    let docs: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(docs.len(), 2, "{text}");
    assert!(docs[0].contains("category: dns") && docs[1].contains("category: network_connection"));
    assert!(docs[0].starts_with("title: 'Export test (dns)'"), "{text}");
    for d in &docs {
        assert!(
            !d.contains(&format!("\nid: {id}")),
            "each document has its own id"
        );
        assert!(d.contains(&format!("related:\n  - id: {id}\n    type: derived")));
    }
    assert!(docs[1].contains("- DestinationIp|cidr: '192.0.2.0/24'"));
}

#[test]
fn a_term_goes_to_the_log_source_all_its_groups_share() {
    // A user agent alone is a proxy query; with a URL path, both are in web server logs.
    let dir = tempfile::tempdir().unwrap();
    let id = "7f000000-0000-4000-8000-0000000000b3";
    one_rule(
        dir.path(),
        id,
        "  agent:\n    user_agent:\n      - 'Mozilla/5.0 zgrab/0.x'\n  path:\n    url_path:\n      - /owa/auth/*\n  lone_agent:\n    user_agent:\n      - 'curl/*'\n",
        "condition: (agent and path) or lone_agent\n",
    );
    let report = export(dir.path(), &dir.path().join("out"), &[], &[]);
    assert_eq!(outcome(&report, id)["status"], "exported");
    let text = read(&dir.path().join("out"), id).unwrap();
    let docs: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(docs.len(), 2, "{text}");
    assert!(docs[0].contains("category: proxy"), "{text}");
    assert!(docs[0].contains(r"- c-useragent|re: '^curl/.*$'"), "{text}");
    assert!(docs[1].contains("category: webserver"), "{text}");
    assert!(
        docs[1].contains(r"- cs-user-agent|re: '^Mozilla/5\.0 zgrab/0\.x$'"),
        "{text}"
    );
    assert!(
        docs[1].contains("- cs-uri-stem|startswith: '/owa/auth/'"),
        "{text}"
    );
    assert!(
        docs[1].contains("condition: sel_agent_user_agent and sel_path_url_path"),
        "{text}"
    );
}

#[test]
fn every_sigma_skip_reason() {
    let cases: [(&str, &str, &str); 6] = [
        (
            "sigma-no-logsource",
            "  m:\n    email:\n      - a@evil.example\n",
            "",
        ),
        (
            "sigma-logsources",
            "  mixed:\n    domain:\n      - evil.example\n    command_line:\n      - '*evil*'\n",
            "",
        ),
        (
            "sigma-logsources",
            "  a:\n    domain:\n      - evil.example\n  b:\n    command_line:\n      - '*evil*'\n",
            "condition: a and b\n",
        ),
        (
            "sigma-name-glob",
            "  n:\n    file_name:\n      - 'x?.dll'\n",
            "",
        ),
        (
            "sigma-url-normalization",
            "  u:\n    url:\n      - https://evil.example/gate\n",
            "",
        ),
        (
            "sigma-regex-dialect",
            "  c:\n    command_line:\n      - 'regex:\\p{Greek}+'\n",
            "",
        ),
    ];
    for (code, indicators, condition) in cases {
        let dir = tempfile::tempdir().unwrap();
        let id = "7f000000-0000-4000-8000-0000000000c1";
        one_rule(dir.path(), id, indicators, condition);
        let report = export(dir.path(), &dir.path().join("out"), &[], &[]);
        let o = outcome(&report, id);
        assert_eq!(o["status"], "skipped", "{code}: {o}");
        assert_eq!(o["code"], code, "{o}");
        assert!(read(&dir.path().join("out"), id).is_none(), "{code}");
    }
}

#[test]
fn urls_only_with_approximate_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let id = "7f000000-0000-4000-8000-0000000000d1";
    one_rule(
        dir.path(),
        id,
        "  u:\n    url:\n      - https://evil.example/gate\n",
        "",
    );
    let report = export(dir.path(), &dir.path().join("out"), &["--approximate"], &[]);
    let o = outcome(&report, id);
    assert_eq!(o["status"], "exported");
    assert!(o["approximations"][0].as_str().unwrap().contains("WHATWG"));
    let text = read(&dir.path().join("out"), id).unwrap();
    assert!(
        text.contains("- c-uri: 'https://evil.example/gate'"),
        "{text}"
    );
}

#[test]
fn sigma_source_rules_are_copied_as_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    let id = "5f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f";
    let text = format!(
        "title: Whoami run by a web server\nid: {id}\nstatus: test\n\
         description: Detects whoami run by IIS.\nauthor: tests\ndate: 2025-01-15\n\
         logsource:\n    category: process_creation\n    product: windows\n\
         detection:\n    selection:\n        ParentImage|endswith: '\\w3wp.exe'\n        Image|endswith: '\\whoami.exe'\n    condition: selection\n\
         level: high   # as written, comment and all\n"
    );
    std::fs::write(dir.path().join("rules/whoami.yml"), &text).unwrap();
    let report = export(dir.path(), &dir.path().join("out"), &[], &[]);
    assert_eq!(outcome(&report, id)["status"], "exported");
    assert_eq!(read(&dir.path().join("out"), id).unwrap(), text);
}

#[test]
fn documents_of_a_multi_document_file_become_files_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    let rule = "5f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e51";
    let correlation = "5f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e52";
    std::fs::write(
        dir.path().join("rules/whoami_by_iis_rules.yml"),
        format!(
            "title: Whoami by IIS\nid: {rule}\nname: whoami_by_iis\nstatus: test\n\
             description: Whoami run by IIS.\nauthor: tests\ndate: 2025-01-15\n\
             logsource:\n    category: process_creation\n    product: windows\n\
             detection:\n    selection:\n        ParentImage|endswith: '\\w3wp.exe'\n        Image|endswith: '\\whoami.exe'\n    condition: selection\n\
             level: high\n---\n\
             title: Many whoami by IIS\nid: {correlation}\nstatus: test\nauthor: tests\ndate: 2025-01-15\n\
             correlation:\n    type: event_count\n    rules:\n        - whoami_by_iis\n    group-by:\n        - ComputerName\n    timespan: 1h\n    condition:\n        gte: 5\n\
             level: high\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let report = export(dir.path(), &out, &[], &[]);
    for id in [rule, correlation] {
        assert_eq!(outcome(&report, id)["status"], "exported");
    }
    let text = read(&out, rule).unwrap();
    assert!(!text.contains("---"), "{text}");
    assert!(
        text.contains("    - Image|endswith: '\\whoami.exe'\n")
            || text.contains("  selection:\n    Image|endswith: '\\whoami.exe'\n"),
        "{text}"
    );
    let text = read(&out, correlation).unwrap();
    assert!(
        text.contains("correlation:\n  condition:\n    gte: 5\n"),
        "{text}"
    );
    lint_finds_no_error(&out);
    if let Some(sigma) = sigma_tool() {
        sigma_check(&sigma, &out);
    }
}

#[test]
fn the_export_is_byte_reproducible() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    export(Path::new(ROOT), a.path(), &[], &[]);
    export(Path::new(ROOT), b.path(), &[], &[]);
    let report = std::fs::read(a.path().join("export-report.json")).unwrap();
    assert_eq!(
        report,
        std::fs::read(b.path().join("export-report.json")).unwrap()
    );
    let mut n = 0;
    for e in std::fs::read_dir(a.path().join("sigma")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(b.path().join("sigma").join(name)).unwrap()
        );
        n += 1;
    }
    assert!(n > 0);
}

/// Every export this file judges: the shipped rules and the vectors, with and without
/// `--approximate`. Returns the output folders.
fn exports(work: &Path) -> Vec<std::path::PathBuf> {
    let mut outs = Vec::new();
    for (i, (args, paths)) in [
        (&[][..], &[][..]),
        (&["--approximate"][..], &[][..]),
        (&[][..], &["tests/vectors/rules"][..]),
        (&["--approximate"][..], &["tests/vectors/rules"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let out = work.join(format!("out{i}"));
        export(Path::new(ROOT), &out, args, paths);
        assert!(
            std::fs::read_dir(out.join("sigma")).unwrap().count() > 0,
            "nothing exported with {args:?} {paths:?}"
        );
        outs.push(out);
    }
    outs
}

#[test]
fn ruleforge_lint_finds_no_error_in_the_export() {
    let work = tempfile::tempdir().unwrap();
    for out in exports(work.path()) {
        lint_finds_no_error(&out);
    }
}

/// `ruleforge lint` on `out/sigma` reports no error.
fn lint_finds_no_error(out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_ruleforge"))
        .current_dir(out)
        .args(["lint", "--output-format", "json", "sigma"])
        .output()
        .unwrap();
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let findings: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("lint JSON: {e}: {}", String::from_utf8_lossy(&o.stdout)));
    let text = findings.to_string();
    assert!(text.contains("sigma/"), "lint read the files: {text}");
    let errors: Vec<&Value> = findings
        .as_array()
        .or_else(|| findings["diagnostics"].as_array())
        .expect("a list of findings")
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn sigma_tool() -> Option<String> {
    engines::tool("sigma", "RULEFORGE_SIGMA", "--help")
}

#[test]
fn engines_sigma_check_finds_no_error() {
    let Some(sigma) = sigma_tool() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    for out in exports(work.path()) {
        sigma_check(&sigma, &out);
    }
}

/// `sigma check` on `out/sigma` finds no error.
fn sigma_check(sigma: &str, out: &Path) {
    // Offline: the ATT&CK and D3FEND tag validators download their data.
    let o = Command::new(sigma)
        .args(["check", "-x", "attacktag", "-x", "d3_fendtag"])
        .arg(out.join("sigma"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "sigma check: {stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("Found 0 errors, 0 condition errors"),
        "{stdout}"
    );
}

#[test]
fn engines_splunk_and_elasticsearch_backends_convert_every_rule() {
    let Some(sigma) = sigma_tool() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    for out in exports(work.path()) {
        let files = std::fs::read_dir(out.join("sigma")).unwrap().count();
        for (target, pipeline, expect) in [
            ("splunk", "splunk_windows", "Hashes="),
            ("lucene", "ecs_windows", "winlog.event_data.Hashes:"),
        ] {
            let o = Command::new(&sigma)
                .args(["convert", "-t", target, "-p", pipeline])
                .arg(out.join("sigma"))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success(),
                "sigma convert -t {target}: {stdout}{}",
                String::from_utf8_lossy(&o.stderr)
            );
            let queries = stdout.lines().filter(|l| !l.trim().is_empty()).count();
            assert!(
                queries >= files,
                "{files} files, {queries} queries:\n{stdout}"
            );
            assert!(stdout.contains(expect), "{target}: {stdout}");
        }
    }
}
