-- Background tasks (Svix's /background-task): recover, replay-missing and dead-letter redrive run in the worker,
-- step by step, with their progress and resume point here. The outbox row of kind `background_task` written in
-- the same transaction is what gets a worker to run it, and to run it again after a crash.
-- CreateTable
CREATE TABLE "background_tasks" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "params" JSONB NOT NULL DEFAULT '{}',
    "data" JSONB NOT NULL DEFAULT '{}',
    "cursor" TEXT,
    "dedupe_key" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "background_tasks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "background_tasks_tenant_id_id_idx" ON "background_tasks"("tenant_id", "id");

-- A second identical submit while the first runs finds the first (Prisma cannot declare partial indexes).
CREATE UNIQUE INDEX "background_tasks_running_dedupe_key" ON "background_tasks"("tenant_id", "dedupe_key")
    WHERE "status" = 'running' AND "dedupe_key" IS NOT NULL;

-- Dead letters across a tenant's applications, newest first: the dashboard's list and the redrive's walk.
CREATE INDEX "deliveries_dead_letters_idx" ON "deliveries"("tenant_id", "id") WHERE "status" = 'fail';

-- The outbox also carries background tasks.
ALTER TABLE "outbox_events" DROP CONSTRAINT "outbox_events_kind_check";
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_kind_check"
    CHECK ("kind" IN ('operational_webhook', 'tenant_purge', 'background_task'));

ALTER TABLE "background_tasks" ADD CONSTRAINT "background_tasks_status_check"
    CHECK ("status" IN ('running', 'finished', 'failed'));
