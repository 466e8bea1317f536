import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApiKeyRepository } from '@app/db';
import { apiKeyHashKey, apiKeyMatches, apiKeyPrefix, DomainError } from '@app/domain';
import { AUDIENCE, Audience, AuthenticatedRequest } from './auth.decorators';

/** Global guard: resolves who is calling from the bearer token and checks the route's audience. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest: Buffer;
  private readonly hashKey: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyRepository,
    private readonly logger: PinoLogger,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.adminDigest = sha256(config.adminToken);
    this.hashKey = apiKeyHashKey(config.encryptionKey);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const audience = this.reflector.getAllAndOverride<Audience | undefined>(AUDIENCE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (audience === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (audience === 'admin') {
      // Digests have equal length, so the comparison takes the same time whatever the token.
      if (token && timingSafeEqual(sha256(token), this.adminDigest)) return true;
      throw DomainError.unauthorized('Send the operator token as "Authorization: Bearer <ADMIN_TOKEN>".');
    }
    if (audience === 'tenant') {
      request.tenantId = await this.resolveTenant(token);
      this.logger.assign({ tenantId: request.tenantId });
      return true;
    }
    // A route that declares no audience is a programming error; refusing is the safe failure.
    throw new DomainError(403, 'forbidden', 'This route is not available.');
  }

  private async resolveTenant(token: string | undefined): Promise<string> {
    if (!token) throw DomainError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
    const prefix = apiKeyPrefix(token);
    if (prefix) {
      for (const candidate of await this.apiKeys.findActiveByPrefix(prefix)) {
        if (apiKeyMatches(this.hashKey, token, candidate.hash)) return candidate.tenantId;
      }
    }
    throw DomainError.unauthorized('The API key is invalid or has been revoked.');
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
