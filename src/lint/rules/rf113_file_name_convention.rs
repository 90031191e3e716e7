//! RF113 `file-name-convention`: The file name does not follow the naming convention.

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF113",
    name: "file-name-convention",
    severity: Severity::Warning,
    category: Category::Metadata,
    summary: "The file name does not follow the naming convention",
    explanation: "Rule files are named in lower-case kebab-case with the `.yml` extension (`sunburst-c2-domains.yml`): predictable names keep listings sorted, avoid case clashes on Windows and macOS checkouts, and make paths safe in shells and URLs. Rename the file; its `id` stays the same, so diffs report a move, not a new rule.",
    fixable: false,
    default_enabled: true,
};

pub fn check(cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
    let name = cx.path.rsplit('/').next().unwrap_or(cx.path);
    if !conventional(name) {
        out.push(RULE.diagnostic(
            cx.path,
            None,
            format!(
                "file name `{name}` should be lower-case kebab-case ending in `.yml` (e.g. `{}`)",
                suggest(name)
            ),
        ));
    }
}

/// `^[a-z0-9]+(-[a-z0-9]+)*\.yml$`
pub fn conventional(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".yml") else {
        return false;
    };
    !stem.is_empty()
        && stem.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A conventional spelling of a file name.
pub fn suggest(name: &str) -> String {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name);
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    format!("{}.yml", out.trim_end_matches('-'))
}
