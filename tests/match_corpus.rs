//! A synthetic rule set and event stream for measuring `ruleforge match` (ignored by default).
//!
//! ```sh
//! RULEFORGE_CORPUS_DIR=/tmp/corpus RULEFORGE_CORPUS_RULES=1000 RULEFORGE_CORPUS_EVENTS=100000 \
//!   cargo test --test match_corpus -- --ignored
//! ruleforge match /tmp/corpus/rules --event /tmp/corpus/events.ndjson --stats > /dev/null
//! ```
//! Rules mix every indicator type (hashes, domains and wildcards, networks, URLs, path and
//! name globs, command-line globs and regexes, e-mail); about 1% of the event values hit.

use std::fmt::Write as _;
use std::io::Write as _;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect()
    }
    fn word(&mut self) -> String {
        (0..5 + self.below(6))
            .map(|_| (b'a' + self.below(26) as u8) as char)
            .collect()
    }
}

/// A value of `ty` for a rule, and an event field value that matches it.
fn value(r: &mut Rng, ty: &str) -> (String, String, &'static str) {
    match ty {
        "sha256" => {
            let h = r.hex(64);
            (h.clone(), h, "file.hash.sha256")
        }
        "md5" => {
            let h = r.hex(32);
            (h.clone(), h, "process.hash.md5")
        }
        "domain" => {
            let d = format!("{}.{}.com", r.word(), r.word());
            if r.below(4) == 0 {
                (
                    format!("*.{d}"),
                    format!("{}.{d}", r.word()),
                    "dns.question.name",
                )
            } else {
                (d.clone(), d, "dns.question.name")
            }
        }
        "ip" => {
            let (a, b, c, d) = (
                11 + r.below(200),
                r.below(256),
                r.below(256),
                1 + r.below(250),
            );
            if r.below(3) == 0 {
                (
                    format!("{a}.{b}.{c}.0/24"),
                    format!("{a}.{b}.{c}.{d}"),
                    "destination.ip",
                )
            } else {
                let ip = format!("{a}.{b}.{c}.{d}");
                (ip.clone(), ip, "destination.ip")
            }
        }
        "url" => {
            let host = format!("{}.{}.net", r.word(), r.word());
            let path = r.word();
            if r.below(3) == 0 {
                (
                    format!("https://{host}/{path}/*"),
                    format!("https://{host}/{path}/{}", r.word()),
                    "url.full",
                )
            } else {
                let u = format!("https://{host}/{path}");
                (u.clone(), u, "url.full")
            }
        }
        "file_path" => {
            let w = r.word();
            (
                format!("C:\\Users\\*\\AppData\\Roaming\\{w}\\*.exe"),
                format!("C:\\Users\\bob\\AppData\\Roaming\\{w}\\x.exe"),
                "file.path",
            )
        }
        "file_name" => {
            let w = r.word();
            if r.below(2) == 0 {
                (format!("{w}*.dll"), format!("{w}64.dll"), "file.name")
            } else {
                (format!("{w}.exe"), format!("{w}.exe"), "file.name")
            }
        }
        "command_line" => {
            let w = r.word();
            if r.below(3) == 0 {
                (
                    format!("regex:-{w} [0-9]{{4}}"),
                    format!("tool.exe -{w} 1234"),
                    "process.command_line",
                )
            } else {
                (
                    format!("*\\{w}.exe * /c *"),
                    format!("C:\\x\\{w}.exe -q /c whoami"),
                    "process.command_line",
                )
            }
        }
        _ => {
            let e = format!("{}@{}.org", r.word(), r.word());
            (e.clone(), e, "email.from.address")
        }
    }
}

const TYPES: [&str; 9] = [
    "sha256",
    "sha256",
    "md5",
    "domain",
    "ip",
    "url",
    "file_path",
    "file_name",
    "command_line",
];

#[test]
#[ignore = "generates a corpus for measurements"]
fn generate_corpus() {
    let dir = std::path::PathBuf::from(
        std::env::var("RULEFORGE_CORPUS_DIR").expect("set RULEFORGE_CORPUS_DIR"),
    );
    let n_rules: usize =
        std::env::var("RULEFORGE_CORPUS_RULES").map_or(1000, |v| v.parse().unwrap());
    let n_events: usize =
        std::env::var("RULEFORGE_CORPUS_EVENTS").map_or(100_000, |v| v.parse().unwrap());
    let rules_dir = dir.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut hits: Vec<(&'static str, String)> = Vec::new();
    let mut indicators = 0;
    for i in 0..n_rules {
        let mut y = format!(
            "id: {:08x}-0000-4000-8000-{:012x}\ntitle: Synthetic rule number {i}\nstatus: test\nseverity: medium\nauthor: generator\ncreated: 2025-01-01\nmodified: 2025-01-01\ndescription: A synthetic rule generated to measure the matcher throughput.\nindicators:\n",
            i, i
        );
        let groups = 1 + r.below(2);
        for g in 0..groups {
            let _ = writeln!(y, "  g{g}:");
            let ty = TYPES[r.below(TYPES.len() as u64) as usize];
            let _ = writeln!(y, "    {ty}:");
            for _ in 0..(3 + r.below(15)) {
                let (v, hit, field) = value(&mut r, ty);
                indicators += 1;
                let _ = writeln!(y, "      - '{}'", v.replace('\'', "''"));
                if r.below(8) == 0 {
                    hits.push((field, hit));
                }
            }
        }
        std::fs::write(rules_dir.join(format!("rule-{i:06}.yml")), y).unwrap();
    }
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("events.ndjson")).unwrap());
    for _ in 0..n_events {
        let mut ev = serde_json::Map::new();
        // Background values that match nothing.
        ev.insert("file.hash.sha256".into(), r.hex(64).into());
        ev.insert("file.name".into(), format!("{}.dll", r.word()).into());
        ev.insert(
            "file.path".into(),
            format!("C:\\Program Files\\{}\\{}.exe", r.word(), r.word()).into(),
        );
        ev.insert(
            "process.command_line".into(),
            format!("{}.exe --flag {}", r.word(), r.word()).into(),
        );
        ev.insert(
            "destination.ip".into(),
            format!("10.{}.{}.{}", r.below(256), r.below(256), r.below(256)).into(),
        );
        ev.insert(
            "dns.question.name".into(),
            format!("www.{}.org", r.word()).into(),
        );
        ev.insert(
            "url.full".into(),
            format!("https://{}.org/{}", r.word(), r.word()).into(),
        );
        // About 1% of the values hit a rule.
        if !hits.is_empty() && r.below(15) == 0 {
            let (f, v) = &hits[r.below(hits.len() as u64) as usize];
            ev.insert((*f).into(), v.clone().into());
        }
        writeln!(out, "{}", serde_json::Value::Object(ev)).unwrap();
    }
    out.flush().unwrap();
    eprintln!(
        "{n_rules} rules, {indicators} indicators, {n_events} events in {}",
        dir.display()
    );
}
