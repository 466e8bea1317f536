import { Injectable, Logger } from '@nestjs/common';
import { ApplicationRepository } from '@app/db';
import { MessageIngestService } from './message-ingest.service';

/** The operational webhooks Hookrelay sends: the only names an operational endpoint may filter on. */
export const OPERATIONAL_EVENT_TYPES = [
  'endpoint.disabled',
  'message.attempt.exhausted',
  'message.attempt.failing',
  'message.attempt.recovered',
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

/**
 * Notifications to the tenant itself (Svix's operational webhooks). They are ordinary messages of the
 * tenant's hidden operational application, so they are fanned out, signed, retried and logged exactly
 * like any other webhook. Failures of those deliveries never raise further operational events.
 */
@Injectable()
export class OperationalEventsService {
  private readonly logger = new Logger(OperationalEventsService.name);

  constructor(
    private readonly applications: ApplicationRepository,
    private readonly ingest: MessageIngestService,
  ) {}

  async emit(tenantId: string, type: OperationalEventType, data: Record<string, unknown>): Promise<void> {
    const app = await this.applications.findOperational(tenantId);
    if (!app) return;
    try {
      await this.ingest.send(tenantId, app.id, { eventType: type, payload: JSON.stringify({ type, data }) });
    } catch (error) {
      // The delivery outcome that triggered this is already recorded; losing a notification is logged.
      this.logger.error({ err: error, tenantId, type }, 'could not record an operational webhook');
    }
  }
}
