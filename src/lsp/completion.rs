//! Completion from the shape of the line being typed and the keys above it: top-level keys
//! in the documented order, values of `status`/`severity`/`confidence`/`tlp`/`expect` and
//! of a related rule's `type`, tag namespaces, indicator types inside a group, group names
//! inside `condition`; for Sigma files, modifiers after `|` and the `logsource` keys.

use super::position::{Encoding, LineIndex};
use super::workspace::Workspace;
use crate::indicator::IndicatorType;
use crate::kind::RuleKind;
use crate::source::SourceFile;
use lsp_types as lsp;

/// The values the rule schema allows for a key (kept equal to `schemas/rule.schema.json` by a
/// test).
pub const ENUMS: &[(&str, &[&str])] = &[
    ("status", &["experimental", "test", "stable", "deprecated"]),
    ("severity", &["info", "low", "medium", "high", "critical"]),
    ("confidence", &["low", "medium", "high"]),
    ("tlp", &["clear", "green", "amber", "amber+strict", "red"]),
    ("expect", &["match", "no_match"]),
    (
        "type",
        &["supersedes", "derived", "obsoletes", "similar", "merged"],
    ),
];

/// The tag namespaces of docs/rule-format.md.
pub const TAG_NAMESPACES: &[&str] = &["attack.", "cve.", "actor.", "malware.", "campaign."];

const SIGMA_LOGSOURCE: &[&str] = &["category", "product", "service", "definition"];
const CONDITION_WORDS: &[&str] = &["and", "or", "not", "1 of", "all of", "them"];

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The keys enclosing line `line` (0-based), outermost first: each earlier line with less
/// indentation that is a `key:` line.
fn parents(lines: &[&str], line: usize, col_indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut want = col_indent;
    for l in lines[..line].iter().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent(l);
        if ind < want {
            let t = t.trim_start_matches("- ");
            if let Some((key, _)) = t.split_once(':') {
                out.push(key.trim().to_string());
            }
            want = ind;
            if ind == 0 {
                break;
            }
        }
    }
    out.reverse();
    out
}

fn item(label: &str, kind: lsp::CompletionItemKind, detail: Option<String>) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..lsp::CompletionItem::default()
    }
}

pub fn complete(
    ws: &Workspace,
    path: &str,
    encoding: Encoding,
    pos: lsp::Position,
) -> Vec<lsp::CompletionItem> {
    let Some(doc) = ws.docs.get(path) else {
        return Vec::new();
    };
    let text = &doc.text;
    let at = LineIndex::new(text, encoding).offset(text, pos);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    let lines: Vec<&str> = text.lines().collect();
    let line_no = text[..line_start].matches('\n').count();
    let src = SourceFile::new(path, text.as_str());
    let sigma = crate::kind::kind_of(&src, &ws.opts.kinds) == RuleKind::Sigma;
    let trimmed = before.trim_start();
    let parents = parents(&lines, line_no.min(lines.len()), indent(before));

    if sigma {
        // `field|mod|` inside a detection: the modifiers.
        if let Some((key, _)) = trimmed.rsplit_once('|') {
            if !key.contains(':') && parents.first().is_some_and(|p| p == "detection") {
                return crate::sigma::modifiers::MODIFIERS
                    .iter()
                    .map(|m| item(m.name, lsp::CompletionItemKind::OPERATOR, None))
                    .collect();
            }
        }
        if parents.last().is_some_and(|p| p == "logsource") && !trimmed.contains(':') {
            return SIGMA_LOGSOURCE
                .iter()
                .map(|k| item(k, lsp::CompletionItemKind::PROPERTY, None))
                .collect();
        }
        return Vec::new();
    }

    // `key: value` being typed: the key's allowed values.
    if let Some((key, _)) = trimmed.trim_start_matches("- ").split_once(':') {
        let key = key.trim();
        if key == "condition" {
            let mut out: Vec<lsp::CompletionItem> = Vec::new();
            if let Some(rule) = crate::rule::RuleFile::parse(src.clone()).rule() {
                out.extend(rule.indicators.iter().map(|g| {
                    item(
                        &g.name,
                        lsp::CompletionItemKind::REFERENCE,
                        Some("group".into()),
                    )
                }));
            } else {
                // Half-typed file: the group names under `indicators:` by indentation.
                out.extend(
                    group_names_by_indent(&lines).into_iter().map(|g| {
                        item(&g, lsp::CompletionItemKind::REFERENCE, Some("group".into()))
                    }),
                );
            }
            out.extend(
                CONDITION_WORDS
                    .iter()
                    .map(|w| item(w, lsp::CompletionItemKind::KEYWORD, None)),
            );
            return out;
        }
        let in_related = parents.first().is_some_and(|p| p == "related");
        return ENUMS
            .iter()
            .filter(|(k, _)| *k == key && (key != "type" || in_related))
            .flat_map(|(_, values)| values.iter())
            .map(|v| item(v, lsp::CompletionItemKind::ENUM_MEMBER, None))
            .collect();
    }
    // A list item under `tags:`: the namespaces.
    if trimmed.starts_with("- ") && parents.last().is_some_and(|p| p == "tags") {
        return TAG_NAMESPACES
            .iter()
            .map(|t| item(t, lsp::CompletionItemKind::MODULE, None))
            .collect();
    }
    // A key at the top level: the keys not yet there, in the documented order.
    if before == trimmed && !trimmed.contains(' ') {
        let present: Vec<&str> = lines
            .iter()
            .filter(|l| !l.starts_with([' ', '#', '-']))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k))
            .collect();
        return crate::rule::KEYS
            .iter()
            .filter(|k| !present.contains(k))
            .enumerate()
            .map(|(i, k)| lsp::CompletionItem {
                sort_text: Some(format!("{i:02}")),
                insert_text: Some(format!("{k}: ")),
                ..item(k, lsp::CompletionItemKind::PROPERTY, None)
            })
            .collect();
    }
    // A key inside a group of `indicators`: the indicator types.
    if parents.len() == 2 && parents[0] == "indicators" && !trimmed.starts_with('-') {
        return IndicatorType::ALL
            .iter()
            .map(|t| lsp::CompletionItem {
                documentation: Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: super::hover::type_doc(*t),
                })),
                ..item(t.name(), lsp::CompletionItemKind::FIELD, None)
            })
            .collect();
    }
    Vec::new()
}

fn group_names_by_indent(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside: Option<usize> = None;
    for l in lines {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent(l) == 0 {
            inside = t.starts_with("indicators:").then_some(usize::MAX);
            continue;
        }
        if let Some(group_indent) = inside.as_mut() {
            if *group_indent == usize::MAX {
                *group_indent = indent(l);
            }
            if indent(l) == *group_indent {
                if let Some((k, _)) = t.split_once(':') {
                    out.push(k.trim().to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_agree_with_the_rule_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/rule.schema.json")).unwrap();
        let text = schema.to_string();
        for (key, values) in ENUMS {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            let needle = format!("\"{key}\":{{\"enum\":[{}]", quoted.join(","));
            assert!(text.contains(&needle), "{key}: {needle} not in the schema");
        }
    }

    #[test]
    fn parents_follow_indentation() {
        let lines = ["indicators:", "  web:", "    sha256:", "      - x", "    "];
        assert_eq!(parents(&lines, 4, 4), vec!["indicators", "web"]);
        assert_eq!(parents(&lines, 2, 4), vec!["indicators", "web"]);
        assert!(parents(&lines, 1, 0).is_empty());
        assert_eq!(group_names_by_indent(&lines), vec!["web"]);
    }
}
