//! No input may panic the linter: thousands of deterministic mutations of valid and invalid
//! rules (byte flips, truncations, insertions of YAML syntax) go through the whole per-file
//! pipeline (decode, parse, schema, checks, fixes).

use ruleforge::lint::{self, registry::Selection, Options};
use ruleforge::rule::RuleFile;

const SEEDS: &[&str] = &[
    include_str!("fixtures/fix/input.yml"),
    include_str!("fixtures/lint/RF201/fires/rule.yml"),
    include_str!("fixtures/lint/RF301/fires/rule.yml"),
    include_str!("fixtures/lint/RF114/clean/rule.yml"),
];

const SNIPPETS: &[&[u8]] = &[
    b"&a ",
    b"*a",
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"- ",
    b"\t",
    b"'",
    b"\"",
    b"|\n",
    b">-\n",
    b"\n---\n",
    b"!!str ",
    b"#",
    b"\xff",
    b"\xc3",
    b"? ",
    b"\\",
    b"%YAML 1.2\n",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"regex:(",
    b"*.",
    b"hxxp://",
];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn mutated_rules_never_panic() {
    let opts = Options::new(
        Selection::new(vec!["ALL".into()], vec![]),
        time::macros::date!(2026 - 01 - 01),
    );
    let mut rng = Lcg(0x5eed);
    let mut checked = 0;
    for seed in SEEDS {
        for _ in 0..400 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..(1 + rng.next() % 4) {
                let at = rng.next() % (bytes.len() + 1);
                match rng.next() % 4 {
                    0 => bytes.truncate(at),
                    1 if at < bytes.len() => bytes[at] ^= 1 << (rng.next() % 8),
                    2 => {
                        let s = SNIPPETS[rng.next() % SNIPPETS.len()];
                        bytes.splice(at..at, s.iter().copied());
                    }
                    _ => {
                        let end = (at + rng.next() % 20).min(bytes.len());
                        bytes.drain(at..end);
                    }
                }
            }
            let src = match ruleforge::load::decode("rules/fuzz.yml", bytes) {
                Ok(s) => s,
                Err(_) => continue,
            };
            let file = RuleFile::parse(src);
            let diags = lint::check_file(&file, &opts);
            // Fixes apply without panicking and spans stay inside the text.
            for d in &diags {
                if let Some(s) = d.span {
                    assert!(s.start <= s.end && s.end <= file.source.text.len(), "{d:?}");
                }
            }
            let _ = lint::fix::apply(&file.source.text, &diags);
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} inputs decoded");
}

const SIGMA_SEEDS: &[&str] = &[
    include_str!("fixtures/lint/RF612/fires/proc_creation_win_webserver_whoami.yml"),
    include_str!("fixtures/lint/RF624/fires/proc_creation_win_webserver_whoami.yml"),
    include_str!("fixtures/lint/RF667/clean/correlation_webserver_recon_burst.yml"),
    include_str!("fixtures/lint/RF620/fires/net_connection_win_webserver_internal.yml"),
];

const SIGMA_SNIPPETS: &[&[u8]] = &[
    b"|",
    b"|re",
    b"|contains|all",
    b"|cidr",
    b"(",
    b")",
    b" and ",
    b" or not ",
    b"1 of ",
    b"*",
    b"\\",
    b"\\*",
    b"(?!",
    b"\n---\n",
    b"[",
    b"{",
    b": ",
    b"- ",
    b"'",
    b"\"\\t",
    b"\xe9",
    b"all of them",
    b"|windash",
];

/// The same for Sigma files, whose path goes through kind detection, multi-document
/// parsing, the Sigma schemas, the condition parser and the RF6xx checks.
#[test]
fn mutated_sigma_rules_never_panic() {
    let opts = Options::new(
        Selection::new(vec!["ALL".into()], vec![]),
        time::macros::date!(2026 - 01 - 01),
    );
    let mut rng = Lcg(0x51697a);
    let mut checked = 0;
    for seed in SIGMA_SEEDS {
        for _ in 0..400 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..(1 + rng.next() % 4) {
                let at = rng.next() % (bytes.len() + 1);
                match rng.next() % 4 {
                    0 => bytes.truncate(at),
                    1 if at < bytes.len() => bytes[at] ^= 1 << (rng.next() % 8),
                    2 => {
                        let s = SIGMA_SNIPPETS[rng.next() % SIGMA_SNIPPETS.len()];
                        bytes.splice(at..at, s.iter().copied());
                    }
                    _ => {
                        let end = (at + rng.next() % 20).min(bytes.len());
                        bytes.drain(at..end);
                    }
                }
            }
            let Ok(src) = ruleforge::load::decode("sigma/proc_creation_fuzz.yml", bytes) else {
                continue;
            };
            let len = src.text.len();
            let diags = lint::check_source(src, &opts);
            for d in &diags {
                if let Some(s) = d.span {
                    assert!(s.start <= s.end && s.end <= len, "{d:?}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} inputs decoded");
}
