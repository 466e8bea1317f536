import { Injectable } from '@nestjs/common';
import { ApplicationRepository, mapPage, Page, PageQuery } from '@app/db';
import { DomainError } from '@app/domain';
import { EndpointSecretRotateInDto } from '../endpoints/endpoint.dto';
import { AppRef, EndpointHeadersOut, EndpointOut, EndpointsService } from '../endpoints/endpoints.service';
import {
  OperationalWebhookEndpointInDto,
  OperationalWebhookEndpointOut,
  OperationalWebhookEndpointUpdateDto,
} from './operational-webhook-endpoint.dto';

/**
 * The tenant's operational webhook endpoints are ordinary endpoints of its hidden operational application,
 * managed by the endpoints service. The application is created with the first endpoint; before that the
 * tenant has no operational endpoints to list or find.
 */
@Injectable()
export class OperationalWebhookEndpointsService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointsService,
  ) {}

  async list(tenantId: string, query: PageQuery): Promise<Page<OperationalWebhookEndpointOut>> {
    const app = await this.applications.findOperational(tenantId);
    if (!app) return { data: [], iterator: null, prevIterator: null, done: true };
    return mapPage(await this.endpoints.list(tenantId, { operationalAppId: app.id }, query), toOut);
  }

  async create(
    tenantId: string,
    input: OperationalWebhookEndpointInDto,
  ): Promise<OperationalWebhookEndpointOut> {
    return toOut(await this.endpoints.create(tenantId, await this.createdApp(tenantId), input));
  }

  async get(tenantId: string, endpointIdOrUid: string): Promise<OperationalWebhookEndpointOut> {
    return toOut(await this.endpoints.get(tenantId, await this.existingApp(tenantId), endpointIdOrUid));
  }

  /** Svix's PUT: replaces the endpoint's fields, or creates it (see `EndpointsService.upsert`). */
  async upsert(
    tenantId: string,
    endpointIdOrUid: string,
    input: OperationalWebhookEndpointUpdateDto,
  ): Promise<{ created: boolean; endpoint: OperationalWebhookEndpointOut }> {
    const app = await this.createdApp(tenantId);
    const { created, endpoint } = await this.endpoints.upsert(tenantId, app, endpointIdOrUid, input);
    return { created, endpoint: toOut(endpoint) };
  }

  async delete(tenantId: string, endpointIdOrUid: string): Promise<void> {
    await this.endpoints.delete(tenantId, await this.existingApp(tenantId), endpointIdOrUid);
  }

  async getSecret(tenantId: string, endpointIdOrUid: string): Promise<{ key: string }> {
    return this.endpoints.getSecret(tenantId, await this.existingApp(tenantId), endpointIdOrUid);
  }

  async rotateSecret(
    tenantId: string,
    endpointIdOrUid: string,
    input: EndpointSecretRotateInDto,
  ): Promise<void> {
    await this.endpoints.rotateSecret(tenantId, await this.existingApp(tenantId), endpointIdOrUid, input);
  }

  async getHeaders(tenantId: string, endpointIdOrUid: string): Promise<EndpointHeadersOut> {
    return this.endpoints.getHeaders(tenantId, await this.existingApp(tenantId), endpointIdOrUid);
  }

  async replaceHeaders(
    tenantId: string,
    endpointIdOrUid: string,
    headers: Record<string, string>,
  ): Promise<void> {
    await this.endpoints.replaceHeaders(tenantId, await this.existingApp(tenantId), endpointIdOrUid, headers);
  }

  private async createdApp(tenantId: string): Promise<AppRef> {
    return { operationalAppId: (await this.applications.findOrCreateOperational(tenantId)).id };
  }

  /** A tenant without the operational application has no operational endpoint to find. */
  private async existingApp(tenantId: string): Promise<AppRef> {
    const app = await this.applications.findOperational(tenantId);
    if (!app) throw DomainError.notFound('Endpoint');
    return { operationalAppId: app.id };
  }
}

function toOut(endpoint: EndpointOut): OperationalWebhookEndpointOut {
  const { version: _version, channels: _channels, payloadFilter: _payloadFilter, ...rest } = endpoint;
  return rest;
}
