//! `ruleforge-bench lsp`: a scripted LSP client measuring `ruleforge lsp` on a rule
//! repository: the time from start to the `initialize` answer (the index built from disk),
//! from `didOpen` to the first diagnostics, the `didChange` → `publishDiagnostics` round trip
//! over a series of edits (p50, p95, max), and the server's peak resident memory.

use super::Res;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn frames(out: impl Read, tx: std::sync::mpsc::Sender<Value>) {
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
        let Some(len) = len else { return };
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        match serde_json::from_slice(&body) {
            Ok(v) => {
                if tx.send(v).is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

fn send(stdin: &mut impl Write, v: &Value) -> Res {
    let body = v.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
        .and_then(|_| stdin.flush())
        .map_err(|e| format!("writing to the server: {e}"))
}

fn wait(rx: &Receiver<Value>, pred: impl Fn(&Value) -> bool) -> Res<Value> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = rx
            .recv_timeout(left)
            .map_err(|e| format!("waiting for the server: {e}"))?;
        if pred(&v) {
            return Ok(v);
        }
    }
}

/// The peak resident set of a process (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn lsp(dir: &Path, ruleforge: &Path, edits: usize) -> Res {
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    // The server runs in `dir`: a relative binary path is taken from here.
    let ruleforge = &ruleforge
        .canonicalize()
        .map_err(|e| format!("{}: {e}", ruleforge.display()))?;
    let file = first_rule(&dir.join("rules")).ok_or("no rule file under rules/")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let uri = url::Url::from_file_path(&file)
        .map_err(|_| "not an absolute path")?
        .to_string();
    let root_uri = url::Url::from_file_path(&dir)
        .map_err(|_| "not an absolute path")?
        .to_string();
    let started = Instant::now();
    let mut child = Command::new(ruleforge)
        .arg("lsp")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", ruleforge.display()))?;
    let pid = child.id();
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || frames(stdout, tx));
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": null, "rootUri": root_uri, "capabilities": {}}}),
    )?;
    wait(&rx, |v| v["id"] == 1)?;
    let initialized = started.elapsed();
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    )?;
    let opened = Instant::now();
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
            {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}}),
    )?;
    let is_diag = |version: i64| {
        let uri = uri.clone();
        move |v: &Value| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri.as_str()
                && v["params"]["version"] == version
        }
    };
    wait(&rx, is_diag(1))?;
    let first = opened.elapsed();
    // Edits that change the rule's title (what a rule author types), one at a time.
    let mut rounds = Vec::with_capacity(edits);
    for i in 0..edits {
        let version = i as i64 + 2;
        let edited = text.replacen("title: ", &format!("title: Edit {i} of "), 1);
        let t = Instant::now();
        send(
            &mut stdin,
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": edited}]}}),
        )?;
        wait(&rx, is_diag(version))?;
        rounds.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let rss = peak_rss_mib(pid);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    )?;
    wait(&rx, |v| v["id"] == 2)?;
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    )?;
    let status = child.wait().map_err(|e| e.to_string())?;
    rounds.sort_by(f64::total_cmp);
    let files = walk_count(&dir.join("rules"));
    println!("corpus          {} ({files} rule files)", dir.display());
    println!(
        "initialize      {:.0} ms (index built from disk)",
        initialized.as_secs_f64() * 1000.0
    );
    println!(
        "first diagnostics after didOpen  {:.1} ms",
        first.as_secs_f64() * 1000.0
    );
    println!(
        "didChange -> publishDiagnostics over {edits} edits: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        percentile(&rounds, 0.5),
        percentile(&rounds, 0.95),
        rounds.last().copied().unwrap_or(0.0)
    );
    match rss {
        Some(mib) => println!("peak RSS        {mib:.0} MiB"),
        None => println!("peak RSS        unknown (no /proc)"),
    }
    println!("exit            {}", status.code().unwrap_or(-1));
    Ok(())
}

fn first_rule(dir: &Path) -> Option<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = first_rule(&p) {
                return Some(f);
            }
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
            return Some(p);
        }
    }
    None
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk_count(&p)
                    } else {
                        usize::from(matches!(
                            p.extension().and_then(|x| x.to_str()),
                            Some("yml" | "yaml")
                        ))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
