//! `ruleforge-bench sigma-run`: ruleforge beside `sigma check` and `rsigma` on Sigma corpora.

use crate::measure::{measure, Measure};
use crate::{gen_sigma, Res};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `.yml` folder directly under `root` that holds rules (`rules*`, `deprecated`).
fn sigma_folders(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && n != "validator_json")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn count_yml(dir: &Path) -> usize {
    crate::sum_over_files(dir, &|e| {
        u64::from(e.path().extension().is_some_and(|x| x == "yml"))
    }) as usize
}

#[allow(clippy::too_many_arguments)]
pub fn sigma_run(
    corpora: &[PathBuf],
    copies: usize,
    work: &Path,
    ruleforge: &Path,
    sigma: &str,
    sigma_config: Option<&Path>,
    rsigma: &str,
    repeat: usize,
) -> Res {
    let rf = ruleforge
        .canonicalize()
        .map_err(|e| format!("{}: {e}", ruleforge.display()))?;
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let work = work.canonicalize().map_err(|e| e.to_string())?;
    // `sigma check` runs from a folder with an empty validator_json/ (bundled SigmaHQ data).
    std::fs::create_dir_all(work.join("validator_json")).map_err(|e| e.to_string())?;
    let mut sets: Vec<(String, PathBuf)> = corpora
        .iter()
        .map(|c| (c.display().to_string(), c.clone()))
        .collect();
    if copies > 0 {
        let first = corpora[0]
            .canonicalize()
            .map_err(|e| format!("{}: {e}", corpora[0].display()))?;
        let big = work.join(format!("sigma-x{copies}"));
        if !big.join("rules").exists() {
            let _ = std::fs::remove_dir_all(&big);
            gen_sigma(None, 1, Some(&first), Some(copies), &big)?;
        }
        sets.push((
            format!("{} x{copies} (fresh ids)", corpora[0].display()),
            big,
        ));
    }
    println!("| corpus | rules | tool | command | wall s (median) | CPU s | peak RSS MiB | rules/s | x ruleforge |");
    println!("|---|---:|---|---|---:|---:|---:|---:|---:|");
    for (label, dir) in sets {
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let folders = sigma_folders(&dir);
        let n: usize = folders.iter().map(|f| count_yml(&dir.join(f))).sum();
        let mut rows: Vec<(&str, String, Command)> = Vec::new();
        let mut c = Command::new(&rf);
        c.current_dir(&dir)
            .args(["lint", "--select", "ALL", "--output-format", "json"])
            .args(&folders);
        rows.push((
            "ruleforge",
            format!("ruleforge lint --select ALL {}", folders.join(" ")),
            c,
        ));
        let mut c = Command::new(&rf);
        c.current_dir(&dir).arg("lint").args(&folders);
        rows.push(("ruleforge", "ruleforge lint (default rules)".into(), c));
        // rsigma takes one path: the corpus folder (which holds only the rule folders).
        let mut c = Command::new(rsigma);
        c.current_dir(&dir).args(["rule", "lint", "."]);
        rows.push(("rsigma", "rsigma rule lint .".into(), c));
        if let Ok(schema) =
            Path::new("schemas/sigma/sigma-detection-rule-schema.json").canonicalize()
        {
            let mut c = Command::new(rsigma);
            c.current_dir(&dir)
                .args(["rule", "lint", "-s"])
                .arg(&schema)
                .arg(".");
            rows.push((
                "rsigma",
                "rsigma rule lint -s sigma-detection-rule-schema.json .".into(),
                c,
            ));
        }
        let mut c = Command::new(sigma);
        c.current_dir(&work).arg("check");
        if let Some(cfg) = sigma_config {
            c.arg("--validation-config").arg(cfg);
        }
        c.args(folders.iter().map(|f| dir.join(f)));
        rows.push((
            "sigma-cli",
            "sigma check --validation-config sigma_cli_conf.yml ...".into(),
            c,
        ));
        // The fast tools run round-robin, half of their runs before `sigma check` and half
        // after it, so every tool sees the same machine load (the machine may be shared).
        let mut runs: Vec<Vec<Measure>> = rows.iter().map(|_| Vec::new()).collect();
        let mut failed: Vec<Option<String>> = rows.iter().map(|_| None).collect();
        let slow: Vec<bool> = rows.iter().map(|r| r.0 == "sigma-cli").collect();
        let half = repeat.max(2).div_ceil(2);
        for phase in 0..3 {
            for _ in 0..(if phase == 1 { 1 } else { half }) {
                for (i, row) in rows.iter_mut().enumerate() {
                    if slow[i] != (phase == 1) || failed[i].is_some() {
                        continue;
                    }
                    match measure(&mut row.2) {
                        Ok(m) => runs[i].push(m),
                        Err(e) => failed[i] = Some(e),
                    }
                }
            }
        }
        let mut base = f64::NAN;
        for (i, (tool, name, _)) in rows.iter().enumerate() {
            if let Some(e) = &failed[i] {
                println!("| {label} | {n} | {tool} | {name} | not run: {e} | | | | |");
                continue;
            }
            let r = &mut runs[i];
            r.sort_by(|a, b| a.wall.total_cmp(&b.wall));
            let m = &r[r.len() / 2];
            if base.is_nan() {
                base = m.wall;
            }
            println!(
                "| {label} | {n} | {tool} | `{name}` (exit {}) | {:.3} | {:.2} | {:.0} | {:.0} | {:.1} |",
                m.status,
                m.wall,
                m.cpu,
                m.max_rss_kb as f64 / 1024.0,
                n as f64 / m.wall,
                m.wall / base
            );
        }
    }
    Ok(())
}
