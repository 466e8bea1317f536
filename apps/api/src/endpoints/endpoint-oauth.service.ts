import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  ApplicationRepository,
  EndpointOauthRepository,
  EndpointOauthShown,
  EndpointRepository,
} from '@app/db';
import { DomainError, judgeDestination, ValidationError } from '@app/domain';
import { EndpointOauthConfigInDto } from './endpoint-oauth.dto';

/**
 * OAuth2 toward an endpoint's receiver (Svix's `…/endpoint/{id}/oauth`). The worker uses the configuration
 * (`ReceiverTokenService`); here it is stored, shown without its secrets, and removed.
 */
@Injectable()
export class EndpointOauthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly oauth: EndpointOauthRepository,
  ) {}

  async get(tenantId: string, appIdOrUid: string, endpointIdOrUid: string): Promise<EndpointOauthShown> {
    const { applicationId, endpointId } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    const shown = await this.oauth.get(tenantId, applicationId, endpointId);
    if (!shown) throw DomainError.notFound('OauthConfig');
    return shown;
  }

  async set(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    input: EndpointOauthConfigInDto,
  ): Promise<void> {
    this.assertPublicTokenUrl(input.tokenUrl);
    const { applicationId, endpointId } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    await this.oauth.set(tenantId, applicationId, endpointId, {
      grantType: input.grantType,
      authMethod: input.authMethod,
      clientId: input.clientId,
      clientSecret: input.clientSecret ?? null,
      refreshToken: input.grantType === 'refreshToken' ? (input.refreshToken ?? null) : null,
      tokenUrl: input.tokenUrl,
      scopes: input.scopes ?? null,
      extraParams: input.extraParams ?? null,
      extraHeaders: input.extraHeaders ?? null,
    });
  }

  async delete(tenantId: string, appIdOrUid: string, endpointIdOrUid: string): Promise<void> {
    const { applicationId, endpointId } = await this.resolve(tenantId, appIdOrUid, endpointIdOrUid);
    await this.oauth.delete(tenantId, applicationId, endpointId);
  }

  /**
   * A token URL is judged as an endpoint URL is, by the delivery guard's own rule (judgeDestination, with the
   * same exemptions): an IP literal in any spelling, `localhost` or a metadata name is refused now with the same
   * `url_destination_blocked`. A host name is checked when the token is fetched, on the addresses it resolves
   * to then: DNS can change after this check.
   */
  private assertPublicTokenUrl(tokenUrl: string): void {
    if (judgeDestination(new URL(tokenUrl), this.config.delivery.allowedCidrs).allowed) return;
    throw ValidationError.coded(
      'url_destination_blocked',
      ['body', 'tokenUrl'],
      'tokenUrl points at a private, loopback, link-local, multicast, reserved or cloud-metadata address, ' +
        'which Hookrelay does not call',
    );
  }

  private async resolve(tenantId: string, appIdOrUid: string, endpointIdOrUid: string) {
    const applicationId = (await this.applications.find(tenantId, appIdOrUid)).id;
    const endpoint = await this.endpoints.find(tenantId, applicationId, endpointIdOrUid);
    return { applicationId, endpointId: endpoint.id };
  }
}
