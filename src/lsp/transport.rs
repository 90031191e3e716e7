//! The JSON-RPC framing over a byte stream (`Content-Length` headers), read on its own
//! thread so the server can look ahead for cancellations and coalesce edits.
//!
//! `lsp-server`'s own stdio transport stops at the first malformed message; a language
//! server must instead answer it with a JSON-RPC error (`-32700` parse error, `-32600`
//! invalid request) and carry on. So the reader is ours; the message types are
//! `lsp-server`'s.

use lsp_server::{Message, RequestId};
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender};

/// The largest message body read; a larger one is skipped and answered with an error.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// What the reader thread hands the server.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A body that is not a JSON-RPC message: answered with `code` (and the request's id
    /// when one could be read from it), then the server goes on.
    Malformed {
        id: Option<RequestId>,
        code: i32,
        message: String,
    },
}

/// JSON-RPC's parse error.
pub const PARSE_ERROR: i32 = -32700;
/// JSON-RPC's invalid request.
pub const INVALID_REQUEST: i32 = -32600;

/// Starts a thread reading messages from `input` into a channel; the channel closes at the
/// end of the input (or after `exit`).
pub fn spawn_reader<R: Read + Send + 'static>(input: R) -> Receiver<Incoming> {
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let spawned = std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || read_loop(std::io::BufReader::new(input), &tx));
    if let Err(e) = spawned {
        eprintln!("ruleforge lsp: cannot start the reader thread: {e}");
    }
    rx
}

fn read_loop(mut input: impl BufRead, tx: &SyncSender<Incoming>) {
    loop {
        let incoming = match read_frame(&mut input) {
            Ok(None) => return,
            Ok(Some(Frame::Body(body))) => parse(&body),
            Ok(Some(Frame::Error(message))) => Incoming::Malformed {
                id: None,
                code: INVALID_REQUEST,
                message,
            },
            Err(e) => {
                eprintln!("ruleforge lsp: reading the client's messages: {e}");
                return;
            }
        };
        let is_exit =
            matches!(&incoming, Incoming::Message(Message::Notification(n)) if n.method == "exit");
        if tx.send(incoming).is_err() || is_exit {
            return;
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    /// A header block that cannot be used (skipped, with the reason).
    Error(String),
}

/// Reads one header block and its body. `Ok(None)` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> std::io::Result<Option<Frame>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
                );
            }
        }
    }
    let length = match length {
        None => {
            return Ok(Some(Frame::Error(
                "a message without Content-Length".into(),
            )))
        }
        Some(Err(e)) => return Ok(Some(Frame::Error(e))),
        Some(Ok(n)) => n,
    };
    if length > MAX_MESSAGE {
        std::io::copy(&mut input.take(length as u64), &mut std::io::sink())?;
        return Ok(Some(Frame::Error(format!(
            "a message of {length} bytes, over the {MAX_MESSAGE}-byte limit: skipped"
        ))));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(Frame::Body(body)))
}

fn parse(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Malformed {
                id: None,
                code: PARSE_ERROR,
                message: format!("not JSON: {e}"),
            }
        }
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    // `lsp-server`'s `Message` is untagged: an object with an id and nothing else would
    // read as an empty response. A message is a request or notification (a string
    // `method`) or a response (an `id` with a `result` or an `error`).
    let shaped = match value.get("method") {
        Some(m) => m.is_string(),
        None => {
            value.get("id").is_some()
                && (value.get("result").is_some() || value.get("error").is_some())
        }
    };
    let parsed = if shaped {
        serde_json::from_value::<Message>(value).map_err(|e| e.to_string())
    } else {
        Err("no `method`, and not a response".to_string())
    };
    match parsed {
        Ok(m) => Incoming::Message(m),
        Err(e) => Incoming::Malformed {
            id,
            code: INVALID_REQUEST,
            message: format!("not a JSON-RPC request, response or notification: {e}"),
        },
    }
}

/// Writes one message with its header; an error response without an id is written as
/// JSON-RPC requires (`"id": null`).
pub fn write_message(out: &mut impl Write, message: &Message) -> std::io::Result<()> {
    message.write(out)?;
    out.flush()
}

/// Writes an error response whose request id is unknown (`"id": null`).
pub fn write_null_id_error(out: &mut impl Write, code: i32, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Incoming> {
        let (tx, rx) = std::sync::mpsc::sync_channel(64);
        read_loop(std::io::Cursor::new(input.as_bytes().to_vec()), &tx);
        drop(tx);
        rx.into_iter().collect()
    }

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_messages_are_reported_and_reading_goes_on() {
        let input = [
            framed("{not json"),
            framed(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#),
            "X-Other: 1\r\n\r\n".to_string(),
            framed(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
        ]
        .concat();
        let got = frames(&input);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(matches!(
            &got[0],
            Incoming::Malformed {
                code: PARSE_ERROR,
                id: None,
                ..
            }
        ));
        assert!(
            matches!(&got[1], Incoming::Malformed { code: INVALID_REQUEST, id: Some(id), .. } if *id == RequestId::from(7)),
            "{:?}",
            got[1]
        );
        assert!(matches!(
            &got[2],
            Incoming::Malformed {
                code: INVALID_REQUEST,
                ..
            }
        ));
        assert!(
            matches!(&got[3], Incoming::Message(Message::Notification(n)) if n.method == "initialized")
        );
    }

    #[test]
    fn a_truncated_body_ends_reading_without_a_message() {
        assert!(frames("Content-Length: 50\r\n\r\n{}").is_empty());
    }
}
