// The statements that read and move ordering lines (docs/ordering.md), apart from their callers in
// delivery.repository.ts and ordering-locks.ts so that scripts/bench/ordering-sql.mjs measures the very text
// the engine runs. No imports: the script transpiles this file alone.

/**
 * The advisory-lock class of ordering lines: the two-integer lock space, which PostgreSQL keeps apart from the
 * one-integer space of `SqlService.exclusively`.
 */
const ORDERING_LOCK_CLASS = 0x4f52; // "OR"

/** Takes the transaction-scoped advisory locks of lines ($1 endpoint ids, $2 keys) in a fixed order. */
export const LOCK_LINES = `SELECT pg_advisory_xact_lock(${ORDERING_LOCK_CLASS}, h)
       FROM (SELECT DISTINCT hashtext(e || '/' || k) AS h FROM unnest($1::text[], $2::text[]) AS u(e, k) ORDER BY h) s`;

/**
 * Moves ordering lines on (docs/ordering.md): in each line given that has no live head (pending or sending),
 * the first waiting delivery in accept order becomes the head and is due now. A head that ended without
 * leaving the line (nothing does today; a guard) leaves it here. Runs under the lines' locks.
 *
 * Each line costs a few index lookups, whatever its length: the head checks go through
 * `deliveries_ordering_head_idx` (one live entry per line), the next delivery is the first entry of the line in
 * `deliveries_ordering_waiting_idx`.
 */
export const ADVANCE_LINES = `WITH lines AS (
   SELECT DISTINCT e AS endpoint_id, k AS ordering_key FROM unnest($1::text[], $2::text[]) AS u(e, k)
 ), ended AS (
   UPDATE deliveries h SET ordering_line = NULL, updated_at = now()
     FROM lines l
    WHERE h.endpoint_id = l.endpoint_id AND h.ordering_key = l.ordering_key AND h.ordering_line = 'head'
      AND h.status NOT IN ('pending', 'sending')
 ), next AS (
   SELECT w.id
     FROM lines l
     CROSS JOIN LATERAL (
       SELECT n.id FROM deliveries n
        WHERE n.endpoint_id = l.endpoint_id AND n.ordering_key = l.ordering_key
          AND n.ordering_line = 'waiting' AND n.status = 'pending'
        ORDER BY n.ordering_seq
        LIMIT 1) w
    WHERE NOT EXISTS (SELECT 1 FROM deliveries h
                       WHERE h.endpoint_id = l.endpoint_id AND h.ordering_key = l.ordering_key
                         AND h.ordering_line = 'head' AND h.status IN ('pending', 'sending'))
 )
 UPDATE deliveries d
    SET ordering_line = 'head', next_attempt_at = GREATEST(now(), COALESCE(m.deliver_at, now())),
        fence = d.fence + 1, updated_at = now()
   FROM next n, messages m
  WHERE d.id = n.id AND m.id = d.message_id
 RETURNING d.id, d.fence, d.tenant_id AS "tenantId", d.application_id AS "applicationId",
           d.endpoint_id AS "endpointId", d.next_attempt_at AS "dueAt", d.ordering_key AS "orderingKey"`;

/**
 * Lines ($1 grace in seconds, $2 limit) whose first waiting delivery has not changed for the grace and that
 * have no live head. It skips from line to line through `deliveries_ordering_waiting_idx` (a recursive
 * "loose index scan": one descent per line to its first waiting delivery, never its other entries), then
 * checks each line's head in `deliveries_ordering_head_idx`: a few buffers per line, not per waiting delivery.
 */
export const STALLED_LINES = `WITH RECURSIVE firsts AS (
   (SELECT endpoint_id, ordering_key, status, updated_at FROM deliveries
     WHERE ordering_line = 'waiting'
     ORDER BY endpoint_id, ordering_key, ordering_seq LIMIT 1)
   UNION ALL
   SELECT n.endpoint_id, n.ordering_key, n.status, n.updated_at
     FROM firsts f
     CROSS JOIN LATERAL (
       SELECT endpoint_id, ordering_key, status, updated_at FROM deliveries
        WHERE ordering_line = 'waiting' AND (endpoint_id, ordering_key) > (f.endpoint_id, f.ordering_key)
        ORDER BY endpoint_id, ordering_key, ordering_seq LIMIT 1) n
 )
 SELECT f.endpoint_id AS "endpointId", f.ordering_key AS key FROM firsts f
  WHERE f.status = 'pending' AND f.updated_at <= now() - make_interval(secs => $1)
    AND NOT EXISTS (SELECT 1 FROM deliveries h
                     WHERE h.endpoint_id = f.endpoint_id AND h.ordering_key = f.ordering_key
                       AND h.ordering_line = 'head' AND h.status IN ('pending', 'sending'))
  LIMIT $2`;
