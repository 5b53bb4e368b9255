// The store's refusals: a typed error with a stable reason, the recovery hint a damaged store prints,
// and how LevelDB's own errors are recognised and described.
import { KadchainError } from '../core/index.js';

export type StoreReason =
  | 'data-dir-in-use' | 'wrong-genesis' | 'newer-schema' | 'store-corrupt' | 'store-closed'
  /** A record is missing, does not decode or does not hash to its key. */
  | 'store-damaged'
  /** A write failed for lack of space (or the free-space floor was reached). */
  | 'disk-full'
  /** A write failed for another I/O reason. */
  | 'io-error';

/** What `kadchain node` prints as the way out of a damaged store. */
export const RECOVERY_HINT = 'run "kadchain node --check" to see the damage and "kadchain node --reindex" (same --data-dir) to rebuild from the stored blocks; a re-sync from peers fetches the rest';

export class StoreError extends KadchainError<StoreReason> {}

/** LevelDB reports damaged files as LEVEL_CORRUPTION or a "Corruption:" message. */
export function isCorruption(e: unknown): boolean {
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    const c = cur as { code?: unknown; message?: unknown };
    if (c.code === 'LEVEL_CORRUPTION' || /corruption|checksum mismatch|bad block/i.test(String(c.message ?? ''))) return true;
  }
  return false;
}

export function causeText(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, i = 0; cur && i < 3; cur = (cur as { cause?: unknown }).cause, i++) parts.push(String((cur as { message?: unknown }).message ?? cur));
  return [...new Set(parts)].join(': ');
}

/** A failed read or scan: damage inside LevelDB (a corrupt table or log) is `store-damaged`; anything else as it is. */
export function readFailure(what: string, e: unknown): unknown {
  return isCorruption(e) ? new StoreError('store-damaged', `store damaged: reading ${what} failed (${causeText(e)}); ${RECOVERY_HINT}`) : e;
}
