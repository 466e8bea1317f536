import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  AppSecretBox,
  AttemptRecord,
  AttemptTrigger,
  ClaimedDelivery,
  DeliveryRepository,
  EndpointRepository,
  isRetryableDatabaseError,
  openHeaders,
  openStoredUrl,
  OutboxWebhook,
  parseOldSecrets,
  RecordedAttempt,
  unexpiredOldSecrets,
} from '@app/db';
import {
  attemptOutcome,
  basicAuthorization,
  challengeOf,
  checkChallengeAnswer,
  endpointHealthChange,
  mayReceiveEvents,
  messageEventsFor,
  newId,
  OperationalEventType,
  SealContext,
  splitUrlCredentials,
  UrlCredentials,
  webhookHeaders,
} from '@app/domain';
import { JobProducer } from '@app/queue';
import { Metrics } from './metrics';
import { OutboxService } from './outbox.service';
import { BearerResult, ReceiverTokenService } from './receiver-token.service';
import { EndpointResumeService } from './endpoint-resume.service';
import { HOOKRELAY_VERSION } from './version';
import { WebhookRequest, WebhookResponse, WebhookSender } from './webhook-sender';

export type AttemptResultName = 'skipped' | 'parked' | 'canceled' | 'success' | 'retry' | 'fail';

/** How an attempt ended, and how long the receiver took to answer when it was reached. */
export interface AttemptReport {
  result: AttemptResultName;
  /** Null when no request went out to the receiver (skipped, parked, canceled, dead-lettered, our fault). */
  responseMs: number | null;
  /** What the metrics and the attempt's log line need; absent when nothing was sent. */
  sent?: SentAttempt;
}

/** One attempt that went out (or was refused before going out), as recorded. */
export interface SentAttempt {
  messageId: string;
  endpointId: string;
  attemptId: string;
  /** 1 for the first attempt of the delivery, across every schedule. */
  attemptNumber: number;
  statusCode: number;
  errorKind: string | null;
  trigger: AttemptTrigger;
  /** This attempt disabled its endpoint (ENDPOINT_DISABLE_AFTER of failures). */
  endpointDisabled: boolean;
}

/** The longest pause between two tries of a record while PostgreSQL is unreachable. */
const RECORD_RETRY_MAX_MS = 5_000;

/**
 * One attempt of one delivery: claim it (which hands out a fence token), sign at send time over the exact
 * bytes, POST, then record the attempt, the delivery's next state and the operational webhooks it raises in
 * one write, and queue the next attempt as its own delayed job.
 *
 * Every claimed attempt ends in an attempt row or a dead letter. A receiver's failure is data (an attempt row
 * and a schedule); a fault of ours between claim and record becomes an `internal_error` attempt; a response
 * PostgreSQL cannot store is recorded without its body; PostgreSQL down is waited out while the lease lasts,
 * then thrown so the queue retries (CONVENTIONS rule 5). A delivery claimed too many times in a row without
 * any of that (the worker keeps crashing on it) is dead-lettered with an `internal_error` attempt.
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
    private readonly outbox: OutboxService,
    private readonly metrics: Metrics,
    private readonly receiverTokens: ReceiverTokenService,
    private readonly endpoints: EndpointRepository,
    private readonly resume: EndpointResumeService,
  ) {}

  /**
   * One attempt, then its one log line and its metrics: an operator follows a message by its id from the
   * API's "message accepted" line to these (`msgId`, `endpointId`, `attempt`, `statusCode`, `durationMs`).
   */
  async attempt(deliveryId: string, fence: number): Promise<AttemptReport> {
    const report = await this.attemptOnce(deliveryId, fence);
    this.metrics.attemptEnded(report);
    const sent = report.sent;
    if (sent) {
      this.logger.log(
        {
          msgId: sent.messageId,
          endpointId: sent.endpointId,
          deliveryId,
          attemptId: sent.attemptId,
          attempt: sent.attemptNumber,
          trigger: sent.trigger,
          outcome: report.result,
          statusCode: sent.statusCode,
          durationMs: report.responseMs,
          errorKind: sent.errorKind ?? undefined,
        },
        'delivery attempt',
      );
    }
    return report;
  }

  private async attemptOnce(deliveryId: string, fence: number): Promise<AttemptReport> {
    const claimedAt = Date.now();
    const claimed = await this.deliveries.claim(deliveryId, fence, this.config.delivery.leaseMs);
    if (!claimed) return { result: 'skipped', responseMs: null };
    if (claimed.canceled) {
      const line = claimed.orderingKey ? { endpointId: claimed.endpoint.id, key: claimed.orderingKey } : null;
      const released = await this.deliveries.cancel(claimed.id, claimed.fence, line);
      await this.jobs.enqueueDeliveries(released, 'ordering');
      return { result: 'canceled', responseMs: null };
    }
    // An endpoint whose owner has not answered its challenge receives the challenge only.
    const challenge = this.challengeFor(claimed);
    if (
      claimed.endpoint.disabled ||
      (!mayReceiveEvents(claimed.endpoint.verification) && challenge === null)
    ) {
      await this.deliveries.park(claimed.id, claimed.fence);
      return { result: 'parked', responseMs: null };
    }
    const at = new Date();
    let record: AttemptRecord;
    let responseMs: number | null = null;
    if (claimed.openClaims > this.config.delivery.maxOpenClaims) {
      record = this.deadLetter(claimed, at);
    } else {
      try {
        // The URL goes out without user info; its credentials go as Basic auth (undici would drop them).
        const { url, credentials } = openStoredUrl(
          this.secretBox,
          claimed.tenantId,
          claimed.endpoint.id,
          claimed.endpoint,
        );
        const response = await this.send(claimed, {
          url,
          headers: this.headersFor(claimed, at, credentials),
          body: claimed.message.payload,
        });
        responseMs = response.durationMs;
        record =
          challenge === null
            ? this.decide(claimed, response, at)
            : this.decideChallenge(claimed, response, at, challenge);
      } catch (error) {
        // Ours, not the receiver's (a secret that no longer opens, a bug): an attempt row says so.
        this.logger.error({ err: error, deliveryId }, 'attempt failed inside Hookrelay');
        record = this.decide(claimed, internalError('Hookrelay could not send this attempt.'), at);
      }
    }
    const recorded = await this.persist(record, claimedAt + this.config.delivery.leaseMs);
    const sent: SentAttempt = {
      messageId: record.messageId,
      endpointId: record.endpointId,
      attemptId: record.id,
      attemptNumber: claimed.attemptCount + 1,
      statusCode: record.responseStatusCode,
      errorKind: record.errorKind,
      trigger: record.trigger,
      endpointDisabled: recorded.endpointDisabledNow,
    };
    if (!recorded.applied) return { result: 'skipped', responseMs, sent };
    if (challenge !== null) await this.settleChallenge(claimed, record, challenge);
    if (record.next.status === 'pending') {
      await this.jobs.enqueueDeliveries(
        [
          {
            id: claimed.id,
            fence: recorded.fence!,
            tenantId: claimed.tenantId,
            applicationId: claimed.applicationId,
            endpointId: claimed.endpoint.id,
            dueAt: record.next.nextAttemptAt,
          },
        ],
        'retry',
      );
    }
    // The next delivery of its ordering key, released by this final record; if this enqueue is lost, the
    // reconciler queues it like any due delivery.
    if (recorded.released.length > 0) await this.jobs.enqueueDeliveries(recorded.released, 'ordering');
    if (record.messageEvents.length > 0 || recorded.endpointDisabledNow) this.outbox.drainSoon();
    return { result: record.next.status === 'pending' ? 'retry' : record.next.status, responseMs, sent };
  }

  /**
   * Writes the record. PostgreSQL down is retried with back-off until shortly before the lease ends (the
   * attempt is not sent again meanwhile); a record PostgreSQL refuses is written again without the response
   * body, as an internal error if it was not a success.
   */
  private async persist(record: AttemptRecord, leaseEnds: number): Promise<RecordedAttempt> {
    try {
      return await this.recordWhileLeased(record, leaseEnds);
    } catch (error) {
      if (isRetryableDatabaseError(error)) throw error;
      this.logger.error(
        { err: error, deliveryId: record.deliveryId },
        'attempt record refused; storing it without the response',
      );
      return this.recordWhileLeased(
        {
          ...record,
          response: 'Hookrelay could not store this response.',
          errorKind: record.success ? null : 'internal_error',
        },
        leaseEnds,
      );
    }
  }

  private async recordWhileLeased(record: AttemptRecord, leaseEnds: number): Promise<RecordedAttempt> {
    for (let pause = 200; ; pause = Math.min(pause * 2, RECORD_RETRY_MAX_MS)) {
      try {
        return await this.deliveries.recordAttempt(record);
      } catch (error) {
        const margin = 1_000;
        if (!isRetryableDatabaseError(error) || Date.now() + pause + margin > leaseEnds) throw error;
        this.logger.warn({ err: error, deliveryId: record.deliveryId }, 'attempt record failed; retrying it');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /**
   * Sends the attempt, with a bearer token when the endpoint uses OAuth2 toward its receiver. A receiver that
   * answers 401 gets one fresh token and one more try within the same attempt (the second answer is recorded);
   * no usable token means no request, and an attempt row with the token server's problem.
   */
  private async send(claimed: ClaimedDelivery, request: WebhookRequest): Promise<WebhookResponse> {
    const oauth = await this.receiverTokens.config(
      claimed.tenantId,
      claimed.applicationId,
      claimed.endpoint.id,
    );
    if (!oauth) return this.sender.send(request);
    const endpoint = {
      tenantId: claimed.tenantId,
      applicationId: claimed.applicationId,
      id: claimed.endpoint.id,
    };
    const first = await this.receiverTokens.bearer(endpoint, oauth);
    if (first.kind === 'failed') return tokenFailure(first);
    const response = await this.sender.send(withAuthorization(request, first.authorization));
    if (response.statusCode !== 401) return response;
    // Read again: fetching the first token may have rotated the refresh token.
    const latest =
      (await this.receiverTokens.config(claimed.tenantId, claimed.applicationId, endpoint.id)) ?? oauth;
    const fresh = await this.receiverTokens.bearer(endpoint, latest, true);
    if (fresh.kind === 'failed') return tokenFailure(fresh);
    return this.sender.send(withAuthorization(request, fresh.authorization));
  }

  /**
   * Basic auth from the URL's credentials, unless the endpoint's custom headers set `Authorization` (then theirs
   * is sent); an OAuth2 bearer token replaces both (`withAuthorization`).
   */
  private headersFor(
    claimed: ClaimedDelivery,
    at: Date,
    credentials: UrlCredentials | null,
  ): Record<string, string> {
    // Every secret that signs now: the current one, then rotated-out ones still in their grace period.
    const old = unexpiredOldSecrets(parseOldSecrets(claimed.endpoint.oldSecrets), at);
    const context = SealContext.endpointSecret(claimed.tenantId, claimed.endpoint.id);
    const secrets = [claimed.endpoint.secret, ...old.map((o) => o.secret)].map((s) =>
      this.secretBox.open(s, context),
    );
    const custom = openHeaders(
      this.secretBox,
      claimed.tenantId,
      claimed.endpoint.id,
      claimed.endpoint.headers,
    );
    const basic: Record<string, string> =
      credentials !== null && !Object.keys(custom).some((name) => name.toLowerCase() === 'authorization')
        ? { authorization: basicAuthorization(credentials) }
        : {};
    return {
      ...basic,
      // Custom headers first: nothing an endpoint configures can replace the signature or content type.
      ...custom,
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

  private decide(claimed: ClaimedDelivery, res: WebhookResponse, at: Date): AttemptRecord {
    const outcome = attemptOutcome(res, this.config.delivery.retryScheduleMs, claimed.retryCount, at);
    const internal = res.errorKind === 'internal_error';
    return this.record(claimed, res, at, {
      ...outcome,
      // A fault of ours says nothing about the endpoint's health.
      health: internal
        ? { startStreak: false, endStreak: false, disable: false }
        : endpointHealthChange(claimed.endpoint, outcome, at, this.config.delivery.endpointDisableAfterMs),
      events: messageEventsFor(outcome, claimed.retryCount),
    });
  }

  /** The endpoint's current challenge, if this delivery is its challenge message; otherwise null. */
  private challengeFor(claimed: ClaimedDelivery): string | null {
    const current = claimed.endpoint.verificationChallenge;
    if (claimed.endpoint.verification === null || current === null) return null;
    return challengeOf(claimed.message) === current ? current : null;
  }

  /**
   * A challenge succeeds on a 2xx that echoes it before its deadline. A wrong answer is a failed attempt
   * (`verification_failed`) retried on the schedule like any failure; past the deadline the attempt is the
   * last (`verification_expired`). The endpoint's health and operational webhooks are not touched.
   */
  private decideChallenge(
    claimed: ClaimedDelivery,
    res: WebhookResponse,
    at: Date,
    challenge: string,
  ): AttemptRecord {
    const answer = checkChallengeAnswer(res, challenge);
    const deadline = claimed.endpoint.verificationExpiresAt;
    const expired = deadline !== null && Date.now() > deadline.getTime();
    const noHealth = { startStreak: false, endStreak: false, disable: false };
    if (expired) {
      return this.record(claimed, { ...res, errorKind: 'verification_expired' }, at, {
        success: false,
        gone: false,
        next: { status: 'fail' },
        health: noHealth,
        events: [],
      });
    }
    // A 2xx with the wrong body counts as no answer for the schedule.
    const judged = answer === 'wrong_answer' ? { ...res, statusCode: 0 } : res;
    const outcome = attemptOutcome(judged, this.config.delivery.retryScheduleMs, claimed.retryCount, at);
    return this.record(
      claimed,
      answer === 'wrong_answer' ? { ...res, errorKind: 'verification_failed' } : res,
      at,
      { ...outcome, gone: false, health: noHealth, events: [] },
    );
  }

  /** After a challenge's record: verified (and the parked deliveries flow), or failed / expired when final. */
  private async settleChallenge(claimed: ClaimedDelivery, record: AttemptRecord, challenge: string) {
    if (record.success) {
      if (await this.endpoints.settleVerification(claimed.endpoint.id, challenge, 'verified')) {
        await this.resume.resumeParked(claimed.tenantId, claimed.endpoint.id);
      }
    } else if (record.next.status === 'fail') {
      const outcome = record.errorKind === 'verification_expired' ? 'expired' : 'failed';
      await this.endpoints.settleVerification(claimed.endpoint.id, challenge, outcome);
    }
  }

  /** The delivery keeps being claimed without ever recording: stop, and say why in an attempt row. */
  private deadLetter(claimed: ClaimedDelivery, at: Date): AttemptRecord {
    this.logger.error(
      { deliveryId: claimed.id, claims: claimed.openClaims },
      'delivery dead-lettered: claimed again and again without a recorded attempt',
    );
    const res = internalError(
      `Hookrelay dead-lettered this delivery: ${claimed.openClaims - 1} attempts in a row ended without a result ` +
        '(a worker crashed or failed while sending it). Resend it once the cause is fixed.',
    );
    return this.record(claimed, res, at, {
      success: false,
      gone: false,
      next: { status: 'fail' },
      health: { startStreak: false, endStreak: false, disable: false },
      events: ['message.attempt.exhausted'],
    });
  }

  private record(
    claimed: ClaimedDelivery,
    res: WebhookResponse,
    at: Date,
    decision: Pick<AttemptRecord, 'success' | 'gone' | 'next' | 'health'> & {
      events: OperationalEventType[];
    },
  ): AttemptRecord {
    const attemptId = newId('attempt', at.getTime());
    const operational = claimed.application.operational;
    const lastAttempt = { id: attemptId, timestamp: at.toISOString(), responseStatusCode: res.statusCode };
    const messageData = {
      appId: claimed.application.id,
      appUid: claimed.application.uid,
      msgId: claimed.message.id,
      msgEventId: claimed.message.eventId,
      endpointId: claimed.endpoint.id,
      lastAttempt,
    };
    return {
      id: attemptId,
      deliveryId: claimed.id,
      tenantId: claimed.tenantId,
      applicationId: claimed.applicationId,
      messageId: claimed.message.id,
      endpointId: claimed.endpoint.id,
      fence: claimed.fence,
      orderingKey: claimed.orderingKey,
      // Never the credentials, even from a row written before they were split off the URL.
      url: splitUrlCredentials(claimed.endpoint.url).url,
      responseStatusCode: res.statusCode,
      response: res.body,
      responseDurationMs: res.durationMs,
      success: decision.success,
      errorKind: decision.success ? null : (res.errorKind ?? (decision.gone ? 'gone' : 'http_status')),
      trigger: claimed.trigger,
      at,
      next: decision.next,
      health: decision.health,
      gone: decision.gone,
      disableAfterMs: this.config.delivery.endpointDisableAfterMs,
      // Failures of operational webhooks never raise further operational webhooks.
      messageEvents: operational ? [] : decision.events.map((type) => webhookEvent(type, messageData)),
      disabledEvent: operational
        ? null
        : webhookEvent('endpoint.disabled', {
            appId: claimed.application.id,
            appUid: claimed.application.uid,
            endpointId: claimed.endpoint.id,
            endpointUid: claimed.endpoint.uid,
            failSince: (claimed.endpoint.failingSince ?? at).toISOString(),
            trigger: 'automatic',
          }),
    };
  }
}

/** The bearer token replaces any custom `Authorization` header the endpoint has. */
function withAuthorization(request: WebhookRequest, authorization: string): WebhookRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() !== 'authorization') headers[name] = value;
  }
  return { ...request, headers: { ...headers, authorization } };
}

function tokenFailure(result: Extract<BearerResult, { kind: 'failed' }>): WebhookResponse {
  return { statusCode: 0, body: result.reason, durationMs: result.durationMs, errorKind: 'oauth_token' };
}

function internalError(body: string): WebhookResponse {
  return { statusCode: 0, body, durationMs: 0, errorKind: 'internal_error' };
}

function webhookEvent(type: OperationalEventType, data: Record<string, unknown>): OutboxWebhook {
  return { id: newId('outbox'), payload: JSON.stringify({ type, data }) };
}
