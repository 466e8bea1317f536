import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOOKRELAY_VERSION } from './version';

it('the user-agent version is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
    version: string;
  };
  expect(HOOKRELAY_VERSION).toBe(pkg.version);
});
