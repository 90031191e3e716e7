//! A deterministic generator of large synthetic rule repositories, for the benchmark
//! (`ruleforge-bench gen`) and for tests. Same seed and sizes, same bytes.

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
    fn word(&mut self) -> &'static str {
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
                if crate::yaml::emit::plain_safe(&v) {
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
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|n| {
            let (path, text) = rule(seed, n);
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
            let file = crate::rule::RuleFile::parse(crate::source::SourceFile::new(path, text));
            let opts = crate::lint::Options::new(
                crate::lint::Selection::new(vec!["ALL".into()], vec![]),
                time::macros::date!(2026 - 01 - 01),
            );
            let diags = crate::lint::check_file(&file, &opts);
            assert!(diags.is_empty(), "{n}: {diags:?}");
            total += file.rule().unwrap().values().count();
        }
        let avg = total as f64 / 300.0;
        assert!((6.0..16.0).contains(&avg), "average {avg}");
    }
}

/// Log sources of generated Sigma rules: (file-name prefix, category, product).
const SIGMA_SOURCES: &[(&str, &str, &str)] = &[
    ("proc_creation_win", "process_creation", "windows"),
    ("proc_creation_lnx", "process_creation", "linux"),
    ("file_event_win", "file_event", "windows"),
    ("registry_set", "registry_set", "windows"),
    ("net_connection_win", "network_connection", "windows"),
    ("image_load", "image_load", "windows"),
    ("dns_query_win", "dns_query", "windows"),
];

const SIGMA_FIELDS: &[&str] = &[
    "Image",
    "CommandLine",
    "ParentImage",
    "OriginalFileName",
    "TargetFilename",
    "TargetObject",
    "Details",
    "User",
    "QueryName",
    "ImageLoaded",
];

const SIGMA_TACTICS: &[&str] = &[
    "execution",
    "persistence",
    "discovery",
    "defense-evasion",
    "credential-access",
    "command-and-control",
];

/// One generated Sigma rule: (relative path, text). Same seed and number, same bytes; the
/// rules are valid for `sigma check` and for `ruleforge lint` alike.
pub fn sigma_rule(seed: u64, n: usize) -> (String, String) {
    let mut rng = Rng::new(seed.wrapping_mul(7_000_003).wrapping_add(n as u64));
    let (prefix, category, product) = SIGMA_SOURCES[rng.below(SIGMA_SOURCES.len() as u64) as usize];
    let id = rng.uuid();
    let family = format!("{} {}", rng.word(), rng.word());
    let mut s = String::with_capacity(1200);
    let _ = write!(
        s,
        "title: Generated Sigma Rule {n} for the {family} Activity\nid: {id}\nstatus: {}\ndescription: Synthetic Sigma rule {n} generated for benchmarks; it looks for the made-up {family} tool.\nreferences:\n    - https://example.org/research/{}/{n}\nauthor: ruleforge bench\ndate: 2023-0{}-{:02}\nmodified: 2024-0{}-{:02}\ntags:\n    - attack.{}\n    - attack.t{}\nlogsource:\n    category: {category}\n    product: {product}\ndetection:\n",
        ["experimental", "test", "stable"][rng.below(3) as usize],
        rng.word(),
        1 + rng.below(9),
        1 + rng.below(28),
        1 + rng.below(9),
        1 + rng.below(28),
        SIGMA_TACTICS[rng.below(SIGMA_TACTICS.len() as u64) as usize],
        1000 + rng.below(600),
    );
    let selections = rng.range(1, 3) as usize;
    let filters = rng.below(3) as usize;
    let item = |s: &mut String, rng: &mut Rng, f: usize| {
        let field = SIGMA_FIELDS[f % SIGMA_FIELDS.len()];
        let modifier =
            ["|contains", "|endswith", "|startswith", "|contains|all", ""][rng.below(5) as usize];
        let count = if modifier == "|contains|all" {
            2
        } else {
            rng.range(1, 6) as usize
        };
        let _ = writeln!(s, "        {field}{modifier}:");
        for _ in 0..count {
            let v = match field {
                "Image" | "ParentImage" | "ImageLoaded" => {
                    format!("\\{}_{}.exe", rng.word(), rng.hex(6))
                }
                "TargetObject" => format!("\\SOFTWARE\\{}\\{}", rng.word(), rng.hex(8)),
                "QueryName" => format!("{}-{}.example", rng.word(), rng.hex(8)),
                _ => format!(" -{} {}", rng.word(), rng.hex(8)),
            };
            let _ = writeln!(s, "            - '{}'", v.replace('\'', "''"));
        }
    };
    for i in 0..selections {
        let _ = writeln!(s, "    selection_{}:", ["img", "cli", "parent"][i]);
        let first = rng.below(SIGMA_FIELDS.len() as u64) as usize;
        for j in 0..rng.range(1, 2) as usize {
            item(&mut s, &mut rng, first + j);
        }
    }
    for i in 0..filters {
        let _ = writeln!(s, "    filter_main_{}:", ["legit", "updater"][i]);
        let f = rng.below(SIGMA_FIELDS.len() as u64) as usize;
        item(&mut s, &mut rng, f);
    }
    let sel = if selections > 1 && rng.below(2) == 0 {
        "all of selection_*"
    } else if selections > 1 {
        "1 of selection_*"
    } else {
        "selection_img"
    };
    if filters > 0 {
        let _ = writeln!(s, "    condition: {sel} and not 1 of filter_main_*");
    } else {
        let _ = writeln!(s, "    condition: {sel}");
    }
    let _ = write!(
        s,
        "falsepositives:\n    - Unknown\nlevel: {}\n",
        ["low", "medium", "high", "critical"][rng.below(4) as usize]
    );
    let path = format!(
        "rules/gen/{:03}/{prefix}_generated_{}_{n:06}.yml",
        n / 1000,
        family.replace(' ', "_")
    );
    (path, s)
}

/// Writes `count` generated Sigma rules under `root` (in parallel); returns bytes written.
pub fn write_sigma_corpus(root: &Path, seed: u64, count: usize) -> std::io::Result<u64> {
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|n| {
            let (path, text) = sigma_rule(seed, n);
            let p = root.join(path);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&p, &text)?;
            Ok(text.len() as u64)
        })
        .sum()
}

/// Copies every `.yml` file under `from` into `out/copy-K/...` for K in 0..copies, giving each
/// copy fresh ids (`related` links and correlation references follow them), a distinct title
/// and a distinct file name, so repository-wide checks see `copies` times as many distinct
/// rules with the same links between them. Returns the number of files written.
pub fn replicate_sigma(from: &Path, out: &Path, copies: usize) -> std::io::Result<usize> {
    let mut files = Vec::new();
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, files)?;
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                files.push(p);
            }
        }
        Ok(())
    }
    walk(from, &mut files)?;
    files.sort();
    let texts: Vec<String> = files
        .iter()
        .map(std::fs::read_to_string)
        .collect::<std::io::Result<_>>()?;
    let uuid_of = |line: &str| -> Option<(usize, String)> {
        let at = line.find("id: ")? + 4;
        let v = line[at..].trim().trim_matches(['\'', '"']);
        (v.len() == 36 && v.bytes().filter(|b| *b == b'-').count() == 4)
            .then(|| (at, v.to_string()))
    };
    let mut written = 0;
    for k in 0..copies {
        // Every id of the corpus gets a fresh id in this copy; `related` links follow it.
        let mut rng = Rng::new(0x5167_4d41 ^ k as u64);
        let mut fresh: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for text in &texts {
            for line in text.lines().filter(|l| l.starts_with("id: ")) {
                if let Some((_, id)) = uuid_of(line) {
                    fresh.entry(id).or_insert_with(|| rng.uuid());
                }
            }
        }
        for (f, text) in files.iter().zip(&texts) {
            let mut outtext = String::with_capacity(text.len() + 64);
            for line in text.lines() {
                if let Some(t) = line.strip_prefix("title: ") {
                    let _ = writeln!(outtext, "title: {t} (copy {k})");
                    continue;
                }
                match uuid_of(line).and_then(|(at, id)| fresh.get(&id).map(|n| (at, n))) {
                    Some((at, new)) => {
                        let _ = writeln!(outtext, "{}{new}", &line[..at]);
                    }
                    None => {
                        outtext.push_str(line);
                        outtext.push('\n');
                    }
                }
            }
            let rel = f.strip_prefix(from).unwrap_or(f);
            let mut dest = out.join(format!("copy-{k}")).join(rel);
            if let Some(stem) = dest.file_stem().map(|s| s.to_string_lossy().into_owned()) {
                dest.set_file_name(format!("{stem}_c{k}.yml"));
            }
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&dest, outtext)?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod sigma_tests {
    use super::*;

    #[test]
    fn replicated_corpus_keeps_links() {
        let from = tempfile::tempdir().unwrap();
        let a = "title: A\nid: 11111111-1111-4111-8111-111111111111\nrelated:\n    - id: 22222222-2222-4222-8222-222222222222\n      type: similar\n";
        let b = "title: B\nid: 22222222-2222-4222-8222-222222222222\n";
        std::fs::write(from.path().join("a_rule_one.yml"), a).unwrap();
        std::fs::write(from.path().join("b_rule_two.yml"), b).unwrap();
        let out = tempfile::tempdir().unwrap();
        assert_eq!(replicate_sigma(from.path(), out.path(), 2).unwrap(), 4);
        let a1 = std::fs::read_to_string(out.path().join("copy-1/a_rule_one_c1.yml")).unwrap();
        let b1 = std::fs::read_to_string(out.path().join("copy-1/b_rule_two_c1.yml")).unwrap();
        let b0 = std::fs::read_to_string(out.path().join("copy-0/b_rule_two_c0.yml")).unwrap();
        let id_b1 = b1.lines().nth(1).unwrap().trim_start_matches("id: ");
        assert!(a1.contains(&format!("    - id: {id_b1}")), "{a1}");
        assert_ne!(b0.lines().nth(1), b1.lines().nth(1));
        assert!(a1.starts_with("title: A (copy 1)\n"));
    }

    #[test]
    fn generated_sigma_rules_are_clean() {
        assert_eq!(sigma_rule(3, 9), sigma_rule(3, 9));
        let opts = crate::lint::Options::new(
            crate::lint::Selection::new(vec!["ALL".into()], vec![]),
            time::macros::date!(2026 - 01 - 01),
        );
        for n in 0..300 {
            let (path, text) = sigma_rule(1, n);
            let src = crate::source::SourceFile::new(path, text);
            let diags = crate::lint::check_source(src, &opts);
            assert!(diags.is_empty(), "{n}: {diags:?}");
        }
    }
}
