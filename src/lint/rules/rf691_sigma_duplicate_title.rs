//! RF691 `sigma-duplicate-title`: Two Sigma documents have the same title.
//!
//! pySigma counterpart: DuplicateTitleIssue (duplicate_title).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF691",
    name: "sigma-duplicate-title",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma documents have the same title",
    explanation: "Titles are what analysts see in alert lists: two rules with one title cannot be told apart there. Make each title say what distinguishes the rule (the log source, the technique variant).",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by: BTreeMap<&str, Vec<(&RuleSummary, Option<Span>)>> = BTreeMap::new();
    for r in cx.sigma {
        if let Some(t) = &r.title {
            by.entry(t.value.as_str())
                .or_default()
                .push((r, Some(t.span)));
        }
    }
    for (k, g) in by.iter().filter(|(_, g)| g.len() > 1) {
        report(out, "title", k, g);
    }
}

fn report(
    out: &mut Vec<Diagnostic>,
    what: &str,
    key: &str,
    group: &[(&RuleSummary, Option<Span>)],
) {
    for (r, span) in group {
        let others: Vec<&(&RuleSummary, Option<Span>)> = group
            .iter()
            .filter(|(o, s)| !(o.path == r.path && s == span))
            .collect();
        let mut d = RULE.diagnostic(
            &r.path,
            span.or(r.sigma.as_ref().map(|s| s.anchor)),
            format!(
                "{what} `{key}` is also used by {}",
                others
                    .iter()
                    .map(|(o, _)| o.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        for (o, s) in others {
            d = d.with_related(Related {
                path: o.path.clone(),
                span: *s,
                message: format!("the same {what}"),
            });
        }
        out.push(d);
    }
}
