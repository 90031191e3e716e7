//! Hover and navigation over an open document: a finding's explanation (`ruleforge rule
//! CODE`), an indicator type's canonical form, matching and ECS fields, a condition group's
//! types and value counts, a related rule's title and path; document symbols (groups,
//! tests) and go-to-definition (a condition's group name to the group, a `related` id to
//! the other rule's file).

use super::position::{Encoding, LineIndex};
use super::workspace::Workspace;
use crate::diagnostic::Diagnostic;
use crate::indicator::{IndicatorType, Syntax};
use crate::kind::Parsed;
use crate::rule::{Group, Rule};
use crate::source::SourceFile;
use lsp_types as lsp;
use std::fmt::Write;

/// The native rule of a document's text, when it parses as one.
fn native_rule(ws: &Workspace, path: &str, text: &str) -> Option<Rule> {
    match crate::kind::parse_source(SourceFile::new(path, text), &ws.opts.kinds) {
        Parsed::Native(f) => f.parsed.ok().map(|(_, rule)| rule),
        Parsed::Sigma(_) => None,
    }
}

/// The identifier around byte `at` (letters, digits, `_`, `-`, `*`, `.`) and its start.
fn word_at(text: &str, at: usize) -> Option<(usize, &str)> {
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '*' | '.');
    let at = at.min(text.len());
    if !text.is_char_boundary(at) {
        return None;
    }
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| at + i);
    (start < end).then(|| (start, &text[start..end]))
}

/// Groups a condition word names: the group itself, or those a `prefix*` pattern matches.
fn groups_named<'a>(rule: &'a Rule, word: &str) -> Vec<&'a Group> {
    match word.strip_suffix('*') {
        Some(prefix) => rule
            .indicators
            .iter()
            .filter(|g| g.name.starts_with(prefix))
            .collect(),
        None => rule.indicators.iter().filter(|g| g.name == word).collect(),
    }
}

pub fn type_doc(ty: IndicatorType) -> String {
    let canonical = match ty.syntax() {
        Syntax::Hash(n) => format!("{n} lower-case hexadecimal digits"),
        Syntax::Glob { .. } => "the text as written; `*` and `?` are wildcards".into(),
        Syntax::Url => "a WHATWG URL, scheme and host in lower case".into(),
        Syntax::Domain => "IDNA (punycode), lower case, no trailing dot".into(),
        Syntax::Ip => "an address or a CIDR network with its host bits cleared".into(),
        Syntax::Email => "`local@domain`, the domain canonical as `domain`".into(),
    };
    // docs/matching.md, "Matching semantics".
    let matching = match ty.syntax() {
        Syntax::Hash(_) => "equal (the event value ASCII lower-cased)".to_string(),
        Syntax::Glob {
            case_insensitive: true,
        } => "glob over the whole value (`*`, `?`), case-insensitive".into(),
        Syntax::Glob { .. } => "glob over the whole value (`*`, `?`), **case-sensitive**".into(),
        Syntax::Url => "equal to the WHATWG-normalized event URL, or `*` glob (`?` literal)".into(),
        Syntax::Domain => "equal, or a proper subdomain for `*.base`".into(),
        Syntax::Ip => "the event address is in the network".into(),
        Syntax::Email => "equal (local part lower-cased, domain as for `domain`)".into(),
    };
    let mut s = format!(
        "**`{}`** indicator\n\n- canonical form: {canonical}\n- matching: {matching}",
        ty.name()
    );
    if ty.allows_regex() {
        s.push_str("; `regex:` values are regular expressions");
    }
    let _ = write!(
        s,
        "\n- ECS fields: {}",
        ty.ecs_fields()
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s
}

fn group_doc(groups: &[&Group]) -> String {
    let mut s = String::new();
    for g in groups {
        let _ = writeln!(
            s,
            "**group `{}`**: its types are AND-ed, values OR-ed\n",
            g.name
        );
        for t in &g.types {
            let _ = writeln!(
                s,
                "- `{}`: {} value{}",
                t.key,
                t.values.len(),
                if t.values.len() == 1 { "" } else { "s" }
            );
        }
        s.push('\n');
    }
    s.trim_end().to_string()
}

/// The hover text at `pos` of the open document at `path`.
pub fn hover(
    ws: &Workspace,
    path: &str,
    encoding: Encoding,
    pos: lsp::Position,
    found: &[Diagnostic],
) -> Option<lsp::Hover> {
    let doc = ws.docs.get(path)?;
    let text = &doc.text;
    let index = LineIndex::new(text, encoding);
    let at = index.offset(text, pos);
    let markdown = |value: String, span: Option<crate::Span>| lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: span.map(|s| index.range(text, s.start, s.end)),
    };
    // Findings under the cursor: their rules' explanations.
    let here: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.span.is_some_and(|s| s.start <= at && at <= s.end))
        .collect();
    if !here.is_empty() {
        let mut s = String::new();
        for d in &here {
            if let Some(rule) = crate::lint::registry::lookup(d.code) {
                let _ = write!(
                    s,
                    "**{}**: {}\n\n```text\n{}```\n\n",
                    d.code,
                    d.message,
                    crate::lint::registry::explain(rule)
                );
            }
        }
        return Some(markdown(s.trim_end().to_string(), here[0].span));
    }
    let rule = native_rule(ws, path, text)?;
    for g in &rule.indicators {
        for t in &g.types {
            if t.span.start <= at && at <= t.span.end {
                return t.ty.map(|ty| markdown(type_doc(ty), Some(t.span)));
            }
        }
        if g.span.start <= at && at <= g.span.end {
            return Some(markdown(group_doc(&[g]), Some(g.span)));
        }
    }
    if let Some(c) = rule
        .condition
        .as_ref()
        .filter(|c| c.span.start <= at && at <= c.span.end)
    {
        let (start, word) = word_at(text, at)?;
        let groups = groups_named(&rule, word);
        let _ = c;
        return (!groups.is_empty()).then(|| {
            markdown(
                group_doc(&groups),
                Some(crate::Span::new(start, start + word.len())),
            )
        });
    }
    for r in &rule.related {
        if let Some(id) =
            r.id.as_ref()
                .filter(|i| i.span.start <= at && at <= i.span.end)
        {
            let value = match ws.rule_by_id(&id.value) {
                Some(other) => format!(
                    "**{}**\n\n`{}`",
                    other
                        .title
                        .as_ref()
                        .map_or("(no title)", |t| t.value.as_str()),
                    other.path
                ),
                None => format!("no rule in the workspace has the id `{}`", id.value),
            };
            return Some(markdown(value, Some(id.span)));
        }
    }
    None
}

/// Go to definition: from a group name in the condition to the group, from a `related` id
/// to the other rule.
pub fn definition(
    ws: &Workspace,
    path: &str,
    encoding: Encoding,
    pos: lsp::Position,
) -> Option<lsp::Location> {
    let doc = ws.docs.get(path)?;
    let text = &doc.text;
    let index = LineIndex::new(text, encoding);
    let at = index.offset(text, pos);
    let rule = native_rule(ws, path, text)?;
    if rule
        .condition
        .as_ref()
        .is_some_and(|c| c.span.start <= at && at <= c.span.end)
    {
        let (_, word) = word_at(text, at)?;
        let group = groups_named(&rule, word).into_iter().next()?;
        return Some(lsp::Location {
            uri: doc.uri.clone(),
            range: index.range(text, group.span.start, group.span.end),
        });
    }
    let id = rule
        .related
        .iter()
        .filter_map(|r| r.id.as_ref())
        .find(|i| i.span.start <= at && at <= i.span.end)?;
    let other = ws.rule_by_id(&id.value)?;
    let uri = ws.uri_of(&other.path)?;
    let range = match (&other.id, ws.text_of(&other.path)) {
        (Some(oid), Some(src)) => {
            LineIndex::new(&src.text, encoding).range(&src.text, oid.span.start, oid.span.end)
        }
        _ => lsp::Range::default(),
    };
    Some(lsp::Location { uri, range })
}

/// Document symbols: each indicator group (with its types) and each test.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be spelled out
pub fn symbols(ws: &Workspace, path: &str, encoding: Encoding) -> Vec<lsp::DocumentSymbol> {
    let Some(doc) = ws.docs.get(path) else {
        return Vec::new();
    };
    let text = &doc.text;
    let Some(rule) = native_rule(ws, path, text) else {
        return Vec::new();
    };
    let index = LineIndex::new(text, encoding);
    let symbol = |name: String,
                  kind: lsp::SymbolKind,
                  span: crate::Span,
                  children: Option<Vec<lsp::DocumentSymbol>>| {
        let range = index.range(text, span.start, span.end);
        lsp::DocumentSymbol {
            name: if name.is_empty() {
                "(unnamed)".into()
            } else {
                name
            },
            detail: None,
            kind,
            tags: None,
            deprecated: None,
            range,
            selection_range: range,
            children,
        }
    };
    let mut out: Vec<lsp::DocumentSymbol> = rule
        .indicators
        .iter()
        .map(|g| {
            let types = g
                .types
                .iter()
                .map(|t| symbol(t.key.clone(), lsp::SymbolKind::FIELD, t.span, None))
                .collect();
            symbol(
                g.name.clone(),
                lsp::SymbolKind::NAMESPACE,
                g.span,
                Some(types),
            )
        })
        .collect();
    out.extend(
        rule.tests
            .iter()
            .map(|t| symbol(t.name.clone(), lsp::SymbolKind::EVENT, t.span, None)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_a_condition() {
        let text = "condition: a_1  or not hash*";
        assert_eq!(word_at(text, 12), Some((11, "a_1")));
        // Just after a word still names it; between two spaces, nothing.
        assert_eq!(word_at(text, 14), Some((11, "a_1")));
        assert_eq!(word_at(text, 15), None);
        assert_eq!(word_at(text, 25), Some((23, "hash*")));
    }

    #[test]
    fn type_docs_name_the_ecs_fields() {
        let d = type_doc(IndicatorType::Sha256);
        assert!(d.contains("`file.hash.sha256`"), "{d}");
        assert!(d.contains("64 lower-case hexadecimal digits"), "{d}");
        assert!(type_doc(IndicatorType::Ip).contains("in the network"));
    }
}
