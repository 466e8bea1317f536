#!/usr/bin/env node
// The `hookrelay` command (package.json "bin"): runs the built CLI. Build it first with `npm run build`.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS launcher
require('../../../dist/apps/cli/src/main.js');
