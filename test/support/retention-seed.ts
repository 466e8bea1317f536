import { PrismaService } from '@app/db';
import { ulid } from 'ulid';
import { ID_PREFIXES, IdKind } from '@app/domain';

const DAY = 86_400_000;

/** An id made at `ms` (newId is monotonic: after a newer id it never goes back in time). */
function idAt(kind: IdKind, ms: number): string {
  return `${ID_PREFIXES[kind]}_${ulid(ms)}`;
}

/** Old rows for the retention tests, written with old ids and times as if they had been made back then. */
export interface Place {
  tenantId: string;
  appId: string;
  endpointId: string;
}

export interface Seeded {
  msgId: string;
  deliveryId: string;
  attemptIds: string[];
}

/**
 * A message made `ageDays` ago (its id says so too, as a real one would), one delivery to the endpoint in
 * `status`, last moved `movedDaysAgo` ago, and `attempts` attempt rows, in one transaction as ingest writes
 * them: a retention tick in between must not see the message without its delivery.
 */
export async function seedMessage(
  prisma: PrismaService,
  place: Place,
  { ageDays, status = 'success', movedDaysAgo = ageDays, attempts = 2 }: SeedOptions,
): Promise<Seeded> {
  const at = Date.now() - ageDays * DAY;
  const msgId = idAt('message', at);
  const deliveryId = idAt('delivery', at);
  const created = new Date(at);
  const moved = new Date(Date.now() - movedDaysAgo * DAY);
  const statements = [];
  statements.push(
    prisma.$executeRawUnsafe(
      `INSERT INTO messages (id, tenant_id, application_id, event_type, payload, created_at)
     VALUES ($1, $2, $3, 'invoice.paid', '{"old":true}', $4)`,
      msgId,
      place.tenantId,
      place.appId,
      created,
    ),
  );
  statements.push(
    prisma.$executeRawUnsafe(
      `INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                             next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::delivery_status, $7, $8, $9, $10)`,
      deliveryId,
      place.tenantId,
      place.appId,
      msgId,
      place.endpointId,
      status,
      attempts,
      status === 'pending' ? new Date(Date.now() + DAY) : null,
      created,
      moved,
    ),
  );
  const attemptIds: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const attemptId = idAt('attempt', at + i);
    attemptIds.push(attemptId);
    statements.push(
      prisma.$executeRawUnsafe(
        `INSERT INTO delivery_attempts (id, tenant_id, delivery_id, message_id, endpoint_id, url,
                                      response_status_code, response, response_duration_ms, status, trigger,
                                      created_at)
       VALUES ($1, $2, $3, $4, $5, 'http://127.0.0.1:9/', 500, 'no', 3, 'fail', 'scheduled', $6)`,
        attemptId,
        place.tenantId,
        deliveryId,
        msgId,
        place.endpointId,
        new Date(at + i),
      ),
    );
  }
  await prisma.$transaction(statements);
  return { msgId, deliveryId, attemptIds };
}

export interface SeedOptions {
  ageDays: number;
  status?: 'pending' | 'sending' | 'success' | 'fail' | 'canceled';
  movedDaysAgo?: number;
  attempts?: number;
}

/** What is left of a seeded message: its own row, its delivery and its attempts. */
export async function remaining(prisma: PrismaService, seeded: Seeded) {
  return {
    message: await prisma.message.count({ where: { id: seeded.msgId } }),
    deliveries: await prisma.delivery.count({ where: { id: seeded.deliveryId } }),
    attempts: await prisma.deliveryAttempt.count({ where: { id: { in: seeded.attemptIds } } }),
  };
}

export const GONE = { message: 0, deliveries: 0, attempts: 0 };
