import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** libs/sdk is publishable as @hookrelay/sdk: its own build compiles and the entry points it names exist. */
describe('@hookrelay/sdk package', () => {
  const root = join(__dirname, '..');
  const out = mkdtempSync(join(tmpdir(), 'hookrelay-sdk-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds on its own, with no dependency, to the files package.json exports', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('@hookrelay/sdk');
    expect(manifest.dependencies ?? {}).toEqual({});
    execFileSync(process.execPath, [
      require.resolve('typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.json'),
      '--outDir',
      out,
    ]);
    const entry = manifest.exports['.'];
    for (const file of [manifest.main, manifest.types, entry.default, entry.types]) {
      expect(readFileSync(join(out, file.replace(/^(\.\/)?dist\//, '')), 'utf8').length).toBeGreaterThan(0);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require(join(out, 'index.js'));
    expect(typeof sdk.verifyWebhook).toBe('function');
    expect(typeof sdk.HookrelayAdmin).toBe('function');
    expect(new sdk.WebhookVerificationError('missing_headers')).toBeInstanceOf(Error);
  });
});
