import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import {
  DomainError,
  isId,
  newId,
  PayloadFilter,
  publicSigningKey,
  SealContext,
  shownVerification,
  signingSecretKind,
  UrlCredentials,
  VerificationState,
} from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { ReadCache } from './read-cache';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';
import { isUniqueViolation } from './prisma-errors';
import { AppSecretBox } from './secret-box.provider';
import { openHeaders, sealHeaders } from './sealed-headers';
import { openStoredUrl, urlColumns } from './sealed-url-credentials';
import { DEFAULT_SECRET_GRACE_MS, parseOldSecrets, retireSecret } from './old-secrets';

export interface EndpointRecord {
  id: string;
  applicationId: string;
  uid: string | null;
  /** Without user info: that is `urlCredentials`. Show it through `maskedUrl`. */
  url: string;
  /** The user info written in the URL (opened; percent-encoded), sent as HTTP Basic auth; null: none. */
  urlCredentials: UrlCredentials | null;
  description: string;
  version: number;
  disabled: boolean;
  /** Empty means every event type. */
  filterTypes: string[];
  /** Empty means every message, with or without channels. */
  channels: string[];
  headers: Record<string, string>;
  metadata: Record<string, string>;
  throttleRate: number | null;
  /** JSONLogic rule the payload must satisfy (Hookrelay extension); null: every payload. */
  payloadFilter: PayloadFilter | null;
  /** Ownership verification as shown (a pending one past its deadline is `expired`); null: not required. */
  verification: VerificationState | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A pending challenge that a crash left without a next step (see `findStrandedVerifications`). */
export interface StrandedVerification {
  endpointId: string;
  tenantId: string;
  applicationId: string;
  challenge: string;
  expiresAt: Date;
  /** The status of the challenge's delivery; null when the challenge message was never sent. */
  challengeStatus: 'success' | 'fail' | 'canceled' | null;
}

/** A verification challenge to start (or start again) on an endpoint. */
export interface VerificationStart {
  challenge: string;
  expiresAt: Date;
}

export interface EndpointData {
  uid?: string | null;
  /** As the owner wrote it: user info in it is split off into the sealed `url_credentials` column. */
  url: string;
  description?: string;
  version?: number;
  disabled?: boolean;
  filterTypes?: string[];
  channels?: string[];
  headers?: Record<string, string>;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
  payloadFilter?: PayloadFilter | null;
}

/**
 * What fan-out needs to decide whether a message goes to an endpoint. `eventTypes` repeats `filterTypes` under
 * the name `endpointWantsMessage` reads, so a routing row can be passed to it as is.
 */
export interface EndpointRouting {
  id: string;
  filterTypes: string[];
  eventTypes: string[];
  channels: string[];
  disabled: boolean;
  /** Checked in Node against the parsed payload, after the event-type and channel filters. */
  payloadFilter: PayloadFilter | null;
}

/** The throttles a delivery to an endpoint obeys (messages per second; null means none). */
export interface ThrottleRates {
  endpoint: number | null;
  application: number | null;
}

/** One Ed25519 public key an endpoint signs with now (`expiresAt`: null for the current key). */
export interface EndpointPublicKey {
  endpointId: string;
  key: string;
  expiresAt: string | null;
}

export interface SecretRotation {
  /** The new plain `whsec_…` secret. */
  secret: string;
  /** How long the replaced secret keeps signing; 0 retires it at once. */
  graceMs?: number;
  now?: Date;
}

const SELECT = {
  id: true,
  tenantId: true,
  applicationId: true,
  uid: true,
  url: true,
  urlCredentials: true,
  description: true,
  version: true,
  disabled: true,
  filterTypes: true,
  channels: true,
  headers: true,
  metadata: true,
  throttleRate: true,
  payloadFilter: true,
  verification: true,
  verificationExpiresAt: true,
  createdAt: true,
  updatedAt: true,
} as const;

type Row = Prisma.EndpointGetPayload<{ select: typeof SELECT }>;

const uidTaken = () =>
  DomainError.conflict('conflict', 'An endpoint with this uid already exists in this application.');
const notFound = () => DomainError.notFound('Endpoint');

/**
 * An application's endpoints. Every query is scoped by tenant and application, so an endpoint is only ever
 * found through the application it belongs to. Signing secrets, custom headers and the user info of the URL are
 * sealed (with `AppSecretBox`, bound to their tenant and endpoint) on the way in and opened on the way out: no
 * caller of this repository handles a sealed value.
 */
@Injectable()
export class EndpointRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly box: AppSecretBox,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  async create(
    tenantId: string,
    applicationId: string,
    data: EndpointData,
    secret: string,
    verification?: VerificationStart,
  ): Promise<EndpointRecord> {
    const id = newId('endpoint');
    const { url, ...fields } = data;
    try {
      const row = await this.prisma.endpoint.create({
        data: {
          id,
          tenantId,
          applicationId,
          ...this.toColumns(tenantId, id, { ...fields, headers: data.headers ?? {} }),
          ...urlColumns(this.box, tenantId, id, url),
          secret: this.box.seal(secret, SealContext.endpointSecret(tenantId, id)),
          // Pending from its first instant: no delivery can reach it before its owner answers.
          ...(verification
            ? {
                verification: 'pending',
                verificationChallenge: verification.challenge,
                verificationExpiresAt: verification.expiresAt,
              }
            : {}),
        },
        select: SELECT,
      });
      await this.routingChanged(applicationId);
      return this.toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw uidTaken();
      throw error;
    }
  }

  /** By id or by uid, as every Svix path allows. */
  async find(tenantId: string, applicationId: string, idOrUid: string): Promise<EndpointRecord> {
    const found = await this.findOptional(tenantId, applicationId, idOrUid);
    if (!found) throw notFound();
    return found;
  }

  async findOptional(
    tenantId: string,
    applicationId: string,
    idOrUid: string,
  ): Promise<EndpointRecord | undefined> {
    const row = await this.prisma.endpoint.findFirst({
      where: { tenantId, applicationId, ...(isId('endpoint', idOrUid) ? { id: idOrUid } : { uid: idOrUid }) },
      select: SELECT,
    });
    return row ? this.toRecord(row) : undefined;
  }

  async list(tenantId: string, applicationId: string, query: PageQuery): Promise<Page<EndpointRecord>> {
    const window = pageWindow(query);
    const rows = await this.prisma.endpoint.findMany({
      where: { tenantId, applicationId, ...idRange(window) },
      orderBy: { id: window.order },
      take: window.take,
      select: SELECT,
    });
    return toPage(
      rows.map((row) => this.toRecord(row)),
      query,
      window,
    );
  }

  async update(
    tenantId: string,
    applicationId: string,
    id: string,
    data: Partial<EndpointData>,
  ): Promise<EndpointRecord> {
    try {
      const { count } = await this.prisma.endpoint.updateMany({
        where: { tenantId, applicationId, id },
        data: this.toColumns(tenantId, id, data),
      });
      if (count === 0) throw notFound();
    } catch (error) {
      if (isUniqueViolation(error)) throw uidTaken();
      throw error;
    }
    await this.routingChanged(applicationId);
    return this.find(tenantId, applicationId, id);
  }

  /** Read-modify-write of the custom headers under a row lock, so concurrent merges do not lose keys. */
  async updateHeaders(
    tenantId: string,
    applicationId: string,
    id: string,
    change: (current: Record<string, string>) => Record<string, string>,
  ): Promise<Record<string, string>> {
    return this.prisma.$transaction(async (tx) => {
      const row = await lockedRow(tx, tenantId, applicationId, id, { headers: true });
      const headers = change(openHeaders(this.box, tenantId, id, row.headers));
      await tx.endpoint.update({
        where: { id },
        data: { headers: sealHeaders(this.box, tenantId, id, headers) },
        select: { id: true },
      });
      return headers;
    });
  }

  /** Hard delete: the schema has no tombstone, so deliveries and attempts of the endpoint go with it. */
  async delete(tenantId: string, applicationId: string, id: string): Promise<void> {
    // One statement: the endpoint, its deliveries and their attempts (the delivery tables have no foreign
    // keys to cascade, see ADR 0005).
    const [row] = await this.sql.query<{ n: number }>(
      `WITH endpoint AS (
         DELETE FROM endpoints WHERE tenant_id = $1 AND application_id = $2 AND id = $3 RETURNING id
       ), attempts AS (
         DELETE FROM delivery_attempts WHERE tenant_id = $1 AND endpoint_id IN (SELECT id FROM endpoint)
       ), deliveries AS (
         DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoint)
       )
       SELECT count(*)::int AS n FROM endpoint`,
      [tenantId, applicationId, id],
    );
    if (!row || row.n === 0) throw notFound();
    await this.routingChanged(applicationId);
  }

  /**
   * A new challenge: the endpoint is pending again (its deliveries park at their next claim) until the owner
   * answers this one; an earlier challenge's answer no longer counts.
   */
  async startVerification(
    tenantId: string,
    applicationId: string,
    id: string,
    start: VerificationStart,
  ): Promise<void> {
    const { count } = await this.prisma.endpoint.updateMany({
      where: { tenantId, applicationId, id },
      data: {
        verification: 'pending',
        verificationChallenge: start.challenge,
        verificationExpiresAt: start.expiresAt,
      },
    });
    if (count === 0) throw notFound();
  }

  /**
   * Ends a challenge: `verified`, `failed` or `expired`, if the endpoint is still pending on this very
   * challenge (a re-sent one replaced it otherwise). True when this call changed it.
   */
  async settleVerification(
    endpointId: string,
    challenge: string,
    outcome: Exclude<VerificationState, 'pending'>,
  ): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE endpoints SET verification = $3, updated_at = now()
        WHERE id = $1 AND verification_challenge = $2 AND verification = 'pending'
       RETURNING id`,
      [endpointId, challenge, outcome],
    );
    return rows.length > 0;
  }

  /**
   * Endpoints still `pending` for longer than `graceMs` whose challenge either was never sent (the API died
   * between the endpoint's commit and the send) or has a final delivery that was never turned into the
   * endpoint's state (the worker died between the challenge's record and settling it). The challenge's
   * message is found by its `eventId` (`verificationEventId`). Through `endpoints_verification_pending_idx`.
   */
  findStrandedVerifications(
    graceMs: number,
    eventIdPrefix: string,
    limit: number,
  ): Promise<StrandedVerification[]> {
    return this.sql.query<StrandedVerification>(
      `SELECT e.id AS "endpointId", e.tenant_id AS "tenantId", e.application_id AS "applicationId",
              e.verification_challenge AS challenge, e.verification_expires_at AS "expiresAt",
              d.status AS "challengeStatus"
         FROM endpoints e
         LEFT JOIN messages m ON m.application_id = e.application_id
                             AND m.event_id = $2 || e.verification_challenge
         LEFT JOIN deliveries d ON d.message_id = m.id AND d.endpoint_id = e.id
        WHERE e.verification = 'pending' AND e.verification_challenge IS NOT NULL
          AND e.verification_expires_at IS NOT NULL
          AND e.updated_at <= now() - make_interval(secs => $1)
          AND (m.id IS NULL
               OR (d.status IN ('success', 'fail', 'canceled') AND d.updated_at <= now() - make_interval(secs => $1)))
        ORDER BY e.updated_at
        LIMIT $3`,
      [graceMs / 1000, eventIdPrefix, limit],
    );
  }

  /** The current plain secret (`whsec_…` or `whsk_…`): callers show `publicSigningKey` of it, never it. */
  async getSecret(tenantId: string, applicationId: string, id: string): Promise<string> {
    const row = await this.prisma.endpoint.findFirst({
      where: { tenantId, applicationId, id },
      select: { secret: true },
    });
    if (!row) throw notFound();
    return this.box.open(row.secret, SealContext.endpointSecret(tenantId, id));
  }

  /**
   * Replaces the secret; the replaced one keeps signing for the grace period (default 24 h). The row is locked
   * so two concurrent rotations both land in `oldSecrets` instead of one overwriting the other.
   */
  async rotateSecret(
    tenantId: string,
    applicationId: string,
    id: string,
    rotation: SecretRotation,
  ): Promise<void> {
    const now = rotation.now ?? new Date();
    const sealed = this.box.seal(rotation.secret, SealContext.endpointSecret(tenantId, id));
    await this.prisma.$transaction(async (tx) => {
      const row = await lockedRow(tx, tenantId, applicationId, id, { secret: true, oldSecrets: true });
      const oldSecrets = retireSecret(
        parseOldSecrets(row.oldSecrets),
        row.secret,
        now,
        rotation.graceMs ?? DEFAULT_SECRET_GRACE_MS,
      );
      await tx.endpoint.update({
        where: { id },
        data: { secret: sealed, oldSecrets: oldSecrets as unknown as Prisma.InputJsonArray },
        select: { id: true },
      });
    });
    // The application's public-key document lists this endpoint's keys.
    await this.routingChanged(applicationId);
  }

  /**
   * The Ed25519 public keys of an application's endpoints (current and rotated-out ones still signing), for
   * the public-key document, by application id alone: that route is public, so no tenant is known. HMAC
   * secrets are never listed. Cached like the routing list (secrets are opened only on a miss); expired old
   * keys are dropped at read time, so the 30 s cache never shows one past its expiry. Undefined when no
   * ordinary application has this id.
   */
  async findPublicKeys(applicationId: string, now = new Date()): Promise<EndpointPublicKey[] | undefined> {
    const keys = await this.cache.get(
      `publickeys:${applicationId}`,
      () => [`app:${applicationId}`, `endpoints:${applicationId}`],
      async () => {
        const rows = await this.sql.query<{
          id: string | null;
          tenantId: string;
          secret: string | null;
          oldSecrets: unknown;
        }>(
          `SELECT e.id, a.tenant_id AS "tenantId", e.secret, e.old_secrets AS "oldSecrets"
             FROM applications a LEFT JOIN endpoints e ON e.application_id = a.id AND e.tenant_id = a.tenant_id
            WHERE a.id = $1 AND NOT a.operational ORDER BY e.id`,
          [applicationId],
        );
        if (rows.length === 0) return null;
        return rows.flatMap((row) => {
          if (row.id === null || row.secret === null) return [];
          const endpointId = row.id;
          const context = SealContext.endpointSecret(row.tenantId, endpointId);
          const stored = [
            { secret: row.secret, expiresAt: null as string | null },
            ...parseOldSecrets(row.oldSecrets),
          ];
          return stored.flatMap(({ secret, expiresAt }) => {
            const plain = this.box.open(secret, context);
            return signingSecretKind(plain) === 'ed25519'
              ? [{ endpointId, key: publicSigningKey(plain), expiresAt }]
              : [];
          });
        });
      },
    );
    if (keys === null) return undefined;
    return keys.filter((k) => k.expiresAt === null || Date.parse(k.expiresAt) > now.getTime());
  }

  /**
   * Forgets the endpoint's failure streak, before it is enabled again: an old `failingSince` would
   * otherwise disable it once more on its first failure.
   */
  async clearFailingSince(tenantId: string, applicationId: string, id: string): Promise<void> {
    await this.prisma.endpoint.updateMany({
      where: { tenantId, applicationId, id },
      data: { failingSince: null },
    });
  }

  /**
   * Fan-out at ingest: the application's endpoints that can receive anything, with their filters. On every
   * message create, so cached; any change to the application's endpoints evicts it (`routingChanged`).
   */
  async findActiveForApplication(tenantId: string, applicationId: string): Promise<EndpointRouting[]> {
    // The tenant is part of the key: an application id sent by another tenant must not find this entry.
    return this.cache.get(
      `endpoints:${tenantId}:${applicationId}`,
      () => [`tenant:${tenantId}`, `app:${applicationId}`, `endpoints:${applicationId}`],
      async () => {
        const rows = await this.sql.query<{
          id: string;
          filterTypes: string[];
          channels: string[];
          disabled: boolean;
          payloadFilter: PayloadFilter | null;
        }>(
          `SELECT id, filter_types AS "filterTypes", channels, disabled, payload_filter AS "payloadFilter" FROM endpoints
            WHERE tenant_id = $1 AND application_id = $2 AND NOT disabled ORDER BY id`,
          [tenantId, applicationId],
        );
        return rows.map((row) => ({ ...row, eventTypes: row.filterTypes }));
      },
    );
  }

  /**
   * The endpoint's and its application's `throttleRate`, read by flow control before every attempt, so cached:
   * an endpoint write evicts it through `routingChanged` (every endpoint write calls it), an application
   * update or delete through `app:<id>`, a tenant purge through `tenant:<id>`. An endpoint that no longer
   * exists has no throttle (its attempt cancels the delivery).
   */
  async findThrottleRates(
    tenantId: string,
    applicationId: string,
    endpointId: string,
  ): Promise<ThrottleRates> {
    return this.cache.get(
      `throttle:${tenantId}:${endpointId}`,
      () => [`tenant:${tenantId}`, `app:${applicationId}`, `endpoints:${applicationId}`],
      async () => {
        const [row] = await this.sql.query<{ endpoint: number | null; application: number | null }>(
          `SELECT e.throttle_rate AS endpoint, a.throttle_rate AS application
             FROM endpoints e JOIN applications a ON a.id = e.application_id AND a.tenant_id = e.tenant_id
            WHERE e.tenant_id = $1 AND e.application_id = $2 AND e.id = $3`,
          [tenantId, applicationId, endpointId],
        );
        return row ?? { endpoint: null, application: null };
      },
    );
  }

  /** Which endpoints receive an application's messages changed (created, edited, enabled, disabled, deleted). */
  routingChanged(applicationId: string): Promise<void> {
    return this.cache.invalidate(`endpoints:${applicationId}`);
  }

  private toRecord(row: Row): EndpointRecord {
    const { verificationExpiresAt, tenantId, ...rest } = row;
    const { url, credentials } = openStoredUrl(this.box, tenantId, row.id, row);
    return {
      ...rest,
      url,
      urlCredentials: credentials,
      headers: openHeaders(this.box, tenantId, row.id, row.headers),
      metadata: row.metadata as Record<string, string>,
      payloadFilter: (row.payloadFilter as PayloadFilter | null) ?? null,
      verification: shownVerification(row.verification, verificationExpiresAt),
    };
  }

  /**
   * The columns of a write: the URL's user info split off and sealed, headers sealed to the endpoint;
   * `payloadFilter` null as SQL NULL (Prisma writes one into a JSON column only when told so, `DbNull`; a plain
   * null is refused).
   */
  private toColumns<D extends Partial<EndpointData>>(
    tenantId: string,
    endpointId: string,
    data: D,
  ): Omit<D, 'payloadFilter' | 'headers' | 'url'> & {
    payloadFilter?: Prisma.InputJsonValue | typeof Prisma.DbNull;
    headers?: string;
    url?: string;
    urlCredentials?: string | null;
  } {
    const { payloadFilter, headers, url, ...rest } = data;
    return {
      ...rest,
      ...(url === undefined ? {} : urlColumns(this.box, tenantId, endpointId, url)),
      ...(headers === undefined ? {} : { headers: sealHeaders(this.box, tenantId, endpointId, headers) }),
      ...(payloadFilter === undefined
        ? {}
        : {
            payloadFilter: payloadFilter === null ? Prisma.DbNull : (payloadFilter as Prisma.InputJsonObject),
          }),
    };
  }
}

async function lockedRow<S extends Prisma.EndpointSelect>(
  tx: Prisma.TransactionClient,
  tenantId: string,
  applicationId: string,
  id: string,
  select: S,
): Promise<Prisma.EndpointGetPayload<{ select: S }>> {
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM endpoints
    WHERE id = ${id} AND tenant_id = ${tenantId} AND application_id = ${applicationId}
    FOR UPDATE`;
  if (locked.length === 0) throw notFound();
  const row = await tx.endpoint.findUnique({ where: { id }, select });
  if (!row) throw notFound();
  return row;
}
