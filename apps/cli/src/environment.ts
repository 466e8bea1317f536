/**
 * The CLI is a client program: like curl or the svix CLI it reads its settings from its own environment
 * (never the server's libs/config). This file is the only place it does.
 */
export interface CliEnvironment {
  /** HOOKRELAY_URL: where Hookrelay runs. */
  url: string;
  /** HOOKRELAY_API_KEY: a tenant API key. */
  apiKey: string | undefined;
  /** HOOKRELAY_ADMIN_TOKEN: the operator token. */
  adminToken: string | undefined;
  /** Colours: on for a terminal unless NO_COLOR is set; FORCE_COLOR forces them. */
  color: boolean;
}

export function cliEnvironment(): CliEnvironment {
  const env = process.env;
  const color = env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  return {
    url: env.HOOKRELAY_URL || 'http://127.0.0.1:8080',
    apiKey: env.HOOKRELAY_API_KEY || undefined,
    adminToken: env.HOOKRELAY_ADMIN_TOKEN || undefined,
    color,
  };
}
