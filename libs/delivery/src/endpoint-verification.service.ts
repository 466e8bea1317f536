import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { EndpointRepository, StrandedVerification, VerificationStart } from '@app/db';
import {
  newVerificationChallenge,
  VERIFICATION_EVENT_TYPE,
  verificationEventId,
  verificationPayload,
} from '@app/domain';
import { EndpointResumeService } from './endpoint-resume.service';
import { MessageIngestService } from './message-ingest.service';

/** Stranded challenges repaired per reconciler tick at most. */
const REPAIRS_PER_TICK = 100;

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
    private readonly resume: EndpointResumeService,
  ) {}

  /** A fresh challenge and its deadline, to store with a new endpoint. */
  newChallenge(now = new Date()): VerificationStart {
    return {
      challenge: newVerificationChallenge(),
      expiresAt: new Date(now.getTime() + this.config.delivery.verificationTtlMs),
    };
  }

  /**
   * Sends the stored challenge to the endpoint (after the endpoint row, pending, is committed). Once per
   * challenge: its message's `eventId` is the challenge's, so a second send (the reconciler's) does nothing.
   */
  async sendChallenge(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    start: Pick<VerificationStart, 'challenge'>,
  ): Promise<void> {
    await this.ingest.sendBatch(tenantId, applicationId, [
      {
        eventType: VERIFICATION_EVENT_TYPE,
        eventId: verificationEventId(start.challenge),
        payload: verificationPayload(start.challenge),
        onlyEndpointId: endpointId,
      },
    ]);
  }

  /**
   * The reconciler's repair of the two crash windows of verification (docs/verification.md#crashes): a
   * challenge never sent is sent (or, past its deadline, the endpoint is `expired`); a challenge whose
   * delivery ended but whose endpoint was never settled is settled now: `verified` (and the parked deliveries
   * flow) after a success, `failed` or `expired` after a dead letter. Returns how many endpoints it moved on.
   */
  async repairStranded(graceMs: number, now = new Date()): Promise<number> {
    const stranded = await this.endpoints.findStrandedVerifications(
      graceMs,
      verificationEventId(''),
      REPAIRS_PER_TICK,
    );
    for (const v of stranded) await this.repair(v, now);
    return stranded.length;
  }

  private async repair(v: StrandedVerification, now: Date): Promise<void> {
    const pastDeadline = v.expiresAt.getTime() <= now.getTime();
    if (v.challengeStatus === 'success') {
      if (await this.endpoints.settleVerification(v.endpointId, v.challenge, 'verified')) {
        await this.resume.resumeParked(v.tenantId, v.endpointId);
      }
    } else if (v.challengeStatus !== null || pastDeadline) {
      await this.endpoints.settleVerification(v.endpointId, v.challenge, pastDeadline ? 'expired' : 'failed');
    } else {
      await this.sendChallenge(v.tenantId, v.applicationId, v.endpointId, v);
    }
  }

  /** A new challenge for an endpoint: pending again, the earlier challenge's answer no longer counts. */
  async restart(tenantId: string, applicationId: string, endpointId: string): Promise<void> {
    const start = this.newChallenge();
    await this.endpoints.startVerification(tenantId, applicationId, endpointId, start);
    await this.sendChallenge(tenantId, applicationId, endpointId, start);
  }
}
