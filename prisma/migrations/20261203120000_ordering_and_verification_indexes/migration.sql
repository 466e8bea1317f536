-- Ordering lines (docs/ordering.md): one partial index per role instead of one for both. With a single index
-- over every delivery in line, "is there a live head?" had to read each waiting entry of the key's line (and
-- the dead entries its updates leave) to find the head among them, and "which lines have no head?" walked
-- every waiting delivery (scripts/bench/ordering-sql.mjs, figures in docs/benchmarks.md#ordering-cost).
--
-- A line's head (at most one live, plus the dead versions of its claim and record updates): the head checks of
-- the release, the ingest and the reconciler are one short lookup each.
CREATE INDEX "deliveries_ordering_head_idx" ON "deliveries"("endpoint_id", "ordering_key")
    WHERE "ordering_line" = 'head';

-- A line's waiting deliveries in accept order: "who is next?" is its first entry, and the reconciler skips
-- from one line to the next through it.
CREATE INDEX "deliveries_ordering_waiting_idx" ON "deliveries"("endpoint_id", "ordering_key", "ordering_seq")
    WHERE "ordering_line" = 'waiting';

DROP INDEX "deliveries_ordering_line_idx";

-- Endpoint verification (docs/verification.md#crashes): the reconciler looks, every tick, for endpoints still
-- pending whose challenge a crash left without a next step. Only pending endpoints have an entry.
CREATE INDEX "endpoints_verification_pending_idx" ON "endpoints"("updated_at")
    WHERE "verification" = 'pending';
