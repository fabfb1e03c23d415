// Starts `jexpr lsp` for journey files (*.journey.json) and expression
// files (*.jexpr); everything else is the server's (docs/editors.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("jexpr");
  const command = config.get("path") || "jexpr";
  const catalog = config.get("catalog");
  client = new LanguageClient(
    "jexpr",
    "jexpr",
    { command, args: ["lsp"] },
    {
      documentSelector: [
        { scheme: "file", pattern: "**/*.journey.json" },
        { scheme: "file", language: "jexpr" },
      ],
      initializationOptions: catalog ? { catalog } : {},
    }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
