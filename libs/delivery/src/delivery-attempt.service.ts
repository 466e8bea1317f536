import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  AppSecretBox,
  AttemptRecord,
  AttemptTrigger,
  ClaimedDelivery,
  DeliveryRepository,
  parseOldSecrets,
  unexpiredOldSecrets,
} from '@app/db';
import { newId, nextAttemptDelay, parseRetryAfter, webhookHeaders } from '@app/domain';
import { deliveryJobId, JobProducer } from '@app/queue';
import { OperationalEventsService } from './operational-events.service';
import { HOOKRELAY_VERSION } from './version';
import { WebhookResponse, WebhookSender } from './webhook-sender';

/** Svix sends `message.attempt.failing` once a message has failed this many attempts in a row. */
export const FAILING_EVENT_AFTER = 4;

export type AttemptOutcome = 'skipped' | 'parked' | 'success' | 'retry' | 'fail';

/**
 * One attempt of one delivery: claim it, sign at send time over the exact bytes, POST, record the
 * attempt and the delivery's next state in one write, then queue the next attempt as its own delayed
 * job. A receiver's failure is data (an attempt row and a schedule); a database or Redis fault throws so
 * the queue retries the job (CONVENTIONS rule 5).
 */
@Injectable()
export class DeliveryAttemptService {
  private readonly logger = new Logger(DeliveryAttemptService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly secretBox: AppSecretBox,
    private readonly sender: WebhookSender,
    private readonly jobs: JobProducer,
    private readonly operational: OperationalEventsService,
  ) {}

  async attempt(deliveryId: string, attempt: number, trigger: AttemptTrigger): Promise<AttemptOutcome> {
    const claimed = await this.deliveries.claim(deliveryId, attempt, this.config.delivery.leaseMs);
    if (!claimed) return 'skipped';
    if (claimed.endpoint.disabled) {
      await this.deliveries.park(deliveryId);
      return 'parked';
    }

    const at = new Date();
    const response = await this.sender.send({
      url: claimed.endpoint.url,
      headers: this.headersFor(claimed, at),
      body: claimed.message.payload,
    });
    const record = this.decide(claimed, response, trigger, at);
    const recorded = await this.deliveries.recordAttempt(record);
    if (!recorded.applied) {
      // The delivery moved on without this attempt (re-claimed, or reopened by a resend), but the endpoint's
      // health counted it: a disable it caused is still announced.
      if (recorded.endpointDisabledNow && !claimed.application.operational) {
        await this.notifyDisabled(claimed, record);
      }
      return 'skipped';
    }

    if (record.next.status === 'pending') await this.enqueueRetry(claimed, record.next.nextAttemptAt);
    if (!claimed.application.operational) await this.notify(claimed, record, recorded.endpointDisabledNow);
    return record.next.status === 'pending' ? 'retry' : record.next.status;
  }

  private headersFor(claimed: ClaimedDelivery, at: Date): Record<string, string> {
    // Every secret that signs now: the current one, then rotated-out ones still in their grace period.
    const old = unexpiredOldSecrets(parseOldSecrets(claimed.endpoint.oldSecrets), at);
    const secrets = [claimed.endpoint.secret, ...old.map((o) => o.secret)].map((s) => this.secretBox.open(s));
    return {
      // Custom headers first: nothing an endpoint configures can replace the signature or content type.
      ...claimed.endpoint.headers,
      'content-type': 'application/json',
      'user-agent': `Hookrelay/${HOOKRELAY_VERSION}`,
      ...webhookHeaders({
        msgId: claimed.message.id,
        timestamp: Math.floor(at.getTime() / 1000),
        body: claimed.message.payload,
        secrets,
      }),
    };
  }

  private decide(
    claimed: ClaimedDelivery,
    res: WebhookResponse,
    trigger: AttemptTrigger,
    at: Date,
  ): AttemptRecord {
    const success = res.statusCode >= 200 && res.statusCode < 300;
    const gone = res.statusCode === 410;
    let next: AttemptRecord['next'] = { status: success ? 'success' : 'fail' };
    if (!success && !gone) {
      const honoursRetryAfter = res.statusCode === 429 || res.statusCode === 503;
      const delay = nextAttemptDelay({
        schedule: this.config.delivery.retryScheduleMs,
        attemptsMade: claimed.attemptCount + 1,
        retryAfterMs: honoursRetryAfter ? parseRetryAfter(res.retryAfter, at.getTime()) : undefined,
      });
      if (delay !== undefined) next = { status: 'pending', nextAttemptAt: new Date(at.getTime() + delay) };
    }
    return {
      id: newId('attempt', at.getTime()),
      deliveryId: claimed.id,
      tenantId: claimed.tenantId,
      messageId: claimed.message.id,
      endpointId: claimed.endpoint.id,
      claimedAttemptCount: claimed.attemptCount,
      url: claimed.endpoint.url,
      responseStatusCode: res.statusCode,
      response: res.body,
      responseDurationMs: res.durationMs,
      success,
      errorKind: success ? null : (res.errorKind ?? (gone ? 'gone' : 'http_status')),
      trigger,
      at,
      next,
      disableEndpoint: gone,
      disableAfterMs: this.config.delivery.endpointDisableAfterMs,
    };
  }

  private async enqueueRetry(claimed: ClaimedDelivery, dueAt: Date): Promise<void> {
    const attempt = claimed.attemptCount + 1;
    try {
      await this.jobs.enqueue({
        name: 'DeliveryAttemptV1',
        data: { deliveryId: claimed.id, attempt, trigger: 'scheduled' },
        jobId: deliveryJobId(claimed.id, attempt),
        options: { delay: Math.max(0, dueAt.getTime() - Date.now()) },
      });
    } catch (error) {
      // Recorded as pending with its due time: the sweeper queues it if this enqueue was lost.
      this.logger.warn(
        { err: error, deliveryId: claimed.id },
        'could not queue the next attempt; the sweeper will',
      );
    }
  }

  private async notify(
    claimed: ClaimedDelivery,
    record: AttemptRecord,
    endpointDisabledNow: boolean,
  ): Promise<void> {
    const { tenantId } = claimed;
    const attemptsMade = claimed.attemptCount + 1;
    const base = {
      appId: claimed.application.id,
      appUid: claimed.application.uid,
      msgId: claimed.message.id,
      msgEventId: claimed.message.eventId,
      endpointId: claimed.endpoint.id,
      lastAttempt: {
        id: record.id,
        timestamp: record.at.toISOString(),
        responseStatusCode: record.responseStatusCode,
      },
    };
    if (record.success && claimed.attemptCount >= FAILING_EVENT_AFTER) {
      await this.operational.emit(tenantId, 'message.attempt.recovered', base);
    }
    if (!record.success && attemptsMade === FAILING_EVENT_AFTER && record.next.status === 'pending') {
      await this.operational.emit(tenantId, 'message.attempt.failing', base);
    }
    if (record.next.status === 'fail') {
      await this.operational.emit(tenantId, 'message.attempt.exhausted', base);
    }
    if (endpointDisabledNow) await this.notifyDisabled(claimed, record);
  }

  private async notifyDisabled(claimed: ClaimedDelivery, record: AttemptRecord): Promise<void> {
    await this.operational.emit(claimed.tenantId, 'endpoint.disabled', {
      appId: claimed.application.id,
      appUid: claimed.application.uid,
      endpointId: claimed.endpoint.id,
      endpointUid: claimed.endpoint.uid,
      failSince: (claimed.endpoint.failingSince ?? record.at).toISOString(),
      trigger: 'automatic',
    });
  }
}
