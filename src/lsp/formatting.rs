//! `textDocument/formatting`: the edit whose result is byte for byte what `ruleforge fmt`
//! writes. Nothing for a Sigma file (`fmt` leaves those alone), an empty list for a file
//! already in the canonical layout, and `None` for a buffer that does not parse.

use super::actions::whole_document;
use super::position::Encoding;
use super::workspace::Workspace;
use crate::source::SourceFile;
use lsp_types as lsp;

/// What `ruleforge fmt` would write for `text` at `path`; `Ok(None)` when `fmt` leaves it as
/// it is (a Sigma file), `Err` when it cannot be formatted.
pub fn formatted(ws: &Workspace, path: &str, text: &str) -> Result<Option<String>, String> {
    let src = SourceFile::new(path, text);
    if crate::kind::kind_of(&src, &ws.opts.kinds) == crate::kind::RuleKind::Sigma {
        return Ok(None);
    }
    crate::format::format_source(&src)
        .map(Some)
        .map_err(|e| format!("{e:?}"))
}

pub fn formatting(ws: &Workspace, path: &str, encoding: Encoding) -> Option<Vec<lsp::TextEdit>> {
    let doc = ws.docs.get(path)?;
    if doc.text.len() as u64 > ws.opts.max_file_size {
        return None;
    }
    match formatted(ws, path, &doc.text) {
        Ok(Some(new)) if new != doc.text => Some(vec![whole_document(&doc.text, encoding, new)]),
        Ok(_) => Some(Vec::new()),
        Err(_) => None,
    }
}
