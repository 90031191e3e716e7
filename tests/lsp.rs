//! `ruleforge lsp` driven over stdio by a small JSON-RPC client: the life cycle, diagnostics
//! (with versions, UTF-16 and UTF-8 positions), workspace checks against files on disk, code
//! actions, formatting against `fmt`, fix-all against `lint --fix`, hover, completion,
//! navigation, and bad input (malformed messages, unknown methods, garbage buffers).

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    /// Messages received and not yet looked at.
    backlog: Vec<Value>,
    next_id: i64,
}

fn read_frames(out: impl Read, tx: std::sync::mpsc::Sender<Value>) {
    let mut r = BufReader::new(out);
    loop {
        let mut len = None;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse::<usize>().ok();
            }
        }
        let mut body = vec![0; len.expect("a Content-Length header")];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let v: Value = serde_json::from_slice(&body).expect("the server sends JSON");
        if tx.send(v).is_err() {
            return;
        }
    }
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("ruleforge"));
        common::git::isolate(&mut c);
        let mut child = c
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ruleforge lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || read_frames(stdout, tx));
        Client {
            child,
            stdin,
            rx,
            backlog: Vec::new(),
            next_id: 1,
        }
    }

    /// Starts the server on `root` and initializes it, offering `encodings`.
    fn initialized(root: &Path, encodings: &[&str]) -> (Client, Value) {
        let mut c = Client::start(root);
        let uri = uri(root, "");
        let result = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "capabilities": {"general": {"positionEncodings": encodings}},
            }),
        );
        c.notify("initialized", json!({}));
        (c, result)
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: Value) {
        self.send_raw(v.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        match self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// The first message (backlog first) that `pred` accepts; the others stay in the backlog.
    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.recv(deadline);
            if pred(&v) {
                return v;
            }
            self.backlog.push(v);
        }
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|v| v.get("id") == Some(&json!(id)) && v.get("method").is_none())
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `uri` (at `version` when given).
    fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let uri = uri.to_string();
        let v = self.wait(|v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri.as_str()
                && version.is_none_or(|n| v["params"]["version"] == n)
        });
        v["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        self.diagnostics(uri, Some(1))
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(uri, Some(version))
    }

    /// `shutdown` then `exit`; returns the exit code.
    fn stop(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        wait_exit(&mut self.child)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn uri(root: &Path, path: &str) -> String {
    let root = root.canonicalize().unwrap();
    let p = if path.is_empty() {
        root
    } else {
        root.join(path)
    };
    url::Url::from_file_path(p).unwrap().to_string()
}

fn codes(ds: &[Value]) -> Vec<String> {
    ds.iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn fixture(code: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/lint/{code}/fires/rule.yml")).unwrap()
}

/// A rule whose description holds non-ASCII text before a finding on the same line.
fn non_ascii_rule() -> String {
    common::rule(common::RULE_ID, "Web shell by hash", &common::hash(1)).replace(
        "tags:\n  - attack.t1505.003\n",
        "tags:\n  - attack.t1505.003\nfalsepositives: ['Zürich 𝄞', 'x']\n",
    )
}

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| -> usize {
        let (line, ch) = (
            pos["line"].as_u64().unwrap() as usize,
            pos["character"].as_u64().unwrap() as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

#[test]
fn lifecycle_and_capabilities() {
    let repo = common::repo(&[]);
    let (client, init) = Client::initialized(repo.path(), &["utf-16"]);
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["hoverProvider"], true);
    assert!(caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .unwrap()
        .contains(&json!("source.fixAll.ruleforge")));
    assert_eq!(client.stop(), 0);

    // `exit` without `shutdown`: exit code 1, as LSP 3.17 says.
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    client.notify("exit", Value::Null);
    assert_eq!(wait_exit(&mut client.child), 1);
}

#[test]
fn diagnostics_match_lint_with_utf16_and_utf8_positions() {
    let text = non_ascii_rule().replace(&common::hash(1), &common::hash(1).to_uppercase());
    let repo = common::repo(&[("rules/a.yml", &text)]);
    let (_, out, _) = common::run(repo.path(), &["lint", "--output-format", "json"]);
    let lint: Value = serde_json::from_str(&out).unwrap();
    // (code, 0-based line) of each finding, as lint prints them.
    let lint_found: Vec<(String, u64)> = lint
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap() - 1,
            )
        })
        .collect();
    assert!(lint_found.iter().any(|(c, _)| c == "RF202"), "{out}");

    let a = uri(repo.path(), "rules/a.yml");
    let hash_line = text.lines().position(|l| l.contains("ABCDEF")).unwrap() as u64;
    let bad = text.replace("'x']", "'x', '']");
    let fp_line_text = bad
        .lines()
        .find(|l| l.starts_with("falsepositives"))
        .unwrap();
    let empty_at = fp_line_text.find("''").unwrap();
    let utf16_col = fp_line_text[..empty_at].encode_utf16().count();
    assert!(utf16_col < empty_at, "non-ASCII text before the finding");
    for (encoding, fp_col) in [("utf-16", utf16_col), ("utf-8", empty_at)] {
        let (mut client, init) = Client::initialized(repo.path(), &[encoding, "utf-16"]);
        assert_eq!(init["capabilities"]["positionEncoding"], encoding);
        let ds = client.open(&a, &text);
        let found: Vec<(String, u64)> = ds
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(found, lint_found, "{encoding}");
        let rf202 = ds.iter().find(|d| d["code"] == "RF202").unwrap();
        assert_eq!(rf202["range"]["start"]["line"], hash_line);
        assert_eq!(rf202["severity"], 2, "a warning");
        assert_eq!(rf202["source"], "ruleforge");
        // A finding after non-ASCII text on its line: RF202 on 'x' is not there, so make one.
        let ds = client.change(&a, 2, &bad);
        let fp_line = bad
            .lines()
            .position(|l| l.starts_with("falsepositives"))
            .unwrap() as u64;
        let empty = ds
            .iter()
            .find(|d| d["range"]["start"]["line"] == fp_line)
            .unwrap_or_else(|| panic!("a finding on the falsepositives line: {ds:?}"));
        assert_eq!(
            empty["range"]["start"]["character"], fp_col,
            "{encoding}: {empty}"
        );
        assert_eq!(client.stop(), 0);
    }
}

#[test]
fn workspace_checks_see_files_on_disk_and_republish_the_files_an_edit_affects() {
    let one = common::rule(common::RULE_ID, "First web shell rule", &common::hash(1));
    let two = common::rule(common::RULE_ID, "Second web shell rule", &common::hash(2));
    let repo = common::repo(&[("rules/one.yml", &one), ("rules/two.yml", &two)]);
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    let (u1, u2) = (
        uri(repo.path(), "rules/one.yml"),
        uri(repo.path(), "rules/two.yml"),
    );
    // two.yml is only on disk: the duplicate id is still seen.
    let ds = client.open(&u1, &one);
    assert!(codes(&ds).contains(&"RF401".into()), "{ds:?}");
    let related = ds.iter().find(|d| d["code"] == "RF401").unwrap()["relatedInformation"].clone();
    assert_eq!(related[0]["location"]["uri"], u2.as_str(), "{related}");
    let ds2 = client.open(&u2, &two);
    assert!(codes(&ds2).contains(&"RF401".into()));
    let line_of = |ds: &[Value]| {
        ds.iter().find(|d| d["code"] == "RF401").unwrap()["range"]["start"]["line"]
            .as_u64()
            .unwrap()
    };
    let before = line_of(&ds);
    // Two lines above the id in one.yml: the same findings, moved, in both files.
    let shifted = format!("# a\n# b\n{one}");
    let ds1 = client.change(&u1, 2, &shifted);
    assert_eq!(line_of(&ds1), before + 2, "{ds1:?}");
    let ds2 = client.diagnostics(&u2, None);
    let rel = &ds2.iter().find(|d| d["code"] == "RF401").unwrap()["relatedInformation"][0];
    assert_eq!(
        rel["location"]["range"]["start"]["line"],
        before + 2,
        "{rel}"
    );
    // A fresh id in the buffer of two.yml (not saved): one.yml is re-published without RF401.
    let fresh = two.replace(common::RULE_ID, "5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5");
    let ds2 = client.change(&u2, 2, &fresh);
    assert!(!codes(&ds2).contains(&"RF401".into()), "{ds2:?}");
    let ds1 = client.diagnostics(&u1, None);
    assert!(!codes(&ds1).contains(&"RF401".into()), "{ds1:?}");
    // Closing two.yml: the file on disk (old id) counts again.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": u2}}),
    );
    let ds1 = client.diagnostics(&u1, None);
    assert!(codes(&ds1).contains(&"RF401".into()), "{ds1:?}");
    // A watched-file change: two.yml deleted on disk.
    std::fs::remove_file(repo.path().join("rules/two.yml")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": u2, "type": 3}]}),
    );
    let ds1 = client.diagnostics(&u1, None);
    assert!(!codes(&ds1).contains(&"RF401".into()), "{ds1:?}");
    assert_eq!(client.stop(), 0);
}

/// What lint prints for one file: (code, 0-based line, 0-based column, message, related
/// places as (path, line)), in lint's order.
type Finding = (String, u64, u64, String, Vec<(String, u64)>);

fn lint_findings(root: &Path) -> std::collections::BTreeMap<String, Vec<Finding>> {
    let (_, out, err) = common::run(root, &["lint", "--output-format", "json"]);
    let lint: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let mut by_path: std::collections::BTreeMap<String, Vec<Finding>> = Default::default();
    for d in lint.as_array().unwrap() {
        let related = d["related"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        (
                            r["path"].as_str().unwrap().to_string(),
                            r["line"].as_u64().map_or(0, |l| l - 1),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        by_path
            .entry(d["path"].as_str().unwrap().to_string())
            .or_default()
            .push((
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().map_or(0, |l| l - 1),
                d["column"].as_u64().map_or(0, |c| c - 1),
                d["message"].as_str().unwrap().to_string(),
                related,
            ));
    }
    by_path
}

/// The same facts of published diagnostics (positions are UTF-16; the files are ASCII).
fn lsp_findings(root: &Path, ds: &[Value]) -> Vec<Finding> {
    let prefix = uri(root, "") + "/";
    ds.iter()
        .map(|d| {
            let related = d["relatedInformation"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            let u = r["location"]["uri"].as_str().unwrap();
                            (
                                u.strip_prefix(&prefix).unwrap_or(u).to_string(),
                                r["location"]["range"]["start"]["line"].as_u64().unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
                related,
            )
        })
        .collect()
}

/// After a series of edits (each saved to disk as well), the diagnostics last published for
/// every open file are what `lint --output-format json` reports for it: the repository-wide
/// checks kept up to date edit by edit agree with a whole run, and every file whose findings
/// an edit changed was published again.
#[test]
fn repository_findings_after_edits_equal_lint_on_the_same_files() {
    let id = |n: u8| format!("5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4{n:02x}");
    let native = |n: u8, title: &str, hash: u8| common::rule(&id(n), title, &common::hash(hash));
    let with_related = |text: String, to: &str| {
        text.replace(
            "references:\n",
            &format!("related:\n  - id: {to}\n    type: derived\nreferences:\n"),
        )
    };
    let sigma = |title: &str, id: &str, extra: &str| {
        format!(
            "title: {title}\nid: {id}\n{extra}status: test\ndescription: A Sigma rule of the test.\nauthor: ruleforge tests\ndate: 2024-03-01\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        Image|endswith: '\\x.exe'\n    condition: selection\nlevel: high\n"
        )
    };
    let correlation = |title: &str, refs: &[&str]| {
        let rules: String = refs.iter().map(|r| format!("        - {r}\n")).collect();
        format!(
            "title: {title}\nid: 3e8f1a2b-6c4d-4e5f-9a0b-1c2d3e4f5a6b\nstatus: test\ndescription: Several commands in a row.\nauthor: ruleforge tests\ndate: 2024-03-01\ncorrelation:\n    type: temporal\n    rules:\n{rules}    group-by:\n        - ComputerName\n    timespan: 10m\nlevel: high\n"
        )
    };
    let sid = |n: u8| format!("7d2b9c14-3f4e-4a51-8e6d-0c9a1b2f3e{n:02x}");
    let mut files: Vec<(&str, String)> = vec![
        ("rules/one.yml", native(1, "First web shell rule", 1)),
        ("rules/two.yml", native(2, "Second web shell rule", 1)),
        (
            "rules/three.yml",
            with_related(native(3, "Third web shell rule", 2), &id(9)),
        ),
        (
            "rules/sigma/whoami.yml",
            sigma("Whoami From a Web Server", &sid(1), ""),
        ),
        (
            "rules/sigma/net.yml",
            sigma("Net User From a Web Server", &sid(2), ""),
        ),
        (
            "rules/sigma/burst.yml",
            correlation("Recon Burst", &[&sid(1), &sid(2)]),
        ),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let repo = common::repo(&refs);
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    let mut versions = vec![1i64; files.len()];
    let mut published: std::collections::HashMap<String, Vec<Value>> = Default::default();
    let mut seen = std::collections::BTreeSet::new();
    for (path, text) in &files {
        let u = uri(repo.path(), path);
        let ds = client.open(&u, text);
        published.insert(u, ds);
    }
    let edits: Vec<(usize, String)> = vec![
        // The title of one.yml in two.yml: RF404 in both.
        (1, native(2, "First web shell rule", 1)),
        // The id of two.yml in one.yml, two lines further down: RF401 moves and appears.
        (
            0,
            format!("# a\n# b\n{}", native(2, "First web shell rule", 1)),
        ),
        // three.yml gets the id its related entry named: RF403 goes, and one.yml's hash.
        (
            2,
            with_related(native(9, "Third web shell rule", 1), &id(9)),
        ),
        // two.yml's value changes: RF402 leaves two.yml, stays between one and three.
        (1, native(2, "First web shell rule", 3)),
        // A title change of three.yml changes the RF402 message in one.yml.
        (
            2,
            with_related(native(9, "Renamed web shell rule", 1), &id(9)),
        ),
        // Sigma: net.yml deprecated, then given whoami's title and id; the correlation
        // names an unknown rule.
        (
            4,
            sigma("Net User From a Web Server", &sid(2), "")
                .replace("status: test", "status: deprecated"),
        ),
        (4, sigma(" whoami from a web server", &sid(1), "")),
        (5, correlation("Recon Burst", &[&sid(1), &sid(7)])),
        // Back to distinct facts.
        (0, native(1, "First web shell rule", 4)),
        (4, sigma("Net User From a Web Server", &sid(2), "")),
    ];
    for (step, (i, text)) in edits.into_iter().enumerate() {
        let (path, _) = files[i];
        repo.write(path, &text);
        versions[i] += 1;
        let u = uri(repo.path(), path);
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": versions[i]}, "contentChanges": [{"text": text}]}),
        );
        files[i].1 = text;
        // A request is answered after every publication its edits caused.
        client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": u}}),
        );
        for v in std::mem::take(&mut client.backlog) {
            if v["method"] == "textDocument/publishDiagnostics" {
                let ds = v["params"]["diagnostics"].as_array().unwrap().clone();
                published.insert(v["params"]["uri"].as_str().unwrap().to_string(), ds);
            }
        }
        let lint = lint_findings(repo.path());
        seen.extend(lint.values().flatten().map(|f| f.0.clone()));
        for (path, _) in &files {
            let got = lsp_findings(repo.path(), &published[&uri(repo.path(), path)]);
            let want = lint.get(*path).cloned().unwrap_or_default();
            assert_eq!(got, want, "step {step}: {path}");
        }
    }
    // The edits went through every repository-wide finding the files can give.
    for code in [
        "RF401", "RF402", "RF403", "RF404", "RF690", "RF691", "RF694", "RF695",
    ] {
        assert!(seen.contains(code), "{code} never reported: {seen:?}");
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn configuration_and_inline_suppressions_apply() {
    let text = fixture("RF202");
    let repo = common::repo(&[("rules/a.yml", &text)]);
    repo.write("ruleforge.toml", "[lint]\nignore = [\"RF205\"]\n");
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    let a = uri(repo.path(), "rules/a.yml");
    let ds = client.open(&a, &text);
    assert!(codes(&ds).contains(&"RF202".into()), "{ds:?}");
    assert!(!codes(&ds).iter().any(|c| c == "RF205"));
    // The "ignore on this line" action inserts the documented suppression, which silences it.
    let rf202 = ds.iter().find(|d| d["code"] == "RF202").unwrap().clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": a}, "range": rf202["range"], "context": {"diagnostics": [rf202]}}),
    );
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore RF202 on this line")
        .unwrap_or_else(|| panic!("{actions}"));
    let edits = ignore["edit"]["changes"][&a].as_array().unwrap();
    let suppressed = apply_edits(&text, edits);
    assert!(
        suppressed.contains("# ruleforge: ignore[RF202]"),
        "{suppressed}"
    );
    let line = rf202["range"]["start"]["line"].as_u64().unwrap();
    let ds = client.change(&a, 2, &suppressed);
    assert!(
        !ds.iter()
            .any(|d| d["code"] == "RF202" && d["range"]["start"]["line"] == line),
        "{ds:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn quick_fixes_fix_all_and_formatting_equal_the_cli() {
    let text = fixture("RF202");
    let repo = common::repo(&[("rules/a.yml", &text)]);
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    let a = uri(repo.path(), "rules/a.yml");
    let ds = client.open(&a, &text);
    let fixable = ds.iter().find(|d| d["code"] == "RF202").unwrap().clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": a}, "range": fixable["range"], "context": {"diagnostics": [fixable], "only": ["quickfix"]}}),
    );
    let quick: Vec<&Value> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "quickfix" && a["isPreferred"] == true)
        .collect();
    assert!(!quick.is_empty(), "{actions}");
    let all = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": a}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["kind"], "source.fixAll.ruleforge");
    let fixed = apply_edits(&text, all[0]["edit"]["changes"][&a].as_array().unwrap());
    let formatted = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": a}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply_edits(&text, formatted.as_array().unwrap());
    // The same files through the CLI.
    let (code, _, err) = common::run(repo.path(), &["lint", "--fix", "rules/a.yml"]);
    assert!(code <= 1, "{err}");
    let cli_fixed = std::fs::read_to_string(repo.path().join("rules/a.yml")).unwrap();
    assert_ne!(cli_fixed, text);
    assert_eq!(fixed, cli_fixed, "fix-all = lint --fix");
    std::fs::write(repo.path().join("rules/a.yml"), &text).unwrap();
    let (code, _, err) = common::run(repo.path(), &["fmt", "rules/a.yml"]);
    assert_eq!(code, 0, "{err}");
    let cli_formatted = std::fs::read_to_string(repo.path().join("rules/a.yml")).unwrap();
    assert_eq!(formatted, cli_formatted, "formatting = fmt");
    // An unparsable buffer: no formatting at all.
    client.change(&a, 2, "id: [\n");
    let none = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": a}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(none, Value::Null);
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_completion_and_navigation() {
    let other_id = "5d1c7a0e-8f2b-4c3d-9e4f-a0b1c2d3e4f5";
    let other = common::rule(other_id, "Older web shell rule", &common::hash(2));
    let text = common::rule(common::RULE_ID, "Web shell by hash", &common::hash(1)).replace(
        "indicators:",
        &format!("related:\n  - id: {other_id}\n    type: derived\nindicators:"),
    ) + "condition: webshell\n";
    let repo = common::repo(&[("rules/a.yml", &text), ("rules/old.yml", &other)]);
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    let a = uri(repo.path(), "rules/a.yml");
    client.open(&a, &text);
    let pos = |needle: &str, delta: usize| {
        let at = text.find(needle).unwrap() + delta;
        let line = text[..at].matches('\n').count();
        let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
        json!({"line": line, "character": col})
    };
    let hover = |client: &mut Client, p: Value| {
        client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": p}),
        )["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let h = hover(&mut client, pos("sha256:", 1));
    assert!(h.contains("file.hash.sha256"), "{h}");
    let h = hover(&mut client, pos("condition: webshell", 13));
    assert!(h.contains("`sha256`: 1 value"), "{h}");
    let h = hover(&mut client, pos(other_id, 3));
    assert!(
        h.contains("Older web shell rule") && h.contains("rules/old.yml"),
        "{h}"
    );
    // Definition: group name → group; related id → the other file.
    let d = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": a}, "position": pos("condition: webshell", 13)}),
    );
    assert_eq!(d["range"]["start"], pos("  webshell:", 2));
    let d = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": a}, "position": pos(other_id, 3)}),
    );
    assert_eq!(d["uri"], uri(repo.path(), "rules/old.yml"));
    // Symbols: the group.
    let s = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": a}}),
    );
    assert_eq!(s[0]["name"], "webshell");
    // Completion: severity values; group names in the condition.
    let with_cursor = text.replace("severity: high", "severity: ");
    client.change(&a, 2, &with_cursor);
    let at = with_cursor.find("severity: ").unwrap() + "severity: ".len();
    let line = with_cursor[..at].matches('\n').count();
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": a}, "position": {"line": line, "character": 10}}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["info", "low", "medium", "high", "critical"]);
    let cond_line = with_cursor.lines().count() - 1;
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": a}, "position": {"line": cond_line, "character": 11}}),
    );
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["label"] == "webshell"));
    assert_eq!(client.stop(), 0);
}

#[test]
fn bad_input_gets_errors_or_diagnostics_never_a_crash() {
    let repo = common::repo(&[]);
    let (mut client, _) = Client::initialized(repo.path(), &[]);
    // Not JSON: a parse error with a null id; the server goes on.
    client.send_raw(b"{this is not json");
    let e = client.wait(|v| v["error"]["code"] == -32700);
    assert_eq!(e["id"], Value::Null);
    // JSON but not a message: invalid request, with the id it had.
    client.send(json!({"jsonrpc": "2.0", "id": 99, "params": {}}));
    let e = client.wait(|v| v["id"] == 99);
    assert_eq!(e["error"]["code"], -32600);
    // Unknown method, invalid params.
    let r = client.call("ruleforge/noSuchThing", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = client.call("textDocument/hover", json!({"bogus": true}));
    assert_eq!(r["error"]["code"], -32602);
    // Garbage buffers: diagnostics, not a crash.
    let g = uri(repo.path(), "rules/garbage.yml");
    let ds = client.open(&g, "\u{0}\u{1}\u{2}: [\u{fffd}\u{7f} {{{");
    assert!(!ds.is_empty());
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for c in b'b'..=b'l' {
        let (p, n) = ((c - 1) as char, c as char);
        bomb.push_str(&format!(
            "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        ));
    }
    let ds = client.change(&g, 2, &bomb);
    assert_eq!(codes(&ds), ["RF006"]);
    let huge = format!("description: {}\n", "x".repeat(10 * 1024 * 1024));
    let ds = client.change(&g, 3, &huge);
    assert_eq!(codes(&ds), ["RF003"]);
    // Half-typed rule: still diagnostics.
    let ds = client.change(&g, 4, "id: \ntitle");
    assert!(!ds.is_empty());
    // A document outside the workspace and a non-file URI: per-file checks only.
    let outside = tempfile::tempdir().unwrap();
    let o = uri(outside.path(), "x.yml");
    let ds = client.open(&o, &fixture("RF202"));
    assert!(codes(&ds).contains(&"RF202".into()));
    let ds = client.open("untitled:Untitled-1", "id: [\n");
    assert_eq!(codes(&ds), ["RF001"]);
    // A request before `initialize` on a fresh server: ServerNotInitialized.
    let mut fresh = Client::start(repo.path());
    let r = fresh.call("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002);
    assert_eq!(client.stop(), 0);
}
