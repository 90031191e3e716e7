//! `ruleforge lsp`: a language server (LSP 3.17 over stdio) on the same engine as
//! `ruleforge lint` and `ruleforge fmt`.
//!
//! Beside lint in the layers: it uses lint's entry points for one buffer
//! (`lint::check_text`, `lint::fix_text`), the repository-wide checks over its own index
//! (`lint::check_repository`), and `format::format_source`, so an editor shows exactly what
//! the command line reports and writes. One file per concern: [`transport`] (framing and
//! malformed messages), [`server`] (life cycle, sync, dispatch), [`workspace`] (configuration,
//! index, open documents), [`position`] (byte offsets to UTF-8/UTF-16 positions),
//! [`diagnostics`], [`actions`], [`formatting`], [`hover`] (and navigation), [`completion`].

pub mod actions;
pub mod completion;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod position;
pub mod server;
pub mod transport;
pub mod workspace;

/// Serves on stdin and stdout until `exit` (or the end of stdin). Returns the exit code the
/// protocol asks for: 0 after `shutdown` then `exit`, 1 otherwise.
pub fn serve_stdio() -> u8 {
    let input = transport::spawn_reader(std::io::stdin());
    server::serve(input, std::io::stdout().lock())
}
