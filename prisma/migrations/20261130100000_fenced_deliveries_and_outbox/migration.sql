-- Fencing. Every claim of a delivery and every rescheduling of it (retry, resend, recover, resume) bumps
-- `fence`, a queued job carries the fence it was made for and a claim hands the new value to its worker as a
-- token. A job whose fence is stale claims nothing, and a worker whose token is stale (its lease expired and
-- another worker re-claimed, or a resend started a new schedule) records its attempt but moves nothing.
ALTER TABLE "deliveries"
    ADD COLUMN "fence" INTEGER NOT NULL DEFAULT 0,
    -- Attempts made in the current retry schedule, a resend or recover starts a new schedule at 0 while
    -- `attempt_count` keeps counting every attempt ever made.
    ADD COLUMN "retry_count" INTEGER NOT NULL DEFAULT 0,
    -- Claims since the last recorded attempt: a delivery that keeps being claimed without an attempt row
    -- (a crash or an internal error between claim and record) is dead-lettered instead of looping.
    ADD COLUMN "open_claims" INTEGER NOT NULL DEFAULT 0,
    -- What starts the next attempt: the schedule, or a person (resend, recover, replay).
    ADD COLUMN "next_trigger" TEXT NOT NULL DEFAULT 'scheduled';

UPDATE "deliveries" SET "retry_count" = "attempt_count";

ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_next_trigger_check"
    CHECK ("next_trigger" IN ('scheduled', 'manual'));

-- The reconciler pages through due deliveries in (next_attempt_at, id) order, and finds expired leases.
DROP INDEX "deliveries_status_next_attempt_at_idx";
CREATE INDEX "deliveries_status_next_attempt_at_id_idx" ON "deliveries"("status", "next_attempt_at", "id");
CREATE INDEX "deliveries_status_lease_until_idx" ON "deliveries"("status", "lease_until");

-- Side effects written in the same transaction as the state change that causes them (operational webhooks,
-- tenant purges), carried out by the reconciler: none is lost to a crash between the change and the effect.
CREATE TABLE "outbox_events" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    -- The exact JSON text of the effect (an operational webhook's body is sent byte for byte).
    "payload" TEXT NOT NULL DEFAULT '{}',
    -- Not before this time: set ahead while a worker holds the row, and on back-off after a failure.
    "available_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "outbox_events_kind_check" CHECK ("kind" IN ('operational_webhook', 'tenant_purge'))
);

CREATE INDEX "outbox_events_available_at_idx" ON "outbox_events"("available_at");

-- A tenant deleted before this version has no purge row yet.
INSERT INTO "outbox_events" ("id", "tenant_id", "kind")
SELECT 'obx_' || "id", "id", 'tenant_purge' FROM "tenants" WHERE "deleted_at" IS NOT NULL;
