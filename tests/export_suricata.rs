//! `ruleforge export suricata`: Suricata 7 loads the rules (`suricata -T`), and a replay of a
//! pcap built with scapy (DNS queries, TLS ClientHellos with SNI, HTTP requests and replies,
//! plain IP traffic; about half of it matching) fires, item by item, exactly the rules the
//! reference matcher (`ruleforge match`) matches on the same traffic written as ECS events.
//! Every skip reason of the target is checked in process; sids and revs are checked for
//! stability.

mod common;

use common::engines;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const DOMAIN_RULE: &str = "11111111-1111-4111-8111-111111111111";
const IP_RULE: &str = "22222222-2222-4222-8222-222222222222";
const UA_RULE: &str = "33333333-3333-4333-8333-333333333333";
const URL_RULE: &str = "44444444-4444-4444-8444-444444444444";
const HASH_RULE: &str = "55555555-5555-4555-8555-555555555555";
const HTTP_AND_RULE: &str = "66666666-6666-4666-8666-666666666666";

const PAYLOAD_BAD: &str = "ruleforge test payload: flagged";
const PAYLOAD_OK: &str = "ruleforge test payload: harmless";

fn rule(id: &str, title: &str, modified: &str, indicators: &str, condition: &str) -> String {
    format!(
        "id: {id}
title: {title}
status: test
severity: high
author: ruleforge tests
created: 2021-03-02
modified: {modified}
description: |
  Fixture rule for the Suricata export tests.
references:
  - https://example.org/report
indicators:
{indicators}{condition}"
    )
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The rules of the replay test: all exported whole.
fn replay_rules() -> Vec<(String, String)> {
    vec![
        (
            "rules/domain.yml".into(),
            rule(
                DOMAIN_RULE,
                "C2 domains",
                "2021-03-10",
                "  c2:\n    domain:\n      - c2.example.com\n      - '*.dga.example'\n  c2_list:\n    domain:\n      - list1.example.net\n      - list2.example.net\n      - list3.example.net\n      - list4.example.net\n",
                "",
            ),
        ),
        (
            "rules/ip.yml".into(),
            rule(
                IP_RULE,
                "C2 addresses",
                "2021-03-10",
                "  c2_ip:\n    ip:\n      - 203.0.113.7\n      - 198.51.100.0/24\n",
                "",
            ),
        ),
        (
            "rules/ua.yml".into(),
            rule(
                UA_RULE,
                "Tool user agents",
                "2021-03-10",
                "  agent:\n    user_agent:\n      - EvilAgent/1.0\n      - 'Mozilla/4.0 (compatible; Evil*'\n",
                "",
            ),
        ),
        (
            "rules/url.yml".into(),
            rule(
                URL_RULE,
                "Gate URL",
                "2021-03-10",
                "  gate:\n    url:\n      - http://files.example/gate.php?id=1\n",
                "",
            ),
        ),
        (
            "rules/hash.yml".into(),
            rule(
                HASH_RULE,
                "Payload hash",
                "2021-03-10",
                &format!(
                    "  payload:\n    sha256:\n      - {}\n",
                    sha256_hex(PAYLOAD_BAD)
                ),
                "",
            ),
        ),
        (
            "rules/http-and.yml".into(),
            rule(
                HTTP_AND_RULE,
                "Agent talking to the update host",
                "2021-03-10",
                "  host:\n    domain:\n      - update.example\n  agent:\n    user_agent:\n      - '*Updater/2*'\n",
                "condition: host and agent\n",
            ),
        ),
    ]
}

/// Traffic items (for the pcap builder) and the same traffic as ECS events (for the
/// reference matcher). Item `i` runs between 10.77.i.2 and 10.77.i.1 unless it says otherwise.
fn traffic() -> Vec<(Value, Value)> {
    let mut items = Vec::new();
    let addrs = |i: usize| (format!("10.77.{i}.2"), format!("10.77.{i}.1"));
    let mut push = |item: Value, mut event: Value| {
        let i = items.len();
        if item["kind"] != "ip" {
            let (c, s) = addrs(i);
            event["source.ip"] = json!(c);
            event["destination.ip"] = json!(s);
        }
        items.push((item, event));
    };
    for name in [
        "list2.example.net",
        "LIST3.Example.NET",
        "list5.example.net",
        "c2.example.com",
        "C2.Example.COM",
        "x.c2.example.com",
        "a.b.dga.example",
        "dga.example",
        "notdga.example",
    ] {
        push(
            json!({"kind": "dns", "name": name}),
            json!({"dns.question.name": name}),
        );
    }
    for sni in [
        "c2.example.com",
        "deep.sub.dga.example",
        "example.com",
        "List4.example.net",
    ] {
        push(
            json!({"kind": "tls", "sni": sni}),
            json!({"destination.domain": sni}),
        );
    }
    let http = |host: &str, uri: &str, ua: &str, body: &str| {
        let item =
            json!({"kind": "http", "host": host, "uri": uri, "user_agent": ua, "body": body});
        let event = json!({
            "url.domain": host,
            "url.full": format!("http://{host}{uri}"),
            "user_agent.original": ua,
            "file.hash.sha256": sha256_hex(body),
        });
        (item, event)
    };
    for (host, uri, ua, body) in [
        ("c2.example.com", "/", "curl/8.0", "ok"),
        ("list1.example.net", "/", "curl/8.0", "ok"),
        ("www.example", "/", "EvilAgent/1.0", "ok"),
        ("www.example", "/", "EvilAgent/1.0 extra", "ok"),
        ("www.example", "/", "evilagent/1.0", "ok"),
        (
            "www.example",
            "/",
            "Mozilla/4.0 (compatible; Evil; x)",
            "ok",
        ),
        ("files.example", "/gate.php?id=1", "curl/8.0", "ok"),
        ("files.example", "/gate.php?id=2", "curl/8.0", "ok"),
        ("cdn.example", "/p.bin", "curl/8.0", PAYLOAD_BAD),
        ("cdn.example", "/q.bin", "curl/8.0", PAYLOAD_OK),
        ("update.example", "/check", "Acme Updater/2.1", "ok"),
        ("update.example", "/check", "Acme Updater/3.0", "ok"),
        ("other.example", "/check", "Acme Updater/2.1", "ok"),
    ] {
        let (item, event) = http(host, uri, ua, body);
        push(item, event);
    }
    for (src, dst) in [
        ("10.99.0.1", "203.0.113.7"),
        ("198.51.100.9", "10.99.0.2"),
        ("10.99.0.3", "203.0.113.8"),
    ] {
        push(
            json!({"kind": "ip", "src": src, "dst": dst}),
            json!({"source.ip": src, "destination.ip": dst}),
        );
    }
    items
}

/// The item an alert belongs to, by its addresses.
fn item_of(alert: &Value, items: &[(Value, Value)]) -> usize {
    let ips: Vec<&str> = ["src_ip", "dest_ip"]
        .iter()
        .filter_map(|k| alert[*k].as_str())
        .collect();
    for ip in &ips {
        if let Some(rest) = ip.strip_prefix("10.77.") {
            return rest.split('.').next().unwrap().parse().unwrap();
        }
    }
    items
        .iter()
        .position(|(item, _)| {
            item["kind"] == "ip"
                && ips.contains(&item["src"].as_str().unwrap())
                && ips.contains(&item["dst"].as_str().unwrap())
        })
        .unwrap_or_else(|| panic!("an alert on no item: {alert}"))
}

/// sid → rule id, from the `metadata: ruleforge_id …` of each signature.
fn sid_map(rules_text: &str) -> BTreeMap<u64, String> {
    rules_text
        .lines()
        .filter(|l| l.starts_with("alert "))
        .map(|l| {
            let sid = l.split("sid:").nth(1).unwrap().split(';').next().unwrap();
            let id = l
                .split("ruleforge_id ")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap();
            (sid.parse().unwrap(), id.to_string())
        })
        .collect()
}

fn export(dir: &Path, extra: &[&str]) -> Value {
    common::export::run(dir, "suricata", Path::new("out"), extra, &[])
}

fn statuses(report: &Value) -> BTreeMap<String, Value> {
    common::export::outcomes(report, "suricata")
}

fn suricata() -> Option<String> {
    engines::tool("suricata", "RULEFORGE_SURICATA", "-V")
}

/// `suricata -T`: the rules (and their hash lists) load without an error.
fn suricata_loads(suricata: &str, rules: &Path, log: &Path) {
    std::fs::create_dir_all(log).unwrap();
    let out = Command::new(suricata)
        .arg("-T")
        .arg("-S")
        .arg(rules)
        .arg("-l")
        .arg(log)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "suricata -T failed:\n{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("E:")),
        "suricata -T reported errors:\n{text}"
    );
}

#[test]
fn engines_suricata_replay_fires_what_the_reference_matcher_matches() {
    let Some(suricata) = suricata() else { return };
    let Some(python) = engines::python("scapy") else {
        return;
    };
    let repo = common::repo(&[]);
    for (path, text) in replay_rules() {
        repo.write(&path, &text);
    }
    let dir = repo.path();
    let report = export(dir, &[]);
    for (id, outcome) in statuses(&report) {
        assert_eq!(outcome["status"], "exported", "{id}: {outcome}");
    }
    let rules = dir.join("out/suricata/ruleforge.rules");
    suricata_loads(&suricata, &rules, &dir.join("log-t"));

    let items = traffic();
    let item_list: Vec<&Value> = items.iter().map(|(i, _)| i).collect();
    std::fs::write(
        dir.join("items.json"),
        serde_json::to_vec(&item_list).unwrap(),
    )
    .unwrap();
    let built = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/engines/suricata_pcap.py"
        ))
        .arg(dir.join("items.json"))
        .arg(dir.join("traffic.pcap"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "pcap builder: {}",
        String::from_utf8_lossy(&built.stderr)
    );

    // The reference: ruleforge match over the same traffic as ECS events.
    let events: String = items.iter().map(|(_, e)| format!("{e}\n")).collect();
    std::fs::write(dir.join("events.ndjson"), events).unwrap();
    let matched = common::ruleforge(dir)
        .args(["match", "--event", "events.ndjson", "rules"])
        .output()
        .unwrap();
    assert!(matched.status.success() || matched.status.code() == Some(1));
    let mut want: BTreeSet<(usize, String)> = BTreeSet::new();
    for line in String::from_utf8_lossy(&matched.stdout).lines() {
        let m: Value = serde_json::from_str(line).unwrap();
        want.insert((
            m["event"].as_u64().unwrap() as usize,
            m["id"].as_str().unwrap().to_string(),
        ));
    }

    // The engine: a replay of the pcap.
    let log = dir.join("log-r");
    std::fs::create_dir_all(&log).unwrap();
    let run = Command::new(&suricata)
        .args(["-k", "none", "--runmode", "single", "-r"])
        .arg(dir.join("traffic.pcap"))
        .arg("-S")
        .arg(&rules)
        .arg("-l")
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "suricata -r failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let sids = sid_map(&std::fs::read_to_string(&rules).unwrap());
    let eve = std::fs::read_to_string(log.join("eve.json")).unwrap();
    let mut got: BTreeSet<(usize, String)> = BTreeSet::new();
    for line in eve.lines() {
        let ev: Value = serde_json::from_str(line).unwrap();
        if ev["event_type"] != "alert" {
            continue;
        }
        let sid = ev["alert"]["signature_id"].as_u64().unwrap();
        let id = sids
            .get(&sid)
            .unwrap_or_else(|| panic!("unknown sid {sid}"));
        got.insert((item_of(&ev, &items), id.clone()));
    }
    let describe = |set: &BTreeSet<(usize, String)>| {
        set.iter()
            .map(|(i, id)| format!("item {i} {}: {id}", items[*i].0))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    assert_eq!(
        got,
        want,
        "Suricata fired:\n  {}\nthe reference matcher matched:\n  {}",
        describe(&got),
        describe(&want)
    );
    // Half the traffic matches, half does not; every rule fires at least once.
    let matching_items: BTreeSet<usize> = want.iter().map(|(i, _)| *i).collect();
    assert!(matching_items.len() * 3 >= items.len() && matching_items.len() * 3 <= items.len() * 2);
    let fired_rules: BTreeSet<&str> = got.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(fired_rules.len(), replay_rules().len());
}

/// The outcome of each rule of a fresh repository holding `rules` (path, text).
fn outcomes(rules: &[(String, String)]) -> BTreeMap<String, Value> {
    let repo = common::repo(&[]);
    for (path, text) in rules {
        repo.write(path, text);
    }
    statuses(&export(repo.path(), &[]))
}

#[test]
fn every_skip_reason_is_reported() {
    let id = |n: u32| format!("{n:08x}-0000-4000-8000-000000000000");
    // 17 user agents AND 16 hosts in one HTTP transaction: 272 signatures.
    let too_many = format!(
        "  a:\n    user_agent:\n{}    domain:\n{}",
        (0..17)
            .map(|i| format!("      - Agent/{i}.0\n"))
            .collect::<String>(),
        (0..16)
            .map(|i| format!("      - h{i}.example\n"))
            .collect::<String>()
    );
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            id(1),
            "  host:\n    command_line:\n      - '*whoami*'\n",
            "",
            "suricata-not-observed",
        ),
        (
            id(2),
            "  agent:\n    user_agent:\n      - 'regex:^python-requests/'\n",
            "",
            "suricata-pattern",
        ),
        (
            id(3),
            "  agent:\n    user_agent:\n      - 'Tool/?.0'\n",
            "",
            "suricata-pattern",
        ),
        (
            id(4),
            "  c2:\n    domain:\n      - c2.example.com\n  drop:\n    sha256:\n      - b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\n",
            "condition: c2 and drop\n",
            "suricata-and",
        ),
        (
            id(5),
            "  gate:\n    url:\n      - https://files.example/gate.php\n",
            "",
            "suricata-url",
        ),
        (
            id(6),
            "  gate:\n    url:\n      - http://files.example:8080/gate.php\n",
            "",
            "suricata-url",
        ),
        (
            id(7),
            "  path:\n    url_path:\n      - /owa/auth/x.js\n",
            "",
            "suricata-uri",
        ),
        (
            id(8),
            too_many.as_str(),
            "",
            "suricata-too-many",
        ),
        (
            id(9),
            "  c2:\n    domain:\n      - c2.example.com\n  benign:\n    domain:\n      - ok.example.com\n",
            "condition: c2 and not benign\n",
            "negation",
        ),
    ];
    let rules: Vec<(String, String)> = cases
        .iter()
        .map(|(id, ind, cond, _)| {
            (
                format!("rules/{id}.yml"),
                rule(id, "Skip reason case", "2021-03-10", ind, cond),
            )
        })
        .collect();
    let got = outcomes(&rules);
    for (id, _, _, code) in &cases {
        let o = &got[id];
        if o["status"] == "skipped" {
            assert_eq!(o["code"], *code, "{id}: {o}");
        } else {
            // Partial: the reason is on the omitted term.
            assert_eq!(o["status"], "partial", "{id}: {o}");
            let codes: Vec<&str> = o["omitted"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["code"].as_str().unwrap())
                .collect();
            assert!(codes.contains(code), "{id}: {o}");
        }
        assert!(
            !o.to_string().is_empty() && o.to_string().contains("message"),
            "{id}: {o}"
        );
    }
    // Every reason of the target (besides the common ones) is covered above.
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.3).collect();
    for r in ruleforge::export::suricata::REASONS {
        assert!(covered.contains(r.code), "no test for {}", r.code);
    }
}

#[test]
fn partial_rules_keep_what_suricata_can_see() {
    let id = "77777777-7777-4777-8777-777777777777";
    let rules = vec![(
        "rules/p.yml".to_string(),
        rule(
            id,
            "Mixed",
            "2021-03-10",
            "  c2:\n    domain:\n      - c2.example.com\n  drop:\n    file_path:\n      - 'C:\\temp\\x.exe'\n",
            "",
        ),
    )];
    let o = &outcomes(&rules)[id];
    assert_eq!(o["status"], "partial", "{o}");
    assert_eq!(o["omitted"][0]["groups"], json!(["drop"]));
    assert_eq!(o["omitted"][0]["code"], "suricata-not-observed");

    // One value a type cannot carry is left out of that type's OR; the others stay.
    let mixed = "88888888-8888-4888-8888-888888888888";
    let repo = common::repo(&[]);
    repo.write(
        "rules/m.yml",
        &rule(
            mixed,
            "Mixed agents",
            "2021-03-10",
            "  agent:\n    user_agent:\n      - EvilAgent/1.0\n      - 'Tool/?.0'\n",
            "",
        ),
    );
    let o = &statuses(&export(repo.path(), &[]))[mixed];
    assert_eq!(o["status"], "partial", "{o}");
    assert_eq!(o["omitted"][0]["code"], "suricata-pattern");
    assert!(o["omitted"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Tool/?.0"));
    let rules = repo.read("out/suricata/ruleforge.rules");
    assert!(rules.contains("content:\"EvilAgent/1.0\""), "{rules}");
    assert!(!rules.contains("Tool/"), "{rules}");
}

#[test]
fn sids_are_stable_and_rev_follows_modified() {
    let repo = common::repo(&[]);
    let write = |modified: &str, domains: &str| {
        repo.write(
            "rules/d.yml",
            &rule(
                DOMAIN_RULE,
                "C2 domains",
                modified,
                &format!("  c2:\n    domain:\n{domains}"),
                "",
            ),
        );
    };
    write("2021-03-10", "      - a.example\n");
    export(repo.path(), &[]);
    let first = repo.read("out/suricata/ruleforge.rules");
    write("2021-04-01", "      - a.example\n      - b.example\n");
    export(repo.path(), &[]);
    let second = repo.read("out/suricata/ruleforge.rules");
    let sigs = |text: &str| -> BTreeMap<String, (u64, u32)> {
        text.lines()
            .filter(|l| l.starts_with("alert "))
            .map(|l| {
                let key = format!(
                    "{} {}",
                    l.split_whitespace().nth(1).unwrap(),
                    l.split("content:")
                        .nth(1)
                        .unwrap()
                        .split(';')
                        .next()
                        .unwrap()
                );
                let num = |k: &str| {
                    l.split(k)
                        .nth(1)
                        .unwrap()
                        .split(';')
                        .next()
                        .unwrap()
                        .to_string()
                };
                (
                    key,
                    (num("sid:").parse().unwrap(), num("rev:").parse().unwrap()),
                )
            })
            .collect()
    };
    let (a, b) = (sigs(&first), sigs(&second));
    assert_eq!(a.len(), 3, "{first}");
    assert_eq!(b.len(), 6, "{second}");
    for (key, (sid, rev)) in &a {
        let (sid2, rev2) = b[key];
        assert_eq!(*sid, sid2, "{key}: the sid moved");
        assert_eq!(*rev, 20210310);
        assert_eq!(rev2, 20210401, "{key}: rev did not follow modified");
        assert!((3_000_000_000..4_000_000_000).contains(sid));
    }
    let all: BTreeSet<u64> = b.values().map(|(s, _)| *s).collect();
    assert_eq!(all.len(), 6, "sids are unique");
    // The same input gives the same bytes.
    export(repo.path(), &[]);
    assert_eq!(repo.read("out/suricata/ruleforge.rules"), second);
}

#[test]
fn engines_shipped_rules_load_in_suricata() {
    let Some(suricata) = suricata() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = common::ruleforge(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["export", "suricata", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rules = out.join("suricata/ruleforge.rules");
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(text.lines().filter(|l| l.starts_with("alert ")).count() > 10);
    suricata_loads(&suricata, &rules, &tmp.path().join("log"));
}
