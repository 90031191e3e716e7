//! Lint findings as LSP diagnostics: range in the negotiated encoding, the rule code with a
//! link to its documentation, severity, and the related locations in other files.

use super::position::{Encoding, LineIndex};
use super::workspace::Workspace;
use crate::diagnostic::{Diagnostic, Severity};
use lsp_types as lsp;

/// At most this many related locations per finding (a value shared by thousands of rules
/// would otherwise send thousands).
const MAX_RELATED: usize = 20;

/// Where a rule's documentation is, if anywhere: `docs_url` (with `{code}` replaced by the
/// code in lower case) when the client configured one, else the workspace's own
/// `docs/lint.md` when it has one.
pub fn code_description(
    ws: &Workspace,
    docs_url: Option<&str>,
    code: &str,
) -> Option<lsp::CodeDescription> {
    let href = match docs_url {
        Some(base) => base.replace("{code}", &code.to_ascii_lowercase()),
        None => {
            let file = ws.root.join("docs/lint.md");
            if !file.is_file() {
                return None;
            }
            super::workspace::file_uri(&file)?.as_str().to_string()
        }
    };
    Some(lsp::CodeDescription {
        href: href.parse().ok()?,
    })
}

fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// Converts the findings of the open document at `path`.
pub fn to_lsp(
    ws: &Workspace,
    path: &str,
    encoding: Encoding,
    docs_url: Option<&str>,
    found: &[Diagnostic],
) -> Vec<lsp::Diagnostic> {
    let Some(doc) = ws.docs.get(path) else {
        return Vec::new();
    };
    let index = LineIndex::new(&doc.text, encoding);
    let mut other_files: std::collections::HashMap<String, Option<(String, LineIndex)>> =
        std::collections::HashMap::new();
    found
        .iter()
        .map(|d| {
            let range = match d.span {
                Some(s) => index.range(&doc.text, s.start, s.end),
                None => lsp::Range::default(),
            };
            let related: Vec<lsp::DiagnosticRelatedInformation> = d
                .related
                .iter()
                .take(MAX_RELATED)
                .filter_map(|r| {
                    let uri = ws.uri_of(&r.path)?;
                    let range = match r.span {
                        None => lsp::Range::default(),
                        Some(s) if r.path == path => index.range(&doc.text, s.start, s.end),
                        Some(s) => {
                            let entry = other_files.entry(r.path.clone()).or_insert_with(|| {
                                ws.text_of(&r.path).map(|src| {
                                    let idx = LineIndex::new(&src.text, encoding);
                                    (src.text, idx)
                                })
                            });
                            match entry {
                                Some((text, idx)) => idx.range(text, s.start, s.end),
                                None => lsp::Range::default(),
                            }
                        }
                    };
                    Some(lsp::DiagnosticRelatedInformation {
                        location: lsp::Location { uri, range },
                        message: r.message.clone(),
                    })
                })
                .collect();
            lsp::Diagnostic {
                range,
                severity: Some(severity(d.severity)),
                code: Some(lsp::NumberOrString::String(d.code.to_string())),
                code_description: code_description(ws, docs_url, d.code),
                source: Some("ruleforge".into()),
                message: d.message.clone(),
                related_information: (!related.is_empty()).then_some(related),
                tags: None,
                data: None,
            }
        })
        .collect()
}
