// What every SDK scenario shares: its environment, the Svix SDK of the major under test (SVIX_PACKAGE=svix for
// 1.x, svix-v2 for 2.x), a client on the tenant key, the list of checks, and how the outcome is reported: one
// JSON line with the scenario's ids and `checks`; exit code 0 when every check holds, 1 when one does not, 2
// when a call failed.
import { isDeepStrictEqual } from 'node:util';

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const pkg = env('SVIX_PACKAGE');
export const { Svix } = await import(pkg);
export const major = pkg === 'svix-v2' ? 2 : 1;
export const serverUrl = env('HOOKRELAY_URL');
export const svix = new Svix(env('HOOKRELAY_KEY'), { serverUrl, retryScheduleInMs: [] });

const checks = [];
export const check = (name, got, want) => checks.push({ name, ok: isDeepStrictEqual(got, want), got, want });

/** Runs the scenario and reports it; `main` returns the ids the spec needs. */
export async function report(main) {
  try {
    const ids = await main();
    console.log(JSON.stringify({ ...ids, checks }));
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  } catch (error) {
    console.log(JSON.stringify({ error: String(error?.stack ?? error), body: error?.body, checks }));
    process.exitCode = 2;
  }
}
