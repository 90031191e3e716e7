//! A deterministic generator of synthetic Sigma rule repositories, and the replication of a
//! real Sigma corpus into copies with fresh ids (`ruleforge-bench gen-sigma`).

use crate::corpus::Rng;
use std::fmt::Write as _;
use std::path::Path;

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
    crate::corpus::write_generated(root, count, |n| sigma_rule(seed, n))
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
mod tests {
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
        let opts = ruleforge::lint::Options::new(
            ruleforge::lint::Selection::new(vec!["ALL".into()], vec![]),
            time::macros::date!(2026 - 01 - 01),
        );
        for n in 0..300 {
            let (path, text) = sigma_rule(1, n);
            let src = ruleforge::source::SourceFile::new(path, text);
            let diags = ruleforge::lint::check_source(src, &opts);
            assert!(diags.is_empty(), "{n}: {diags:?}");
        }
    }
}
