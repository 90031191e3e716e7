//! `ruleforge lsp`: a language server (LSP 3.17 over stdio) on the same engine as
//! `ruleforge lint` and `ruleforge fmt`.
//!
//! Beside lint in the layers: it uses lint's entry points for one buffer
//! (`lint::check_text`, `lint::fix_text`), the repository-wide checks over its own index
//! (`lint::check_repository`), and `format::format_source`, so an editor shows exactly what
//! the command line reports and writes. One file per concern: [`transport`] (framing and
//! malformed messages), [`server`] (life cycle, sync, dispatch), [`workspace`] (configuration,
//! index, open documents), [`position`] (byte offsets to UTF-8/UTF-16 positions),
//! [`diagnostics`], [`actions`], [`formatting`], [`hover`] (and navigation), [`completion`].

pub mod actions;
pub mod completion;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod position;
pub mod server;
pub mod transport;
pub mod workspace;

/// Serves on stdin and stdout until `exit` (or the end of stdin). Returns the exit code the
/// protocol asks for: 0 after `shutdown` then `exit`, 1 otherwise.
pub fn serve_stdio() -> u8 {
    let input = transport::spawn_reader(std::io::stdin());
    server::serve(input, std::io::stdout().lock())
}

#[cfg(test)]
mod tests {
    //! The language server's entry points against the command line's, in process, on every
    //! lint fixture that fires (native and Sigma).

    use crate::lint::{self, Options, Selection};
    use crate::load::{Input, Origin};
    use std::path::PathBuf;

    fn fixtures() -> Vec<(String, String)> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
        let mut out = Vec::new();
        for code in std::fs::read_dir(&root).unwrap().flatten() {
            let fires = code.path().join("fires");
            let Ok(files) = std::fs::read_dir(&fires) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                if crate::load::is_rule_file(&p) {
                    if let Ok(text) = std::fs::read_to_string(&p) {
                        let name = p.file_name().unwrap().to_string_lossy().into_owned();
                        out.push((format!("rules/{name}"), text));
                    }
                }
            }
        }
        assert!(out.len() > 50, "the lint fixtures: {}", out.len());
        out
    }

    fn opts() -> Options {
        Options::new(
            Selection::new(vec!["ALL".into()], Vec::new()),
            time::macros::date!(2026 - 01 - 01),
        )
    }

    /// Lints one file on disk as `ruleforge lint [--fix]` does; returns the outcome and the
    /// file's text afterwards.
    fn lint_on_disk(path: &str, text: &str, fix: bool) -> (lint::Outcome, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rule.yml");
        std::fs::write(&file, text).unwrap();
        let mut opts = opts();
        opts.fix = fix;
        let input = Input {
            path: path.to_string(),
            origin: Origin::Disk(file.clone()),
        };
        let outcome = lint::run(&[input], &opts).unwrap();
        (outcome, std::fs::read_to_string(&file).unwrap())
    }

    #[test]
    fn fix_all_is_lint_fix() {
        let mut fixed_some = 0;
        for (path, text) in fixtures() {
            let (_, after_cli) = lint_on_disk(&path, &text, true);
            let lsp = lint::fix_text(&path, &text, &opts()).unwrap_or_else(|| text.clone());
            assert_eq!(lsp, after_cli, "{path}");
            fixed_some += usize::from(after_cli != text);
        }
        assert!(fixed_some > 3, "fixtures with safe fixes: {fixed_some}");
    }

    #[test]
    fn buffer_findings_are_lint_findings() {
        for (path, text) in fixtures() {
            let (outcome, _) = lint_on_disk(&path, &text, false);
            let check = lint::check_text(&path, text.clone(), &opts());
            let mut found = check.diagnostics;
            let (sigma, native): (Vec<_>, Vec<_>) = check
                .summaries
                .into_iter()
                .partition(|s| s.kind == crate::kind::RuleKind::Sigma);
            found.extend(
                lint::check_repository(&native, &sigma, &opts())
                    .into_iter()
                    .filter(|d| !check.suppressions.suppresses(d, &check.source)),
            );
            let key = |d: &crate::Diagnostic| (d.span.map(|s| s.start), d.code, d.message.clone());
            let mut got: Vec<_> = found.iter().map(key).collect();
            let mut want: Vec<_> = outcome.diagnostics.iter().map(key).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn oversized_buffers_are_rf003_and_never_fixed() {
        let mut opts = opts();
        opts.max_file_size = 10;
        let check = lint::check_text("rules/a.yml", "id: 0123456789abcdef\n".into(), &opts);
        let codes: Vec<_> = check.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["RF003"]);
        assert_eq!(
            lint::fix_text("rules/a.yml", "id: 0123456789abcdef\n", &opts),
            None
        );
    }
}
