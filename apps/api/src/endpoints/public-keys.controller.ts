import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { LimitedPerSource, Public } from '../auth/auth.decorators';
import { ApplicationPublicKeysOutDto } from './endpoint.dto';
import { EndpointsService } from './endpoints.service';

/**
 * Hookrelay extension: the Ed25519 (`v1a`) public keys an application's endpoints sign with, for receivers to
 * fetch, like a JWKS document. Public on purpose: receivers hold no tenant API key, and a public key is not a
 * secret. It names the application by id only (ids are random; uids can be guessed and repeat across
 * tenants), lists endpoint ids and public keys and nothing else, and never an HMAC secret. With no tenant
 * to count against, it is limited per source address (`PUBLIC_RATE_LIMIT_PER_SECOND`), before any lookup.
 */
@ApiTags('Endpoint')
@Public()
@LimitedPerSource()
@Controller('api/v1/app/:appId/public-keys')
export class PublicKeysController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Get()
  @Header('cache-control', 'public, max-age=30')
  @ApiOkResponse({ type: ApplicationPublicKeysOutDto })
  get(@Param('appId') appId: string) {
    return this.endpoints.publicKeys(appId);
  }
}
