//! RF692 `sigma-duplicate-file-name`: Two Sigma files in different folders have the same file name.
//!
//! pySigma counterpart: DuplicateFilenameIssue (duplicate_filename).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF692",
    name: "sigma-duplicate-file-name",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma files in different folders have the same file name",
    explanation: "Conversion pipelines and SIEM imports often flatten folders and key rules by file name: two files with one name overwrite each other there. Rename one (keep its `id`).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by: BTreeMap<&str, Vec<&RuleSummary>> = BTreeMap::new();
    for r in cx.sigma {
        let name = r.path.rsplit('/').next().unwrap_or(&r.path);
        let g = by.entry(name).or_default();
        if !g.iter().any(|o| o.path == r.path) {
            g.push(r);
        }
    }
    for (name, g) in by.iter().filter(|(_, g)| g.len() > 1) {
        for r in g {
            let others: Vec<&&RuleSummary> = g.iter().filter(|o| o.path != r.path).collect();
            let mut d = RULE.diagnostic(
                &r.path,
                None,
                format!(
                    "file name `{name}` is also used by {}",
                    others
                        .iter()
                        .map(|o| o.path.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            for o in others {
                d = d.with_related(Related {
                    path: o.path.clone(),
                    span: None,
                    message: "the same file name".into(),
                });
            }
            out.push(d);
        }
    }
}
