import { LOCK_LINES } from './ordering-statements';
import type { SqlTransaction } from './sql.service';

/** An ordering key's line: one per endpoint and key (docs/ordering.md). */
export interface OrderingLine {
  endpointId: string;
  key: string;
}

/**
 * Takes the transaction-scoped locks of these lines, in a fixed order (so two transactions cannot deadlock
 * on them), before the statements that read or move the lines. Whatever runs after it in the transaction
 * sees every change to those lines committed before, and none is made until it commits: an ingest and the
 * record that ends a line's head cannot miss each other. One lock per line, never on a shared row; lines that
 * share a hash only wait for each other.
 */
export async function lockOrderingKeys(tx: SqlTransaction, lines: readonly OrderingLine[]): Promise<void> {
  if (lines.length === 0) return;
  await tx.query(LOCK_LINES, [lines.map((l) => l.endpointId), lines.map((l) => l.key)]);
}
