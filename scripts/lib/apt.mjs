// Installing a missing PostgreSQL or Redis with apt-get, when that is possible (root on Debian/Ubuntu);
// elsewhere, one sentence saying what to install. Plain Node.js (node: built-ins only).

import fs from 'node:fs';
import { IS_ROOT, run, which } from './processes.mjs';

export function canAutoInstall() {
  return IS_ROOT && fs.existsSync('/etc/debian_version') && which('apt-get') !== null;
}

let aptUpdated = false;

/** apt-get install -y <pkg> (after one apt-get update per process), its output shown. */
export async function aptInstall(pkg, log) {
  log(`Installing ${pkg} with apt-get (running as root on Debian/Ubuntu)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    if ((await run('apt-get', ['update'], { env, inherit: true })).code !== 0)
      throw new Error('apt-get update failed');
    aptUpdated = true;
  }
  const r = await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, inherit: true });
  if (r.code !== 0) throw new Error(`apt-get install -y ${pkg} failed`);
}

export function missingError(what, aptPkg, brewPkg) {
  return new Error(
    `${what} is not installed. Install it with: sudo apt-get install -y ${aptPkg}` +
      ` (macOS: brew install ${brewPkg})`,
  );
}
