#!/usr/bin/env node
// Standard-JSON compile with the npm `solc` package (solc-js), used by compile_contracts.py when
// no native solc is installed. Reads the input JSON on stdin and writes only the output JSON to
// stdout: the solcjs CLI prints a banner line first, which would make its output unparsable.
// `--version` prints the compiler's long version instead.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const solc = require('solc');

if (process.argv.includes('--version')) {
  process.stdout.write(`${solc.version()}\n`);
  process.exit(0);
}

// compile_contracts.py inlines every source, so this only runs if its import resolver missed
// one; reading relative to the working directory keeps source unit names repo-relative.
const baseDir = process.cwd();
function findImports(unitName) {
  const resolved = path.resolve(baseDir, unitName);
  if (!resolved.startsWith(baseDir + path.sep)) {
    return { error: `import outside ${baseDir}: ${unitName}` };
  }
  try {
    return { contents: fs.readFileSync(resolved, 'utf8') };
  } catch (err) {
    return { error: `cannot read ${unitName}: ${err.message}` };
  }
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
