// The ruleforge extension: starts `ruleforge lsp` (stdio) for YAML files and hands it
// everything else (diagnostics, fixes, formatting, hover, completion, navigation).

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

const SECTION = "ruleforge";
let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("ruleforge");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("ruleforge.restart", () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (
        event.affectsConfiguration(`${SECTION}.path`) ||
        event.affectsConfiguration(`${SECTION}.docsUrl`)
      ) {
        void restart();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function makeClient(): LanguageClient {
  const config = vscode.workspace.getConfiguration(SECTION);
  const command = config.get<string>("path", "ruleforge").trim() || "ruleforge";
  const docsUrl = config.get<string>("docsUrl", "").trim();

  // `transport: stdio` makes the client append `--stdio`, which `ruleforge lsp` accepts.
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: docsUrl ? { docsUrl } : {},
    outputChannel: output,
  };
  return new LanguageClient(SECTION, "ruleforge", serverOptions, clientOptions);
}

async function start(): Promise<void> {
  const next = makeClient();
  client = next;
  try {
    await next.start();
  } catch (err) {
    client = undefined;
    const command = vscode.workspace.getConfiguration(SECTION).get<string>("path", "ruleforge");
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(
      `ruleforge: could not start \`${command} lsp\` (${message}). ` +
        "Install ruleforge or set `ruleforge.path` to its executable.",
    );
  }
}

async function stop(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (err) {
      output?.appendLine(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
