//! Code actions: each safe fix as a `quickfix` on its finding, "ignore RFxxx on this line"
//! (the inline suppression of docs/lint.md), and `source.fixAll.ruleforge`, which applies
//! every safe fix exactly as `lint --fix` would (the same loop, `lint::fix_text`).

use super::position::{Encoding, LineIndex};
use super::workspace::Workspace;
use crate::diagnostic::{Applicability, Diagnostic};
use lsp_types as lsp;
use std::collections::HashMap;

/// The code action kind of the fix-all action.
pub const FIX_ALL: &str = "source.fixAll.ruleforge";

/// Whether the client's `only` filter lets a kind through (a kind matches itself and its
/// sub-kinds: `source.fixAll` lets `source.fixAll.ruleforge` through).
fn wanted(only: Option<&[lsp::CodeActionKind]>, kind: &str) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|k| {
            let k = k.as_str();
            kind == k || kind.starts_with(&format!("{k}."))
        })
    })
}

fn edit(uri: &lsp::Uri, edits: Vec<lsp::TextEdit>) -> lsp::WorkspaceEdit {
    lsp::WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..lsp::WorkspaceEdit::default()
    }
}

/// The code actions for `range` of the open document at `path`. `found` are its current
/// findings and `converted` the same findings as sent to the client (same order).
pub fn code_actions(
    ws: &Workspace,
    path: &str,
    encoding: Encoding,
    range: lsp::Range,
    only: Option<&[lsp::CodeActionKind]>,
    found: &[Diagnostic],
    converted: &[lsp::Diagnostic],
) -> Vec<lsp::CodeActionOrCommand> {
    let Some(doc) = ws.docs.get(path) else {
        return Vec::new();
    };
    let text = &doc.text;
    let index = LineIndex::new(text, encoding);
    let (start, end) = (
        index.offset(text, range.start),
        index.offset(text, range.end),
    );
    let mut out = Vec::new();
    let quickfix = wanted(only, lsp::CodeActionKind::QUICKFIX.as_str());
    for (d, lsp_diag) in found.iter().zip(converted) {
        let Some(span) = d.span else { continue };
        // The finding touches the requested range (an empty range: the cursor inside it).
        if !(quickfix && span.start <= end && start <= span.end) {
            continue;
        }
        if let Some(fix) = d
            .fix
            .as_ref()
            .filter(|f| f.applicability == Applicability::Safe)
        {
            let edits = fix
                .edits
                .iter()
                .map(|e| lsp::TextEdit {
                    range: index.range(text, e.span.start, e.span.end),
                    new_text: e.replacement.clone(),
                })
                .collect();
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("{} ({})", fix.message, d.code),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(edit(&doc.uri, edits)),
                is_preferred: Some(true),
                ..lsp::CodeAction::default()
            }));
        }
        if let Some((at, insert)) = suppression_edit(text, span.start, d.code) {
            let pos = index.position(text, at);
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("Ignore {} on this line", d.code),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(edit(
                    &doc.uri,
                    vec![lsp::TextEdit {
                        range: lsp::Range::new(pos, pos),
                        new_text: insert,
                    }],
                )),
                ..lsp::CodeAction::default()
            }));
        }
    }
    if wanted(only, FIX_ALL) {
        if let Some(action) = fix_all(ws, path, encoding) {
            out.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
    }
    out
}

/// The fix-all action: the whole document replaced by what `lint --fix` writes; `None` when
/// there is nothing to fix.
pub fn fix_all(ws: &Workspace, path: &str, encoding: Encoding) -> Option<lsp::CodeAction> {
    let doc = ws.docs.get(path)?;
    let fixed = crate::lint::fix_text(path, &doc.text, &ws.opts)?;
    Some(lsp::CodeAction {
        title: "Fix all safe ruleforge findings".into(),
        kind: Some(lsp::CodeActionKind::new(FIX_ALL)),
        edit: Some(edit(
            &doc.uri,
            vec![whole_document(&doc.text, encoding, fixed)],
        )),
        ..lsp::CodeAction::default()
    })
}

/// One edit replacing all of `text` with `new_text`.
pub fn whole_document(text: &str, encoding: Encoding, new_text: String) -> lsp::TextEdit {
    let index = LineIndex::new(text, encoding);
    lsp::TextEdit {
        range: index.range(text, 0, text.len()),
        new_text,
    }
}

/// Where to insert `# ruleforge: ignore[CODE]` for a finding at byte `at`, and what: at the
/// end of the finding's line (before its line break), joining the code into an `ignore[...]`
/// list already there. `None` when the line already silences the code.
pub fn suppression_edit(text: &str, at: usize, code: &str) -> Option<(usize, String)> {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    let content_end = line_start + line.trim_end_matches(['\r', ' ', '\t']).len();
    let line = &text[line_start..content_end];
    if let Some(pos) = line.find("ruleforge: ignore[") {
        if line[..pos].contains('#') {
            let list_start = pos + "ruleforge: ignore[".len();
            let close = line[list_start..].find(']')? + list_start;
            let codes = &line[list_start..close];
            if codes
                .split(',')
                .any(|c| !c.trim().is_empty() && code.starts_with(c.trim()))
            {
                return None;
            }
            return Some((line_start + close, format!(", {code}")));
        }
    }
    Some((content_end, format!(" # ruleforge: ignore[{code}]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_goes_at_the_end_of_the_line_or_joins_the_list() {
        let text = "a: 1\nb: 10.0.0.1  \r\nc: x # ruleforge: ignore[RF201]\n";
        let b = text.find("10.0").unwrap();
        let (at, ins) = suppression_edit(text, b, "RF205").unwrap();
        assert_eq!(at, text.find("  \r\n").unwrap());
        assert_eq!(ins, " # ruleforge: ignore[RF205]");
        let c = text.find("x #").unwrap();
        let (at, ins) = suppression_edit(text, c, "RF205").unwrap();
        assert_eq!(&text[at..at + 1], "]");
        assert_eq!(ins, ", RF205");
        assert_eq!(suppression_edit(text, c, "RF201"), None);
    }

    #[test]
    fn only_filters_by_kind_and_sub_kind() {
        let source = [lsp::CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&source), FIX_ALL));
        assert!(!wanted(Some(&source), "quickfix"));
        assert!(wanted(None, "quickfix"));
        let quick = [lsp::CodeActionKind::QUICKFIX];
        assert!(!wanted(Some(&quick), FIX_ALL));
    }
}
