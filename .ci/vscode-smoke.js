// The packaged VS Code extension against the real server: with the vscode-jsonrpc that the
// .vsix carries, start `ruleforge lsp --stdio` exactly as the extension does (the client's
// stdio transport appends `--stdio`), send `ruleforge.docsUrl` as initializationOptions,
// open a rule with findings, and expect diagnostics whose codes link to that URL; then
// `shutdown` + `exit` must end the server with status 0.
//
// Usage: node vscode-smoke.js UNPACKED_VSIX_DIR RULEFORGE_BIN WORKSPACE_DIR
"use strict";
const path = require("path");
const fs = require("fs");
const { spawn } = require("child_process");
const { pathToFileURL } = require("url");

const [extDir, bin, workspace] = process.argv.slice(2);
if (!extDir || !bin || !workspace) {
  console.error("usage: node vscode-smoke.js UNPACKED_VSIX_DIR RULEFORGE_BIN WORKSPACE_DIR");
  process.exit(2);
}
const rpc = require(path.resolve(extDir, "extension", "node_modules", "vscode-jsonrpc", "node"));
const manifest = JSON.parse(fs.readFileSync(path.join(extDir, "extension", "package.json"), "utf8"));

const DOCS_URL = "https://docs.invalid/lint#{code}";
const rulePath = path.join(workspace, "rules", "bad.yml");
fs.mkdirSync(path.dirname(rulePath), { recursive: true });
const ruleText = [
  "id: not-a-uuid",
  "title: \"\"",
  "status: bogus",
  "severity: severe",
  "author: ci",
  "created: 2021-01-01",
  "description: findings on purpose",
  "indicators:",
  "  bad_hash:",
  "    sha256:",
  "      - NOT-A-HASH",
  "condition: bad_hash",
  "",
].join("\n");
fs.writeFileSync(rulePath, ruleText);

function fail(message) {
  console.error(`vscode smoke: ${message}`);
  process.exit(1);
}
const timer = setTimeout(() => fail("no answer within 60 s"), 60_000);

async function main() {
  const settings = manifest.contributes.configuration.properties;
  const command = settings["ruleforge.path"].default;
  if (command !== "ruleforge") fail(`ruleforge.path defaults to ${JSON.stringify(command)}`);
  if (!("ruleforge.docsUrl" in settings)) fail("no ruleforge.docsUrl setting");

  const child = spawn(bin, ["lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  child.on("error", (err) => fail(`cannot start ${bin} lsp --stdio: ${err.message}`));
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const uri = pathToFileURL(rulePath).href;
  const published = new Promise((resolve) => {
    conn.onNotification("textDocument/publishDiagnostics", (params) => {
      if (params.uri === uri) resolve(params);
    });
  });
  conn.onRequest(() => null); // client/registerCapability, workspace/configuration, ...
  conn.listen();

  const init = await conn.sendRequest("initialize", {
    processId: process.pid,
    clientInfo: { name: "vscode-smoke" },
    rootUri: pathToFileURL(workspace).href,
    workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: "ws" }],
    capabilities: { textDocument: { publishDiagnostics: { codeDescriptionSupport: true } } },
    initializationOptions: { docsUrl: DOCS_URL },
  });
  if (!init.capabilities || init.capabilities.textDocumentSync === undefined) {
    fail(`initialize returned no textDocumentSync: ${JSON.stringify(init)}`);
  }
  await conn.sendNotification("initialized", {});
  await conn.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "yaml", version: 7, text: ruleText },
  });
  const diags = await published;
  if (diags.version !== 7) fail(`diagnostics for version ${diags.version}, not 7`);
  if (diags.diagnostics.length === 0) fail("no diagnostics for a rule with findings");
  for (const d of diags.diagnostics) {
    if (!/^RF\d{3}$/.test(String(d.code))) fail(`diagnostic code ${JSON.stringify(d.code)}`);
    const want = DOCS_URL.replace("{code}", String(d.code).toLowerCase());
    const href = d.codeDescription && d.codeDescription.href;
    if (href !== want) fail(`${d.code}: codeDescription ${JSON.stringify(href)}, want ${want}`);
  }
  const codes = [...new Set(diags.diagnostics.map((d) => d.code))].sort().join(", ");
  console.log(`    ${diags.diagnostics.length} diagnostics (${codes}), linked to ${DOCS_URL}`);

  await conn.sendRequest("shutdown");
  await conn.sendNotification("exit");
  const code = await exited;
  conn.dispose();
  clearTimeout(timer);
  if (code !== 0) fail(`the server exited with ${code} after shutdown + exit`);
  console.log("    shutdown + exit: status 0");
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
