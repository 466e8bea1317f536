import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  ApplicationRepository,
  EndpointData,
  EndpointRecord,
  EndpointRepository,
  EventTypeRepository,
  mapPage,
  Page,
  PageQuery,
  TenantRepository,
} from '@app/db';
import { EndpointResumeService, EndpointVerificationService } from '@app/delivery';
import {
  DomainError,
  generateEndpointSecret,
  generateSigningSecret,
  isId,
  isReservedUid,
  judgeDestination,
  OPERATIONAL_EVENT_TYPES,
  publicSigningKey,
  RESERVED_UID_MESSAGE,
  resolveMaskedUrl,
  signingSecretKind,
  URL_PASSWORD_MASK,
  UrlCredentials,
  ValidationError,
} from '@app/domain';
import {
  EndpointHeadersPatchInDto,
  EndpointInDto,
  EndpointPatchDto,
  EndpointSecretRotateInDto,
  EndpointUpdateDto,
  EventTypeFilterIn,
  FilterField,
  MAX_CUSTOM_HEADERS,
} from './endpoint.dto';
import { EndpointOut, toEndpointOut as toOut } from './endpoint.out';

export type { EndpointOut } from './endpoint.out';

/**
 * The fields of an ordinary or operational endpoint that PUT and POST set (operational endpoints have no
 * `version` or `channels`).
 */
type EndpointReplacementIn = Omit<EndpointUpdateDto, 'version' | 'channels' | 'payloadFilter'> &
  Partial<Pick<EndpointUpdateDto, 'version' | 'channels' | 'payloadFilter'>>;

/**
 * Whose endpoints a call works on: one of the tenant's ordinary applications by the path's id or uid, or the
 * tenant's hidden operational application, already resolved by the caller (no path can name it).
 */
export type AppRef = string | { readonly operationalAppId: string };

/**
 * Which part of the event-type catalog the caller sees: a consumer-portal token sees the event types without
 * feature flags and those with one of its flags, and may filter on those only. Undefined: the whole catalog.
 */
export interface CatalogView {
  featureFlags: readonly string[];
}

export interface EndpointHeadersOut {
  headers: Record<string, string>;
  sensitive: string[];
}

/** Svix's `EndpointHeadersOut::SENSITIVE_HEADERS`: stored and sent, but never shown back. */
const SENSITIVE_HEADERS = new Set([
  'x-auth-token',
  'www-authenticate',
  'authorization',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Svix lists an application's endpoints newest first unless asked otherwise. */
const DEFAULT_LIST_ORDER = 'descending';

@Injectable()
export class EndpointsService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly eventTypes: EventTypeRepository,
    private readonly resume: EndpointResumeService,
    private readonly verification: EndpointVerificationService,
    private readonly tenants: TenantRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * An endpoint created with `verify: true`, or by a tenant that requires verification (ordinary endpoints
   * only), is pending from its first instant and gets its challenge once it is committed.
   */
  async create(
    tenantId: string,
    appIdOrUid: AppRef,
    input: EndpointReplacementIn & Pick<EndpointInDto, 'headers' | 'secret'> & { verify?: boolean | null },
    catalog?: CatalogView,
  ): Promise<EndpointOut> {
    this.assertDestinationAllowed(input.url);
    const applicationId = await this.applicationId(tenantId, appIdOrUid);
    const data = { ...replacement(input), url: urlToStore(input.url, null), headers: input.headers ?? {} };
    await this.assertFilterTypesExist(tenantId, appIdOrUid, data.filterTypes, input.filterField, catalog);
    const secret = input.secret ?? generateEndpointSecret();
    const verify =
      typeof appIdOrUid === 'string' &&
      (input.verify ?? (await this.tenants.settings(tenantId)).requireEndpointVerification);
    const start = verify ? this.verification.newChallenge() : undefined;
    const created = await this.endpoints.create(tenantId, applicationId, data, secret, start);
    if (start) await this.verification.sendChallenge(tenantId, applicationId, created.id, start);
    return toOut(created);
  }

  /**
   * Sends a new ownership challenge (the endpoint is pending until it is answered). Refused for an endpoint
   * that does not need verification or is verified already.
   */
  async resendVerification(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
  ): Promise<EndpointOut> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    if (endpoint.verification === null) {
      throw DomainError.conflict(
        'verification_not_required',
        'This endpoint does not need ownership verification; create it with verify: true to require it.',
      );
    }
    if (endpoint.verification === 'verified') {
      throw DomainError.conflict('endpoint_verified', 'This endpoint is verified already.');
    }
    await this.verification.restart(tenantId, applicationId, endpoint.id);
    return toOut(await this.endpoints.find(tenantId, applicationId, endpoint.id));
  }

  async list(tenantId: string, appIdOrUid: AppRef, query: PageQuery): Promise<Page<EndpointOut>> {
    const applicationId = await this.applicationId(tenantId, appIdOrUid);
    const page = await this.endpoints.list(tenantId, applicationId, {
      ...query,
      order: query.order ?? DEFAULT_LIST_ORDER,
    });
    return mapPage(page, toOut);
  }

  async get(tenantId: string, appIdOrUid: AppRef, endpointIdOrUid: string): Promise<EndpointOut> {
    return toOut(await this.find(tenantId, appIdOrUid, endpointIdOrUid));
  }

  /**
   * Svix's PUT: replaces every field but the secret and the custom headers, or creates the endpoint when it
   * does not exist (with the path as its uid when the body names none and the path is not an endpoint id).
   */
  async upsert(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
    input: EndpointReplacementIn,
    catalog?: CatalogView,
  ): Promise<{ created: boolean; endpoint: EndpointOut }> {
    this.assertDestinationAllowed(input.url);
    const applicationId = await this.applicationId(tenantId, appIdOrUid);
    const data = replacement(input);
    await this.assertFilterTypesExist(tenantId, appIdOrUid, data.filterTypes, input.filterField, catalog);
    const existing = await this.endpoints.findOptional(tenantId, applicationId, endpointIdOrUid);
    data.url = urlToStore(input.url, existing ?? null);
    if (existing) {
      const updated = await this.update(tenantId, applicationId, existing, data);
      return { created: false, endpoint: toOut(updated) };
    }
    const pathUid = isId('endpoint', endpointIdOrUid) ? null : endpointIdOrUid;
    if (input.uid == null && pathUid !== null && isReservedUid(pathUid)) {
      throw ValidationError.field(['path', 'endpoint_id'], RESERVED_UID_MESSAGE, 'reserved_uid');
    }
    // PUT has no `verify`: a tenant that requires verification gets it on endpoints created this way too.
    const verify =
      typeof appIdOrUid === 'string' && (await this.tenants.settings(tenantId)).requireEndpointVerification;
    const start = verify ? this.verification.newChallenge() : undefined;
    const created = await this.endpoints.create(
      tenantId,
      applicationId,
      { ...data, uid: input.uid ?? pathUid },
      generateEndpointSecret(),
      start,
    );
    if (start) await this.verification.sendChallenge(tenantId, applicationId, created.id, start);
    return { created: true, endpoint: toOut(created) };
  }

  async patch(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
    input: EndpointPatchDto,
    catalog?: CatalogView,
  ): Promise<EndpointOut> {
    if (input.url !== undefined) this.assertDestinationAllowed(input.url);
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    const data = changes(input);
    if (input.url !== undefined) data.url = urlToStore(input.url, endpoint);
    await this.assertFilterTypesExist(tenantId, appIdOrUid, data.filterTypes, input.filterField, catalog);
    const updated = await this.update(tenantId, applicationId, endpoint, data);
    if (!input.secret) return toOut(updated);
    await this.endpoints.rotateSecret(tenantId, applicationId, endpoint.id, { secret: input.secret });
    return toOut(await this.endpoints.find(tenantId, applicationId, endpoint.id));
  }

  async delete(tenantId: string, appIdOrUid: AppRef, endpointIdOrUid: string): Promise<void> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    await this.endpoints.delete(tenantId, applicationId, endpoint.id);
  }

  /** An Ed25519 endpoint shows its `whpk_` public key: the `whsk_` private key never leaves Hookrelay. */
  async getSecret(tenantId: string, appIdOrUid: AppRef, endpointIdOrUid: string): Promise<{ key: string }> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    return { key: publicSigningKey(await this.endpoints.getSecret(tenantId, applicationId, endpoint.id)) };
  }

  /**
   * The public-key document: by application id only (never a uid, which a tenant may pick guessably and which
   * is unique per tenant only), since the route is public.
   */
  async publicKeys(appId: string) {
    const keys = isId('application', appId) ? await this.endpoints.findPublicKeys(appId) : undefined;
    if (!keys) throw DomainError.notFound('Application');
    return { appId, keys };
  }

  async rotateSecret(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
    input: EndpointSecretRotateInDto,
  ): Promise<void> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    const graceMs = input.gracePeriodSeconds == null ? undefined : input.gracePeriodSeconds * 1000;
    // Without a key, the new one is of the current one's kind: rotating never turns v1a into v1 by surprise.
    const secret =
      input.key ??
      generateSigningSecret(
        signingSecretKind(await this.endpoints.getSecret(tenantId, applicationId, endpoint.id)),
      );
    await this.endpoints.rotateSecret(tenantId, applicationId, endpoint.id, {
      secret,
      graceMs,
    });
  }

  async getHeaders(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
  ): Promise<EndpointHeadersOut> {
    return headersOut((await this.find(tenantId, appIdOrUid, endpointIdOrUid)).headers);
  }

  async replaceHeaders(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
    headers: Record<string, string>,
  ): Promise<void> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    await this.endpoints.update(tenantId, applicationId, endpoint.id, { headers });
  }

  /** Merges: a value sets the header (replacing any spelling of its name), null or `deleteHeaders` removes it. */
  async patchHeaders(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
    input: EndpointHeadersPatchInDto,
  ): Promise<void> {
    const { applicationId, endpoint } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    await this.endpoints.updateHeaders(tenantId, applicationId, endpoint.id, (current) => {
      const next = { ...current };
      const remove = (name: string) => {
        for (const key of Object.keys(next)) if (key.toLowerCase() === name.toLowerCase()) delete next[key];
      };
      for (const name of input.deleteHeaders ?? []) remove(name);
      for (const [name, value] of Object.entries(input.headers)) {
        remove(name);
        if (value !== null) next[name] = value;
      }
      if (Object.keys(next).length > MAX_CUSTOM_HEADERS) {
        throw ValidationError.field(
          ['body', 'headers'],
          `at most ${MAX_CUSTOM_HEADERS} custom headers are allowed`,
        );
      }
      return next;
    });
  }

  /**
   * Enabling a disabled endpoint resumes it: its failure streak restarts (before it can fail again, so the
   * old streak cannot disable it at once) and the deliveries parked while it was disabled are queued again.
   */
  private async update(
    tenantId: string,
    applicationId: string,
    before: EndpointRecord,
    data: Partial<EndpointData>,
  ): Promise<EndpointRecord> {
    const enabling = before.disabled && data.disabled === false;
    if (enabling) await this.endpoints.clearFailingSince(tenantId, applicationId, before.id);
    const updated = await this.endpoints.update(tenantId, applicationId, before.id, data);
    if (enabling) await this.resume.resumeParked(tenantId, before.id);
    return updated;
  }

  /** Every endpoint route resolves the application (id or uid) of the key's tenant first. */
  private async applicationId(tenantId: string, appIdOrUid: AppRef): Promise<string> {
    if (typeof appIdOrUid !== 'string') return appIdOrUid.operationalAppId;
    return (await this.applications.find(tenantId, appIdOrUid)).id;
  }

  private async find(tenantId: string, appIdOrUid: AppRef, endpointIdOrUid: string): Promise<EndpointRecord> {
    return (await this.resolve(tenantId, appIdOrUid, endpointIdOrUid)).endpoint;
  }

  /**
   * The delivery guard's own judgement (judgeDestination), at write time: an IP literal in any spelling, or a
   * name that always means one (`localhost`), that no delivery could reach is refused now rather than failing
   * at send time. Names that resolve privately are still caught when the connection is made.
   */
  private assertDestinationAllowed(url: string): void {
    if (judgeDestination(new URL(url), this.config.delivery.allowedCidrs).allowed) return;
    throw ValidationError.coded(
      'url_destination_blocked',
      ['body', 'url'],
      'url points at a private, loopback, link-local, multicast, reserved or cloud-metadata address, which ' +
        'webhooks may not be sent to',
    );
  }

  private async resolve(
    tenantId: string,
    appIdOrUid: AppRef,
    endpointIdOrUid: string,
  ): Promise<{ applicationId: string; endpoint: EndpointRecord }> {
    const applicationId = await this.applicationId(tenantId, appIdOrUid);
    return { applicationId, endpoint: await this.endpoints.find(tenantId, applicationId, endpointIdOrUid) };
  }

  /**
   * As Svix: an endpoint may only filter on event types that exist and are not archived (endpoints that
   * already filter on one keep doing so after it is archived). Operational endpoints filter on the
   * operational events Hookrelay sends, which are not the tenant's event types.
   */
  private async assertFilterTypesExist(
    tenantId: string,
    appIdOrUid: AppRef,
    filterTypes: readonly string[] | undefined,
    field: FilterField,
    catalog: CatalogView | undefined,
  ) {
    if (!filterTypes || filterTypes.length === 0) return;
    const live =
      typeof appIdOrUid === 'string'
        ? await this.eventTypes.findLiveNames(tenantId, filterTypes, catalog?.featureFlags)
        : new Set<string>(OPERATIONAL_EVENT_TYPES);
    const missing = filterTypes.filter((name) => !live.has(name));
    if (missing.length > 0) {
      throw ValidationError.field(
        ['body', field],
        `The following event types don't exist: ${missing.join(', ')}`,
      );
    }
  }
}

/**
 * The URL a write stores, credentials included: the stored one when the client sent back the URL exactly as
 * shown (password masked), so an SDK's GET → PUT keeps the password; otherwise the URL as sent, whose user info
 * (or lack of it) replaces the stored one. The mask with any other URL is refused: the stored password must
 * not follow the endpoint to another host or user, and storing the mask as a password would lose it silently.
 */
function urlToStore(
  url: string,
  stored: { url: string; urlCredentials: UrlCredentials | null } | null,
): string {
  const resolved = resolveMaskedUrl(url, stored && { url: stored.url, credentials: stored.urlCredentials });
  if (resolved.ok) return resolved.url;
  throw ValidationError.coded(
    'url_password_masked',
    ['body', 'url'],
    `url has the masked password "${URL_PASSWORD_MASK}" but is not this endpoint's URL as shown (same user, ` +
      'scheme, host, port and path): send the real password to change any of them',
  );
}

/** Every field PUT and POST set, with Svix's defaults for the ones not given. */
function replacement(
  input: EndpointReplacementIn,
): EndpointData & { filterTypes: string[]; channels: string[] } {
  return {
    url: input.url,
    uid: input.uid ?? null,
    description: input.description ?? '',
    version: input.version ?? 1,
    disabled: input.disabled ?? false,
    filterTypes: unique(input.filterTypes ?? []),
    channels: unique(input.channels ?? []),
    metadata: input.metadata ?? {},
    throttleRate: input.throttleRate !== undefined ? input.throttleRate : (input.rateLimit ?? null),
    payloadFilter: input.payloadFilter ?? null,
  };
}

/** Only the fields given; null filters mean "no filter", stored as an empty list. */
function changes(input: EndpointPatchDto & EventTypeFilterIn): Partial<EndpointData> {
  const data: Partial<EndpointData> = {};
  if (input.url !== undefined) data.url = input.url;
  if (input.uid !== undefined) data.uid = input.uid;
  if (input.description !== undefined) data.description = input.description;
  if (input.version !== undefined) data.version = input.version;
  if (input.disabled !== undefined) data.disabled = input.disabled;
  if (input.filterTypes !== undefined) data.filterTypes = unique(input.filterTypes ?? []);
  if (input.channels !== undefined) data.channels = unique(input.channels ?? []);
  if (input.metadata !== undefined) data.metadata = input.metadata;
  const rate = input.throttleRate !== undefined ? input.throttleRate : input.rateLimit;
  if (rate !== undefined) data.throttleRate = rate;
  if (input.payloadFilter !== undefined) data.payloadFilter = input.payloadFilter;
  return data;
}

function headersOut(stored: Record<string, string>): EndpointHeadersOut {
  const headers: Record<string, string> = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(stored)) {
    if (SENSITIVE_HEADERS.has(name.toLowerCase())) sensitive.push(name);
    else headers[name] = value;
  }
  return { headers, sensitive };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
