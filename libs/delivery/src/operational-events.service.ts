import { Injectable } from '@nestjs/common';
import { ApplicationRepository } from '@app/db';
import type { OperationalEventType } from '@app/domain';
import { MessageIngestService } from './message-ingest.service';

/**
 * Notifications to the tenant itself (Svix's operational webhooks). They are raised as outbox rows in the
 * same write as the outcome that causes them, and turned here into ordinary messages of the tenant's hidden
 * operational application, so they are fanned out, signed, retried and logged exactly like any other webhook.
 * The outbox row's id is the message's eventId: turning the same row into a message twice (a crash between
 * the message and the row's removal) is refused as a duplicate, so each event is sent once.
 */
@Injectable()
export class OperationalEventsService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly ingest: MessageIngestService,
  ) {}

  /** `body` is the exact JSON text `{type, data}`. Resolves once the message is stored (or was before). */
  async send(tenantId: string, outboxId: string, body: string): Promise<void> {
    const app = await this.applications.findOperational(tenantId);
    // A tenant with no operational endpoint has nowhere to send it: nothing to do.
    if (!app) return;
    const { type } = JSON.parse(body) as { type: OperationalEventType };
    await this.ingest.sendBatch(tenantId, app.id, [{ eventType: type, payload: body, eventId: outboxId }]);
  }
}
