// The extension's own logic, outside VS Code: out/extension.js is loaded with stand-ins for
// the `vscode` API and for `vscode-languageclient/node` that record what it asks for. Checks
// the server command (`ruleforge.path` + `lsp`, stdio), the document selector, docsUrl as
// initializationOptions, the restart command, the restart on a settings change, and the
// error shown when the server cannot start. Run after `tsc -p .`: node test/activate.js
"use strict";
const assert = require("assert");
const Module = require("module");
const path = require("path");

const settings = { path: "ruleforge", docsUrl: "" };
const commands = new Map();
const errors = [];
let configListener;
const clients = [];
let failNextStart = false;

const vscode = {
  window: {
    createOutputChannel: (name) => ({ name, appendLine() {}, dispose() {} }),
    showErrorMessage: (message) => {
      errors.push(message);
      return Promise.resolve(undefined);
    },
  },
  commands: {
    registerCommand: (id, fn) => {
      commands.set(id, fn);
      return { dispose() {} };
    },
  },
  workspace: {
    getConfiguration: (section) => {
      assert.strictEqual(section, "ruleforge");
      return { get: (key, fallback) => (key in settings ? settings[key] : fallback) };
    },
    onDidChangeConfiguration: (fn) => {
      configListener = fn;
      return { dispose() {} };
    },
  },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: 0, stopped: 0 });
    clients.push(this);
  }
  async start() {
    if (failNextStart) {
      failNextStart = false;
      throw new Error("spawn nope ENOENT");
    }
    this.started += 1;
  }
  async stop() {
    this.stopped += 1;
  }
}
const client = { LanguageClient, TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 } };

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "vscode" || request === "vscode-languageclient/node") return request;
  return resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: vscode };
require.cache["vscode-languageclient/node"] = {
  id: "vscode-languageclient/node",
  filename: "vscode-languageclient/node",
  loaded: true,
  exports: client,
};

const ext = require(path.resolve(__dirname, "..", "out", "extension.js"));
const context = { subscriptions: [] };
const affects = (key) => ({ affectsConfiguration: (s) => s === key });

(async () => {
  await ext.activate(context);
  assert.strictEqual(clients.length, 1, "activate starts one client");
  const first = clients[0];
  assert.strictEqual(first.id, "ruleforge");
  assert.deepStrictEqual(first.serverOptions, {
    command: "ruleforge",
    args: ["lsp"],
    transport: client.TransportKind.stdio,
  });
  assert.deepStrictEqual(first.clientOptions.documentSelector, [
    { scheme: "file", language: "yaml" },
  ]);
  assert.deepStrictEqual(first.clientOptions.initializationOptions, {});
  assert.strictEqual(first.started, 1);
  assert.ok(commands.has("ruleforge.restart"), "ruleforge.restart is registered");

  // A settings change restarts the server with the new command and docsUrl.
  settings.path = "/opt/ruleforge/bin/ruleforge";
  settings.docsUrl = "https://docs.example/lint#{code}";
  configListener(affects("ruleforge.editor.unrelated"));
  await new Promise((r) => setImmediate(r));
  assert.strictEqual(clients.length, 1, "an unrelated setting restarts nothing");
  configListener(affects("ruleforge.path"));
  await new Promise((r) => setImmediate(r));
  assert.strictEqual(first.stopped, 1, "the old client is stopped");
  assert.strictEqual(clients.length, 2);
  assert.strictEqual(clients[1].serverOptions.command, "/opt/ruleforge/bin/ruleforge");
  assert.deepStrictEqual(clients[1].clientOptions.initializationOptions, {
    docsUrl: "https://docs.example/lint#{code}",
  });

  // The restart command; a server that cannot start gets an error naming the setting.
  failNextStart = true;
  await commands.get("ruleforge.restart")();
  assert.strictEqual(clients[1].stopped, 1);
  assert.strictEqual(clients.length, 3);
  assert.strictEqual(errors.length, 1);
  assert.match(errors[0], /\/opt\/ruleforge\/bin\/ruleforge lsp/);
  assert.match(errors[0], /ruleforge\.path/);
  await commands.get("ruleforge.restart")();
  assert.strictEqual(clients[2].stopped, 0, "a client that never started is not stopped");
  assert.strictEqual(clients[3].started, 1);

  await ext.deactivate();
  assert.strictEqual(clients[3].stopped, 1, "deactivate stops the server");
  console.log("    activate, settings, restart, start failure, deactivate: as expected");
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
