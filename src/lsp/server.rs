//! The server loop: the LSP 3.17 life cycle (initialize, shutdown, exit), document sync,
//! publishing diagnostics, and dispatching requests to the feature modules.
//!
//! One thread owns the workspace. Before it handles a message it drains what has already
//! arrived, so a burst of `didChange` notifications is checked once, and a request the
//! client has cancelled (`$/cancelRequest`) is answered `RequestCancelled` without being
//! run. A handler that panics answers `InternalError`; the server goes on.

use super::position::{Encoding, LineIndex};
use super::transport::{self, Incoming};
use super::workspace::Workspace;
use super::{actions, completion, diagnostics, formatting, hover};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::io::Write;
use std::sync::mpsc::Receiver;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

pub struct Server<W: Write> {
    out: W,
    state: State,
    encoding: Encoding,
    /// `initializationOptions.docsUrl`: where rule documentation lives (`{code}` replaced).
    docs_url: Option<String>,
    ws: Option<Workspace>,
    /// Open documents whose diagnostics must be published.
    dirty: BTreeSet<String>,
    cancelled: HashSet<RequestId>,
}

/// Serves the messages of `input`, writing to `out`, until `exit` or the end of the input.
/// Returns the process exit code: 0 after `shutdown` then `exit`, else 1 (LSP 3.17).
pub fn serve<W: Write>(input: Receiver<Incoming>, out: W) -> u8 {
    let mut server = Server {
        out,
        state: State::Uninitialized,
        encoding: Encoding::Utf16,
        docs_url: None,
        ws: None,
        dirty: BTreeSet::new(),
        cancelled: HashSet::new(),
    };
    let mut queue: VecDeque<Incoming> = VecDeque::new();
    loop {
        if queue.is_empty() {
            server.flush();
            match input.recv() {
                Ok(m) => queue.push_back(m),
                Err(_) => return u8::from(server.state != State::ShutDown),
            }
        }
        while let Ok(m) = input.try_recv() {
            queue.push_back(m);
        }
        for m in &queue {
            if let Incoming::Message(Message::Notification(n)) = m {
                if n.method == "$/cancelRequest" {
                    if let Some(id) = n.params.get("id").cloned() {
                        if let Ok(id) = serde_json::from_value::<RequestId>(id) {
                            server.cancelled.insert(id);
                        }
                    }
                }
            }
        }
        let Some(m) = queue.pop_front() else { continue };
        if let Some(code) = server.handle(m) {
            return code;
        }
    }
}

impl<W: Write> Server<W> {
    fn send(&mut self, m: Message) {
        if let Err(e) = transport::write_message(&mut self.out, &m) {
            eprintln!("ruleforge lsp: writing to the client: {e}");
        }
    }

    fn respond_err(&mut self, id: RequestId, code: i32, message: impl Into<String>) {
        self.send(Message::Response(Response::new_err(
            id,
            code,
            message.into(),
        )));
    }

    fn notify(&mut self, method: &str, params: impl serde::Serialize) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    /// A line in the client's log (`window/logMessage`) and on stderr.
    fn log(&mut self, typ: lsp::MessageType, message: String) {
        eprintln!("ruleforge lsp: {message}");
        self.notify("window/logMessage", lsp::LogMessageParams { typ, message });
    }

    /// Handles one message; `Some(code)` when the server must exit.
    fn handle(&mut self, m: Incoming) -> Option<u8> {
        match m {
            Incoming::Malformed { id, code, message } => {
                match id {
                    Some(id) => self.respond_err(id, code, message),
                    None => {
                        if let Err(e) =
                            transport::write_null_id_error(&mut self.out, code, &message)
                        {
                            eprintln!("ruleforge lsp: writing to the client: {e}");
                        }
                    }
                }
                None
            }
            Incoming::Message(Message::Request(req)) => {
                self.request(req);
                None
            }
            Incoming::Message(Message::Notification(n)) => self.notification(n),
            // Answers to our own requests (capability registration): nothing to do.
            Incoming::Message(Message::Response(_)) => None,
        }
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        if self.cancelled.remove(&id) {
            return self.respond_err(id, ErrorCode::RequestCanceled as i32, "cancelled");
        }
        match (self.state, req.method.as_str()) {
            (State::Uninitialized, "initialize") => return self.initialize(req),
            (State::Uninitialized, _) => {
                return self.respond_err(
                    id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet",
                )
            }
            (_, "initialize") => {
                return self.respond_err(
                    id,
                    ErrorCode::InvalidRequest as i32,
                    "already initialized",
                )
            }
            (State::ShutDown, _) => {
                return self.respond_err(
                    id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down",
                )
            }
            (_, "shutdown") => {
                self.state = State::ShutDown;
                return self.send(Message::Response(Response::new_ok(id, Value::Null)));
            }
            _ => {}
        }
        // Requests see every edit that came before them.
        self.flush();
        let method = req.method.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.dispatch(&method, req.params)
        }));
        let response = match result {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code, message),
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("{method}: internal error (see the server's log)"),
            ),
        };
        self.send(Message::Response(response));
    }

    fn dispatch(&mut self, method: &str, params: Value) -> Result<Value, (i32, String)> {
        fn parse<P: serde::de::DeserializeOwned>(params: Value) -> Result<P, (i32, String)> {
            serde_json::from_value(params).map_err(|e| {
                (
                    ErrorCode::InvalidParams as i32,
                    format!("invalid params: {e}"),
                )
            })
        }
        let json = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
        };
        let enc = self.encoding;
        let Some(ws) = self.ws.as_ref() else {
            return Err((ErrorCode::InternalError as i32, "no workspace".into()));
        };
        let path_of = |uri: &lsp::Uri| {
            ws.docs
                .iter()
                .find(|(_, d)| &d.uri == uri)
                .map(|(p, _)| p.clone())
        };
        match method {
            "textDocument/codeAction" => {
                let p: lsp::CodeActionParams = parse(params)?;
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Ok(Value::Null);
                };
                let found = ws.diagnostics(&path);
                let converted =
                    diagnostics::to_lsp(ws, &path, enc, self.docs_url.as_deref(), &found);
                let actions = actions::code_actions(
                    ws,
                    &path,
                    enc,
                    p.range,
                    p.context.only.as_deref(),
                    &found,
                    &converted,
                );
                json(serde_json::to_value(actions))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = parse(params)?;
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Ok(Value::Null);
                };
                json(serde_json::to_value(formatting::formatting(ws, &path, enc)))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = parse(params)?;
                let uri = &p.text_document_position_params.text_document.uri;
                let Some(path) = path_of(uri) else {
                    return Ok(Value::Null);
                };
                let found = ws.diagnostics(&path);
                let pos = p.text_document_position_params.position;
                json(serde_json::to_value(hover::hover(
                    ws, &path, enc, pos, &found,
                )))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = parse(params)?;
                let uri = &p.text_document_position_params.text_document.uri;
                let Some(path) = path_of(uri) else {
                    return Ok(Value::Null);
                };
                let pos = p.text_document_position_params.position;
                json(serde_json::to_value(hover::definition(ws, &path, enc, pos)))
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = parse(params)?;
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Ok(Value::Null);
                };
                json(serde_json::to_value(hover::symbols(ws, &path, enc)))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = parse(params)?;
                let uri = &p.text_document_position.text_document.uri;
                let Some(path) = path_of(uri) else {
                    return Ok(Value::Null);
                };
                let pos = p.text_document_position.position;
                json(serde_json::to_value(completion::complete(
                    ws, &path, enc, pos,
                )))
            }
            _ => Err((
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{method}`"),
            )),
        }
    }

    fn initialize(&mut self, req: Request) {
        let params: lsp::InitializeParams = match serde_json::from_value(req.params.clone()) {
            Ok(p) => p,
            Err(e) => {
                return self.respond_err(
                    req.id,
                    ErrorCode::InvalidParams as i32,
                    format!("invalid initialize params: {e}"),
                )
            }
        };
        self.encoding = Encoding::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        self.docs_url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("docsUrl"))
            .and_then(Value::as_str)
            .map(str::to_string);
        #[allow(deprecated)] // `rootUri` and `rootPath`: older clients send only those
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| super::workspace::file_path(&f.uri))
            .or_else(|| {
                params
                    .root_uri
                    .as_ref()
                    .and_then(super::workspace::file_path)
            })
            .or_else(|| params.root_path.as_ref().map(std::path::PathBuf::from))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        let started = Instant::now();
        let ws = Workspace::open(&root);
        let indexed = ws.indexed_rules();
        let problem = ws.config_problem.clone();
        let root_shown = ws.root.display().to_string();
        self.ws = Some(ws);
        let result = lsp::InitializeResult {
            capabilities: capabilities(self.encoding),
            server_info: Some(lsp::ServerInfo {
                name: "ruleforge".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        self.send(Message::Response(Response::new_ok(req.id, result)));
        self.state = State::Running;
        self.log(
            lsp::MessageType::INFO,
            format!(
                "{root_shown}: indexed {indexed} rules in {} ms",
                started.elapsed().as_millis()
            ),
        );
        if let Some(problem) = problem {
            self.notify(
                "window/showMessage",
                lsp::ShowMessageParams {
                    typ: lsp::MessageType::WARNING,
                    message: format!("ruleforge: {problem} (using the default configuration)"),
                },
            );
        }
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if watch {
            self.register_watchers();
        }
    }

    fn register_watchers(&mut self) {
        let watchers = ["**/*.yml", "**/*.yaml", "**/ruleforge.toml"]
            .into_iter()
            .map(|g| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String(g.into()),
                kind: None,
            })
            .collect();
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = lsp::RegistrationParams {
            registrations: vec![lsp::Registration {
                id: "ruleforge-watch".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.send(Message::Request(Request::new(
            RequestId::from("ruleforge/register-watchers".to_string()),
            "client/registerCapability".into(),
            params,
        )));
    }

    fn notification(&mut self, n: Notification) -> Option<u8> {
        if n.method == "exit" {
            return Some(u8::from(self.state != State::ShutDown));
        }
        if self.state != State::Running {
            return None;
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.document_event(&n.method, n.params)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(message)) => self.log(
                lsp::MessageType::WARNING,
                format!("{}: {message}", n.method),
            ),
            Err(_) => self.log(
                lsp::MessageType::ERROR,
                format!("{}: internal error", n.method),
            ),
        }
        None
    }

    fn document_event(&mut self, method: &str, params: Value) -> Result<(), String> {
        fn parse<P: serde::de::DeserializeOwned>(params: Value) -> Result<P, String> {
            serde_json::from_value(params).map_err(|e| format!("invalid params: {e}"))
        }
        let enc = self.encoding;
        let Some(ws) = self.ws.as_mut() else {
            return Ok(());
        };
        match method {
            "textDocument/didOpen" => {
                let p: lsp::DidOpenTextDocumentParams = parse(params)?;
                let d = p.text_document;
                let path = ws
                    .open_doc(d.uri.clone(), d.version, d.text)
                    .ok_or_else(|| {
                        format!("{}: not a document the server can check", d.uri.as_str())
                    })?;
                self.dirty.insert(path);
            }
            "textDocument/didChange" => {
                let p: lsp::DidChangeTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                let Some((path, doc)) = ws.docs.iter().find(|(_, d)| d.uri == uri) else {
                    return Err(format!("{}: not open", uri.as_str()));
                };
                let path = path.clone();
                let mut text = doc.text.clone();
                for change in p.content_changes {
                    match change.range {
                        None => text = change.text,
                        Some(range) => {
                            let index = LineIndex::new(&text, enc);
                            let start = index.offset(&text, range.start);
                            let end = index.offset(&text, range.end).max(start);
                            text.replace_range(start..end, &change.text);
                        }
                    }
                }
                ws.open_doc(uri, p.text_document.version, text);
                self.dirty.insert(path);
            }
            "textDocument/didClose" => {
                let p: lsp::DidCloseTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                let path = ws
                    .docs
                    .iter()
                    .find(|(_, d)| d.uri == uri)
                    .map(|(p, _)| p.clone());
                if let Some(path) = path {
                    ws.close_doc(&path);
                    self.dirty.remove(&path);
                }
                self.notify(
                    "textDocument/publishDiagnostics",
                    lsp::PublishDiagnosticsParams {
                        uri,
                        diagnostics: Vec::new(),
                        version: None,
                    },
                );
            }
            "workspace/didChangeWatchedFiles" => {
                let p: lsp::DidChangeWatchedFilesParams = parse(params)?;
                let mut reload = false;
                for change in &p.changes {
                    let Some((path, inside)) = ws.path_of(&change.uri) else {
                        continue;
                    };
                    if !inside {
                        continue;
                    }
                    if path == crate::config::FILE_NAME {
                        reload = true;
                    } else {
                        ws.refresh_from_disk(&path);
                    }
                }
                if reload {
                    ws.reload();
                    self.dirty.extend(ws.docs.keys().cloned());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs the repository-wide checks if something changed and publishes the diagnostics
    /// of every open document that needs it: the edited ones, and those whose
    /// repository-wide findings the edit changed.
    fn flush(&mut self) {
        let Some(ws) = self.ws.as_mut() else { return };
        let affected = ws.refresh_repository();
        let mut paths = std::mem::take(&mut self.dirty);
        paths.extend(affected.into_iter().filter(|p| ws.docs.contains_key(p)));
        for path in paths {
            let Some(ws) = self.ws.as_ref() else { return };
            let Some(doc) = ws.docs.get(&path) else {
                continue;
            };
            let found = ws.diagnostics(&path);
            let converted =
                diagnostics::to_lsp(ws, &path, self.encoding, self.docs_url.as_deref(), &found);
            let params = lsp::PublishDiagnosticsParams {
                uri: doc.uri.clone(),
                diagnostics: converted,
                version: Some(doc.version),
            };
            self.notify("textDocument/publishDiagnostics", params);
        }
        self.cancelled.clear();
    }
}

fn capabilities(encoding: Encoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                ..lsp::TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp::CodeActionKind::QUICKFIX,
                    lsp::CodeActionKind::new(actions::FIX_ALL),
                ]),
                ..lsp::CodeActionOptions::default()
            },
        )),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![":".into(), "|".into(), " ".into(), ".".into()]),
            ..lsp::CompletionOptions::default()
        }),
        ..lsp::ServerCapabilities::default()
    }
}
