// The client of the language server `teilhabe-rules lsp` (diagnostics, hover, definition,
// completion, formatting). Highlighting needs none of this: without the client library
// (`npm install` in this folder) or with an empty command the extension only highlights.
"use strict";

const vscode = require("vscode");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("teilhabeRules").get("server.command", []);
  if (!Array.isArray(command) || command.length === 0) {
    return;
  }
  let LanguageClient;
  try {
    ({ LanguageClient } = require("vscode-languageclient/node"));
  } catch (error) {
    vscode.window.showWarningMessage(
      "Teilhabe-Regeln: ohne „npm install“ im Ordner der Erweiterung gibt es nur Hervorhebung, keinen Sprachserver."
    );
    return;
  }
  const [program, ...args] = command;
  client = new LanguageClient(
    "teilhabeRules",
    "Teilhabe-Regeln",
    { command: program, args },
    { documentSelector: [{ language: "teilhabe-rules" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
