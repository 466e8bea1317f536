import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The one check of the operator token, for the guard and for the Fastify-level operator pages (the queue
 * UI). Digests have equal length, so the comparison takes the same time whatever the token.
 */
export class AdminToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  matches(candidate: string | undefined): boolean {
    return candidate !== undefined && timingSafeEqual(sha256(candidate), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
