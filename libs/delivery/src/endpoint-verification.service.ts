import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { EndpointRepository, VerificationStart } from '@app/db';
import { newVerificationChallenge, VERIFICATION_EVENT_TYPE, verificationPayload } from '@app/domain';
import { MessageIngestService } from './message-ingest.service';

/**
 * Endpoint ownership verification (docs/verification.md). The challenge is a message of the endpoint's
 * application sent to that endpoint only, signed and retried like any other, so its attempts show in the
 * endpoint's log; the worker judges the answer (DeliveryAttemptService) and, once verified, lets the parked
 * deliveries flow.
 */
@Injectable()
export class EndpointVerificationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly endpoints: EndpointRepository,
    private readonly ingest: MessageIngestService,
  ) {}

  /** A fresh challenge and its deadline, to store with a new endpoint. */
  newChallenge(now = new Date()): VerificationStart {
    return {
      challenge: newVerificationChallenge(),
      expiresAt: new Date(now.getTime() + this.config.delivery.verificationTtlMs),
    };
  }

  /** Sends the stored challenge to the endpoint (after the endpoint row, pending, is committed). */
  async sendChallenge(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    start: VerificationStart,
  ): Promise<void> {
    await this.ingest.send(tenantId, applicationId, {
      eventType: VERIFICATION_EVENT_TYPE,
      payload: verificationPayload(start.challenge),
      onlyEndpointId: endpointId,
    });
  }

  /** A new challenge for an endpoint: pending again, the earlier challenge's answer no longer counts. */
  async restart(tenantId: string, applicationId: string, endpointId: string): Promise<void> {
    const start = this.newChallenge();
    await this.endpoints.startVerification(tenantId, applicationId, endpointId, start);
    await this.sendChallenge(tenantId, applicationId, endpointId, start);
  }
}
