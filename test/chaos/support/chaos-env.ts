/** What `npm run test:chaos` (scripts/test-chaos.mjs) hands the scenarios in the environment. */
export interface ChaosEnv {
  databaseUrl: string;
  redisUrl: string;
  /** Where the chaos PostgreSQL and Redis keep their files (scripts/services.mjs controls them). */
  dataDir: string;
  pgPort: number;
  redisPort: number;
  /** The figures file the runner prints a table of. */
  resultsFile: string;
}

export function chaosEnv(): ChaosEnv {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the chaos suite with "npm run test:chaos"`);
    return value;
  };
  return {
    databaseUrl: need('DATABASE_URL'),
    redisUrl: need('REDIS_URL'),
    dataDir: need('CHAOS_DATA_DIR'),
    pgPort: Number(need('CHAOS_PG_PORT')),
    redisPort: Number(need('CHAOS_REDIS_PORT')),
    resultsFile: need('CHAOS_RESULTS'),
  };
}
