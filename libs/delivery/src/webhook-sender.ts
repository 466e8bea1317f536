import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, errors, request } from 'undici';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Cidr, isAddressAllowed, judgeDestination, parseCidrList } from '@app/domain';
import { DnsResolver } from './dns-resolver';

/**
 * What a tenant reads when its endpoint's host is refused, does not resolve, or its DNS fails: one sentence for
 * all three, naming no address, so an endpoint URL cannot be used to map internal names (`http://postgres/`
 * refused vs `http://nosuchhost/` unknown) or read internal addresses back. The details go to the logs.
 */
export const UNREACHABLE_DESTINATION_MESSAGE =
  "Refused to connect: the endpoint's host did not resolve to an address webhooks may be sent to.";

/** Kept of a response body: enough to debug a receiver, bounded so a huge reply costs nothing. */
export const RESPONSE_BODY_LIMIT = 4 * 1024;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** How much of the response body to read; default `RESPONSE_BODY_LIMIT` (an OAuth2 token answer needs more). */
  responseLimit?: number;
}

export type SendErrorKind =
  | 'timeout'
  | 'connection'
  | 'blocked_address'
  /** The host does not exist in DNS: terminal like `blocked_address`, and told to the tenant the same way. */
  | 'unknown_host'
  | 'invalid_url'
  | 'dns'
  /** The endpoint's certificate was refused (TLS is always verified) or the TLS handshake failed; retried. */
  | 'tls'
  /** The response could not be read as HTTP (headers too large, malformed). */
  | 'invalid_response'
  /** The endpoint's OAuth2 token server gave no usable token, so the webhook was not sent. */
  | 'oauth_token'
  /** A fault inside Hookrelay, not the receiver's (see DeliveryAttemptService). */
  | 'internal_error'
  /** An ownership challenge answered without echoing it, or answered too late (docs/verification.md). */
  | 'verification_failed'
  | 'verification_expired';

export interface WebhookResponse {
  /** 0 when no HTTP response arrived. */
  statusCode: number;
  body: string;
  durationMs: number;
  retryAfter?: string;
  errorKind?: SendErrorKind;
}

/** The whole-exchange deadline passed. */
class DeadlineError extends Error {
  override readonly name = 'TimeoutError';
}

class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(UNREACHABLE_DESTINATION_MESSAGE);
  }
}

/**
 * The one way Hookrelay sends HTTP to the outside (CONVENTIONS rule 8): one undici pool per origin with
 * keep-alive, a hard deadline over the whole exchange, no redirects (undici's request() follows none),
 * the response body cut at 4 KiB, and the SSRF guard applied to the address actually dialled: the DNS
 * lookup hook checks every resolved address, so a name cannot rebind to a private one after a check.
 * Names are resolved by DnsResolver (c-ares with a deadline, not the libuv thread pool), so endpoints whose
 * DNS servers do not answer cannot stall every other lookup.
 *
 * Every connection is the Agent's own: no proxy named by HTTP_PROXY, HTTPS_PROXY or ALL_PROXY is used (a
 * plain undici Agent never reads them), since a proxy resolves names itself and would dial what the guard
 * refused. HTTPS is always verified against the public CAs, with the endpoint's name as SNI and as the name
 * the certificate must carry, although the socket goes to the address the guard checked.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly allowed: Cidr[];
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly resolver: DnsResolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const parsed = parseCidrList(config.delivery.allowedCidrs.join(','));
    if (!parsed.ok) throw new Error(`DELIVERY_ALLOWED_CIDRS: ${parsed.item}: ${parsed.reason}`);
    this.allowed = parsed.cidrs;
    this.timeoutMs = config.delivery.timeoutMs;
    this.resolver = new DnsResolver({
      timeoutMs: config.delivery.dnsTimeoutMs,
      servers: config.delivery.dnsServers,
    });
    this.agent = new Agent({
      connections: 64,
      connect: {
        timeout: Math.min(this.timeoutMs, 10_000),
        lookup: this.guardedLookup,
        // Always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says: there is no way to turn it off.
        rejectUnauthorized: true,
        ...testCaOption(config.delivery.testCaFile),
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /**
   * Last of the shutdown: the queue worker and the maintenance loops have finished their attempts by now
   * (beforeApplicationShutdown), so nothing is in flight and the idle keep-alive sockets are simply dropped.
   * `close()` here would wait for requests to end, and when it ran earlier (onModuleDestroy, while the queue
   * worker still took jobs) it hung a worker's shutdown past 30 s under CPU load (the egress e2e suite).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy();
  }

  async send(req: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(req.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('not http(s)');
    } catch {
      return {
        statusCode: 0,
        body: 'The endpoint URL is not a valid http(s) URL.',
        durationMs: 0,
        errorKind: 'invalid_url',
      };
    }
    // Node skips the lookup hook for IP literals, so they are judged here, as the API judged them at write time.
    const verdict = judgeDestination(url, this.allowed);
    if (!verdict.allowed) {
      this.logger.warn(
        { host: url.hostname, address: verdict.address, kind: verdict.kind },
        'destination refused',
      );
      return {
        statusCode: 0,
        body: UNREACHABLE_DESTINATION_MESSAGE,
        durationMs: 0,
        errorKind: 'blocked_address',
      };
    }
    // The deadline over the whole exchange, body included (undici's own timeouts are per phase, and a
    // receiver dripping its body could stretch them). A plain timer: AbortSignal.timeout() costs ~18 µs per
    // call, a tenth of a bare delivery's CPU.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DeadlineError()), this.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        signal: deadline.signal,
      });
      const body = await readLimited(res.body, req.responseLimit ?? RESPONSE_BODY_LIMIT);
      const retryAfter = res.headers['retry-after'];
      return {
        statusCode: res.statusCode,
        body,
        durationMs: elapsed(),
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      };
    } catch (error) {
      const failure = describeFailure(error);
      if (['blocked_address', 'unknown_host', 'dns'].includes(failure.errorKind)) {
        this.logger.warn({ host: url.hostname, err: failure.detail }, 'destination unreachable');
      }
      return { statusCode: 0, durationMs: elapsed(), body: failure.body, errorKind: failure.errorKind };
    } finally {
      clearTimeout(timer);
    }
  }

  private readonly guardedLookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    this.resolver.resolve(hostname, lookupFamily(options.family)).then(
      (addresses) => {
        // Every address is checked, not only the one dialled: a name must not mix public and private ones.
        const blocked = addresses.find((a) => !isAddressAllowed(a.address, this.allowed));
        if (blocked) return callback(new BlockedAddressError(hostname, blocked.address), '');
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * DELIVERY_TEST_CA_FILE (refused in production by loadConfig): a test CA trusted besides the public ones, so a
 * local receiver can present a certificate for a test name. Unreadable or empty, the worker does not start.
 */
function testCaOption(file: string | undefined): { ca?: string[] } {
  if (file === undefined) return {};
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`DELIVERY_TEST_CA_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`, {
      cause: error,
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`DELIVERY_TEST_CA_FILE: ${file} holds no PEM certificate`);
  }
  return { ca: [...rootCertificates, pem] };
}

/** `dns.lookup`'s family option, which may also be spelled 'IPv4'/'IPv6'. */
function lookupFamily(family: LookupOptions['family']): 0 | 4 | 6 {
  return family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : 0;
}

async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return storableText(Buffer.concat(chunks).subarray(0, limit));
}

/**
 * A response body as text PostgreSQL can store: invalid UTF-8 becomes U+FFFD (TextDecoder's replacement) and
 * so does U+0000, which a `text` column refuses. A receiver's bytes must never make its attempt unrecordable.
 */
export function storableText(bytes: Buffer): string {
  return bytes.toString('utf8').replaceAll('\u0000', '\uFFFD');
}

function describeFailure(error: unknown): { body: string; errorKind: SendErrorKind; detail?: string } {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const cause = err.cause ?? err;
  const blocked = [cause, err].find((e): e is BlockedAddressError => e instanceof BlockedAddressError);
  if (blocked) {
    return {
      body: UNREACHABLE_DESTINATION_MESSAGE,
      errorKind: 'blocked_address',
      detail: `${blocked.hostname} resolves to ${blocked.address}`,
    };
  }
  if (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError
  ) {
    return { body: 'The endpoint did not answer in time.', errorKind: 'timeout' };
  }
  if (err instanceof errors.HeadersOverflowError || cause instanceof errors.HeadersOverflowError) {
    return {
      body: 'The endpoint answered with response headers too large to read.',
      errorKind: 'invalid_response',
    };
  }
  if (err instanceof errors.HTTPParserError || cause instanceof errors.HTTPParserError) {
    return { body: 'The endpoint answered with a malformed HTTP response.', errorKind: 'invalid_response' };
  }
  // A name that does not exist is treated as a refused one, terminal too: were it retried while refused
  // names are not, the number of attempts would tell a tenant which internal names exist. A failure to ask
  // (a DNS server that does not answer) is the resolver's fault, not the name's, and is retried.
  if (cause.code === 'ENOTFOUND') {
    return { body: UNREACHABLE_DESTINATION_MESSAGE, errorKind: 'unknown_host', detail: cause.message };
  }
  if (cause.code === 'EAI_AGAIN') {
    return { body: UNREACHABLE_DESTINATION_MESSAGE, errorKind: 'dns', detail: cause.message };
  }
  const tls = tlsFailure(cause);
  if (tls) return { body: tls, errorKind: 'tls' };
  return { body: `Connection failed: ${cause.message ?? String(error)}`, errorKind: 'connection' };
}

/**
 * OpenSSL's certificate verification results as Node reports them (`err.code`), `X509_V_ERR_` dropped. Several
 * do not say CERT (an unknown issuer is UNABLE_TO_VERIFY_LEAF_SIGNATURE), so they are listed, not guessed.
 */
const CERTIFICATE_REFUSALS: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'OUT_OF_MEM',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/**
 * What a tenant reads when TLS with its endpoint failed, or undefined if the error is not TLS's. The
 * certificate's faults are named (OpenSSL's fixed sentences, or Node's name mismatch, which names only the
 * endpoint's host and the certificate's own names); a failed handshake gets its error code, not OpenSSL's
 * internal text. Only an address the guard allowed is ever dialled, so this is about the tenant's own server.
 */
function tlsFailure(cause: NodeJS.ErrnoException): string | undefined {
  const code = cause.code;
  if (typeof code !== 'string') return undefined;
  if (CERTIFICATE_REFUSALS.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS error: the endpoint's certificate was not accepted (${cause.message}).`;
  }
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return `TLS error: the TLS handshake with the endpoint failed (${code}).`;
  }
  return undefined;
}
