-- Ordering per key (docs/ordering.md). A message may carry an `orderingKey`, each of its deliveries keeps it
-- with a sequence number drawn at ingest, in accept order. Per endpoint and key, one delivery at a time is the
-- line's `head` (claimable as usual), the ones after it are `waiting`: pending with no due time, so neither
-- the queue nor the reconciler's due walk can reach them. When the head succeeds, is dead-lettered or is
-- canceled it leaves the line and, in the same transaction, the next waiting one becomes the head.
ALTER TABLE "messages" ADD COLUMN "ordering_key" TEXT;

ALTER TABLE "deliveries"
    ADD COLUMN "ordering_key" TEXT,
    ADD COLUMN "ordering_seq" BIGINT,
    -- NULL once the delivery has left its key's line (or never had a key).
    ADD COLUMN "ordering_line" TEXT,
    -- Set when the delivery was dead-lettered while in its key's line, so the key moved on past it.
    ADD COLUMN "ordering_skipped_at" TIMESTAMPTZ(3);

ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_ordering_line_check"
    CHECK ("ordering_line" IN ('head', 'waiting'));

-- Accept order across all keys, only its order within one (endpoint, key) matters. A sequence is not a row:
-- drawing from it locks nothing that other ingests wait for.
CREATE SEQUENCE "deliveries_ordering_seq" AS BIGINT;

-- The line of a key: "is there a head?" and "who is next?" are one index lookup each. Only deliveries still
-- in a line have an entry, so the index stays as small as the ordered backlog.
CREATE INDEX "deliveries_ordering_line_idx" ON "deliveries"("endpoint_id", "ordering_key", "ordering_seq")
    WHERE "ordering_line" IS NOT NULL;

-- Endpoint ownership verification (docs/verification.md). NULL when the endpoint does not need it. While it
-- is not `verified`, the endpoint's deliveries are parked and only the challenge message is sent to it.
ALTER TABLE "endpoints"
    ADD COLUMN "verification" TEXT,
    ADD COLUMN "verification_challenge" TEXT,
    ADD COLUMN "verification_expires_at" TIMESTAMPTZ(3);

ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_verification_check"
    CHECK ("verification" IN ('pending', 'verified', 'failed', 'expired'));
