//! A deterministic generator of large synthetic native rule repositories
//! (`ruleforge-bench gen`, `events`). Same seed and sizes, same bytes.

use std::fmt::Write as _;
use std::path::Path;

/// A small, fast, seedable generator (SplitMix64); enough for synthetic data.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next_u64());
        }
        s.truncate(len);
        s
    }
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = ["8", "9", "a", "b"][self.below(4) as usize];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }
    pub fn word(&mut self) -> &'static str {
        const W: [&str; 24] = [
            "alpha", "bravo", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "iris",
            "jasper", "kestrel", "lumen", "marble", "nimbus", "onyx", "pylon", "quartz", "raven",
            "sable", "tundra", "umber", "vector", "willow", "zephyr",
        ];
        W[self.below(W.len() as u64) as usize]
    }
}

/// What kind of value a generated indicator is, with its relative frequency (percent).
const MIX: &[(&str, u64)] = &[
    ("sha256", 30),
    ("md5", 10),
    ("sha1", 10),
    ("domain", 15),
    ("ip", 10),
    ("url", 5),
    ("file_path", 5),
    ("file_name", 5),
    ("command_line", 5),
    ("user_agent", 2),
    ("email", 2),
    ("registry_path", 1),
];

const TLDS: [&str; 6] = ["com", "net", "org", "info", "io", "biz"];

/// A value of type `ty`, unique with overwhelming probability.
pub fn value(rng: &mut Rng, ty: &str) -> String {
    match ty {
        "sha256" => rng.hex(64),
        "sha1" => rng.hex(40),
        "md5" => rng.hex(32),
        "domain" => format!(
            "{}-{}.{}",
            rng.word(),
            rng.hex(10),
            TLDS[rng.below(6) as usize]
        ),
        "ip" => {
            // Public unicast space, away from the special-use ranges.
            let a = [
                23, 31, 45, 51, 62, 77, 81, 91, 103, 109, 141, 151, 176, 185, 193, 212,
            ][rng.below(16) as usize];
            format!(
                "{a}.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.range(1, 254)
            )
        }
        "url" => format!(
            "https://{}-{}.{}/{}/{}.php",
            rng.word(),
            rng.hex(8),
            TLDS[rng.below(6) as usize],
            rng.word(),
            rng.hex(6)
        ),
        "file_path" => format!(
            "C:\\ProgramData\\{}\\{}-{}.dll",
            rng.word(),
            rng.word(),
            rng.hex(8)
        ),
        "file_name" => format!("{}_{}.exe", rng.word(), rng.hex(8)),
        "command_line" => format!("*{} -k {} -p {}*", rng.word(), rng.hex(12), rng.word()),
        "user_agent" => format!(
            "Mozilla/5.0 ({}; {}) {}",
            rng.word(),
            rng.hex(8),
            rng.word()
        ),
        "email" => format!(
            "{}.{}@{}-{}.com",
            rng.word(),
            rng.hex(6),
            rng.word(),
            rng.hex(6)
        ),
        _ => format!("HKLM\\SOFTWARE\\{}\\{}", rng.word(), rng.hex(10)),
    }
}

fn pick_type(rng: &mut Rng) -> &'static str {
    let mut n = rng.below(100);
    for (t, w) in MIX {
        if n < *w {
            return t;
        }
        n -= w;
    }
    "sha256"
}

/// Number of indicators in a rule: mostly 1–15, 2% of rules with 30–200 (about 10 on average).
fn indicator_count(rng: &mut Rng) -> usize {
    if rng.below(100) < 2 {
        rng.range(30, 200) as usize
    } else {
        rng.range(1, 15) as usize
    }
}

/// One generated rule: (relative path, text).
pub fn rule(seed: u64, n: usize) -> (String, String) {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(n as u64));
    let id = rng.uuid();
    let family = format!("{}-{}", rng.word(), rng.word());
    let count = indicator_count(&mut rng);
    let groups = if count >= 3 {
        rng.range(1, 3) as usize
    } else {
        1
    };
    let created = 1 + rng.below(28);
    let mut s = String::with_capacity(256 + count * 80);
    let _ = write!(
        s,
        "# yaml-language-server: $schema=../../../schemas/rule.schema.json\nid: {id}\ntitle: Generated rule {n} for the {family} family\nstatus: {}\nseverity: {}\nauthor: ruleforge bench\ncreated: 2021-0{}-{created:02}\nmodified: 2024-0{}-{created:02}\ndescription: |\n  Synthetic rule {n} generated for benchmarks; it lists indicators of the made-up {family} family.\nreferences:\n  - https://example.org/reports/{family}/{n}\ntags:\n  - attack.t{}\n  - malware.{family}\n",
        ["experimental", "test"][rng.below(2) as usize],
        ["low", "medium", "high", "critical"][rng.below(4) as usize],
        1 + rng.below(9),
        1 + rng.below(9),
        1000 + rng.below(600),
    );
    s.push_str("indicators:\n");
    let per_group = count.div_ceil(groups);
    let mut left = count;
    let mut names = Vec::new();
    for g in 0..groups {
        let name = format!("g{g}_{}", rng.word());
        let _ = writeln!(s, "  {name}:");
        names.push(name);
        // Each group holds one to three types.
        let take = per_group.min(left);
        left -= take;
        let types = if take >= 3 {
            rng.range(1, 2) as usize
        } else {
            1
        };
        let mut chosen: Vec<&str> = Vec::new();
        while chosen.len() < types {
            let t = pick_type(&mut rng);
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        let per_type = take.div_ceil(types);
        let mut rem = take;
        for t in chosen {
            let k = per_type.min(rem).max(1);
            rem = rem.saturating_sub(k);
            let _ = writeln!(s, "    {t}:");
            for _ in 0..k {
                let v = value(&mut rng, t);
                // Quoted only where `ruleforge fmt` would quote: the corpus is canonical.
                if ruleforge::yaml::emit::plain_safe(&v) {
                    let _ = writeln!(s, "      - {v}");
                } else {
                    let _ = writeln!(s, "      - '{}'", v.replace('\'', "''"));
                }
            }
        }
    }
    if names.len() > 1 && rng.below(2) == 0 {
        let _ = writeln!(
            s,
            "condition: {} and ({})",
            names[0],
            names[1..].join(" or ")
        );
    } else {
        s.push_str("condition: 1 of them\n");
    }
    let path = format!("rules/gen/{:03}/rule-{n:06}.yml", n / 1000);
    (path, s)
}

/// Writes `count` rules under `root` (in parallel). Returns the number of bytes written.
pub fn write_corpus(root: &Path, seed: u64, count: usize) -> std::io::Result<u64> {
    write_generated(root, count, |n| rule(seed, n))
}

/// Writes the files `generate(0..count)` gives, as (relative path, text), under `root` (in
/// parallel). Returns the number of bytes written.
pub fn write_generated(
    root: &Path,
    count: usize,
    generate: impl Fn(usize) -> (String, String) + Sync,
) -> std::io::Result<u64> {
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|n| {
            let (path, text) = generate(n);
            let p = root.join(path);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&p, &text)?;
            Ok(text.len() as u64)
        })
        .sum()
}

/// Touches `k` rules of a corpus for commit `round`: bumps `modified` and adds one value.
pub fn touch(
    root: &Path,
    seed: u64,
    count: usize,
    round: usize,
    k: usize,
) -> std::io::Result<Vec<String>> {
    let mut rng = Rng::new(seed ^ (round as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < k.min(count) {
        picked.insert(rng.below(count as u64) as usize);
    }
    let mut changed = Vec::new();
    for n in picked {
        let (path, _) = rule(seed, n);
        let p = root.join(&path);
        let text = std::fs::read_to_string(&p)?;
        let mut out = String::with_capacity(text.len() + 80);
        for line in text.lines() {
            if line.starts_with("modified: ") {
                out.push_str("modified: 2025-01-01\n");
            } else if line.starts_with("condition: ") && line != "condition: 1 of them" {
                let _ = writeln!(out, "{line} or touched_{round}");
            } else {
                out.push_str(line);
                out.push('\n');
            }
            if line == "indicators:" {
                let _ = writeln!(
                    out,
                    "  touched_{round}:\n    sha256:\n      - {}",
                    rng.hex(64)
                );
            }
        }
        std::fs::write(&p, out)?;
        changed.push(path);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        assert_eq!(rule(7, 42), rule(7, 42));
        assert_ne!(rule(7, 42).1, rule(8, 42).1);
        let mut total = 0;
        for n in 0..300 {
            let (path, text) = rule(1, n);
            let file =
                ruleforge::rule::RuleFile::parse(ruleforge::source::SourceFile::new(path, text));
            let opts = ruleforge::lint::Options::new(
                ruleforge::lint::Selection::new(vec!["ALL".into()], vec![]),
                time::macros::date!(2026 - 01 - 01),
            );
            let diags = ruleforge::lint::check_file(&file, &opts);
            assert!(diags.is_empty(), "{n}: {diags:?}");
            total += file.rule().unwrap().values().count();
        }
        let avg = total as f64 / 300.0;
        assert!((6.0..16.0).contains(&avg), "average {avg}");
    }
}
