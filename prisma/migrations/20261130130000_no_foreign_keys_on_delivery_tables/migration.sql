-- The delivery tables take a row per message and endpoint and per attempt. A foreign key costs every insert
-- a check of its parent row (a FOR KEY SHARE lock): on an endpoint's row, every delivery of every message to
-- that endpoint took that lock, a hot row under load. Deletes that the keys cascaded are explicit instead
-- (endpoint and application delete, tenant purge). Prisma still knows the relations, for reads (see ADR 0005).
ALTER TABLE "delivery_attempts" DROP CONSTRAINT "delivery_attempts_delivery_id_fkey";
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_endpoint_id_fkey";
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_message_id_fkey";

-- The reconciler's two walks only ever look at pending and sending rows: partial indexes hold just those, so
-- the rows that are done (nearly all of them) add no entries and every claim and record inserts into one of
-- them at most, not both.
DROP INDEX "deliveries_status_next_attempt_at_id_idx";
DROP INDEX "deliveries_status_lease_until_idx";
CREATE INDEX "deliveries_due_idx" ON "deliveries"("next_attempt_at", "id") WHERE "status" = 'pending';
CREATE INDEX "deliveries_lease_idx" ON "deliveries"("lease_until") WHERE "status" = 'sending';
