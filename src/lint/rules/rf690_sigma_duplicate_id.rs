//! RF690 `sigma-duplicate-id`: Two Sigma documents have the same id.
//!
//! pySigma counterpart: IdentifierCollisionIssue (identifier_uniqueness).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF690",
    name: "sigma-duplicate-id",
    severity: Severity::Error,
    category: Category::Repository,
    summary: "Two Sigma documents have the same id",
    explanation: "Ids identify Sigma rules in correlations, filters, `related` links and every SIEM that imports them: two documents with one id overwrite each other. Usually a file was copied to start a new rule; give the copy a fresh UUID.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &RepoContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut by: BTreeMap<&str, Vec<(&RuleSummary, Option<Span>)>> = BTreeMap::new();
    for r in cx.sigma {
        if let Some(id) = &r.id {
            by.entry(id.value.as_str())
                .or_default()
                .push((r, Some(id.span)));
        }
    }
    for (k, g) in by.iter().filter(|(_, g)| g.len() > 1) {
        report(out, "id", k, g);
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
