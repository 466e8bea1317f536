// Runs the project's own Prisma CLI with the given arguments:  node scripts/prisma.mjs generate
// Prisma 6.19 reads DATABASE_URL even for commands that never connect (generate, validate, format), so a
// placeholder is set when it is unset. Plain Node.js, node: built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const cliBin = path.join(
  root,
  'node_modules',
  '.bin',
  process.platform === 'win32' ? 'prisma.cmd' : 'prisma',
);

let file;
let args;
if (fs.existsSync(cliJs)) {
  file = process.execPath;
  args = [cliJs, ...process.argv.slice(2)];
} else if (fs.existsSync(cliBin)) {
  file = cliBin;
  args = process.argv.slice(2);
} else {
  console.error('[prisma] The Prisma CLI is not installed (node_modules/prisma is missing). Run: npm ci');
  process.exit(1);
}

const env = {
  ...process.env,
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  DATABASE_URL: process.env.DATABASE_URL || 'postgresql://placeholder@127.0.0.1:1/placeholder',
};

const child = spawn(file, args, { env, stdio: 'inherit' });
// Forward signals and wait for the CLI to exit (Ctrl-C from a terminal reaches it directly as well).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.once('error', (err) => {
  console.error(`[prisma] Could not run the Prisma CLI: ${err.message}`);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  if (signal) {
    const numbers = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 };
    process.exit(128 + (numbers[signal] ?? 1));
  }
  process.exit(code ?? 1);
});
