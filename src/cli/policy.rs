//! The policy part of `ruleforge lint --base REV`: diff REV against the working tree and add
//! the policy findings (RF501..RF505) to the lint outcome.

use crate::config::Config;
use crate::lint::{fix, Options, Outcome};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::Path;

/// Adds the policy findings between `base` and the working tree to `outcome`, keeping only
/// paths inside `scope` (repository-relative files or folders) when given. With `--fix`,
/// safe policy fixes are written back first.
pub(super) fn run(
    base: &str,
    root: &Path,
    cfg: &Config,
    opts: &Options,
    scope: Option<&[String]>,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let repo = crate::git::open_for_comparison(root)?;
    let dopts = crate::diff::Options::for_lint(
        cfg.lint.roots.clone(),
        crate::diff::prefix_for(&repo, root),
        opts,
    );
    let popts = crate::policy::Options::from_config(&cfg.policy, opts.today);
    let in_scope = |path: &str| {
        scope.is_none_or(|s| {
            s.iter().any(|p| {
                p.is_empty()
                    || path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        })
    };
    let mut d = crate::diff::compute(&repo, base, None, &dopts)?;
    let (mut diags, mut sources) = crate::policy::run(&d, &popts, opts);
    diags.retain(|x| in_scope(&x.path));
    if opts.fix {
        let mut by_path: BTreeMap<&str, Vec<crate::Diagnostic>> = BTreeMap::new();
        for x in diags.iter().filter(|x| x.fix.is_some()) {
            by_path.entry(x.path.as_str()).or_default().push(x.clone());
        }
        let mut fixed = 0;
        for (path, list) in &by_path {
            let Some(src) = sources.get(*path) else {
                continue;
            };
            let (text, n) = fix::apply(&src.text, list);
            if n > 0 {
                crate::fsutil::write_atomic(&root.join(path), text.as_bytes())
                    .with_context(|| format!("{path}: cannot write fixes"))?;
                fixed += n;
                outcome.files_fixed += 1;
            }
        }
        if fixed > 0 {
            outcome.fixed += fixed;
            d = crate::diff::compute(&repo, base, None, &dopts)?;
            (diags, sources) = crate::policy::run(&d, &popts, opts);
            diags.retain(|x| in_scope(&x.path));
        }
    }
    for (path, src) in sources {
        outcome.sources.entry(path).or_insert(src);
    }
    outcome.diagnostics.extend(diags);
    outcome.diagnostics.sort_by(|a, b| {
        (a.path.as_str(), a.span.map(|s| s.start), a.code).cmp(&(
            b.path.as_str(),
            b.span.map(|s| s.start),
            b.code,
        ))
    });
    Ok(())
}
