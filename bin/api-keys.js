#!/usr/bin/env node
// The `api-keys` command. In the repository it runs the TypeScript source through tsx, so a
// fresh clone needs no build; the published package has no sources and runs its compiled JavaScript.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
if (existsSync(source)) {
  require('tsx/cjs');
  require(source);
} else {
  require(join(__dirname, '..', 'dist', 'src', 'cli', 'main.js'));
}
