/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   a shim over pg's overloaded, untyped query() signature for Prisma's CLI only. */
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Prisma's CLI cannot download its native engines on machines without internet access, so it runs on the
// JavaScript engine through the pg driver adapter (see docs/adr/0001-prisma-offline.md).

// Prisma 6.19 resolves env("DATABASE_URL") even for `generate`; a placeholder keeps it from falling back
// to downloading the library engine. Commands that connect still need the real value.
process.env.DATABASE_URL ??= 'postgresql://placeholder@127.0.0.1:1/placeholder';

// The WASM schema engine's introspection selects "char" columns (OID 18), which adapter-pg cannot map.
// Reporting them as text (OID 25) makes `migrate dev` work; the runtime client does not need this.
const CHAR_OID = 18;
const TEXT_OID = 25;
const charAsText = (res: pg.QueryResult) => {
  for (const field of res?.fields ?? []) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  return res;
};
class CharAsTextClient extends pg.Client {
  override query(...args: any[]): any {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') {
      args[args.length - 1] = (err: Error, res: pg.QueryResult) => callback(err, err ? res : charAsText(res));
    }
    const result = (super.query as any)(...args);
    return result && typeof result.then === 'function' ? result.then(charAsText) : result;
  }
}
// allowExitOnIdle: otherwise the CLI waits for pg's 10 s idle timeout after finishing its work.
const pool = (connectionString: string) =>
  new pg.Pool({ connectionString, Client: CharAsTextClient, max: 2, allowExitOnIdle: true });

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  experimental: { adapter: true },
  adapter: () => {
    const main = new PrismaPg(pool(process.env.DATABASE_URL!), { disposeExternalPool: true });
    return Promise.resolve({
      provider: main.provider,
      adapterName: main.adapterName,
      connect: () => main.connect(),
      // PrismaPg's own shadow database cannot be dropped afterwards; `migrate dev` uses a fixed one instead.
      connectToShadowDb: async () => {
        const url = process.env.SHADOW_DATABASE_URL;
        if (!url) throw new Error('SHADOW_DATABASE_URL is not set (needed by prisma migrate dev)');
        const shadow = await new PrismaPg(pool(url), { disposeExternalPool: true }).connect();
        await shadow.executeScript('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
        return shadow;
      },
    });
  },
});
