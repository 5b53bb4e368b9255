// The chain's integrity gate at open: the store's walk (from the verified mark up), then (when asked)
// a heal by rollback to the last intact block, or a refusal that names the first damaged height and
// the recovery command. A whole store's mark moves up to the tip; a damaged one's is dropped.
import type { Genesis } from '../core/index.js';
import { StoreError, RECOVERY_HINT, recordWalk, verifyStore, type ChainStore, type StoreDamage } from '../store/index.js';
import type { Logger } from '../log/index.js';
import { rebuildChainState } from './rebuild.js';

/** The chain refused to open: the store is damaged (`damage` names the first damaged height). */
export class StoreDamagedError extends StoreError {
  constructor(readonly damage: StoreDamage, dataDir: string) {
    super('store-damaged', `store damaged: ${damage.what} (first damaged height ${damage.height}) in ${dataDir}; ${RECOVERY_HINT}`, { height: damage.height });
  }
}

/** `depth` 0 skips the walk. Throws StoreDamagedError when damage remains. */
export async function checkAtOpen(store: ChainStore, genesis: Genesis, log: Logger, depth: number, onDamage: 'refuse' | 'heal'): Promise<void> {
  if (depth <= 0) return;
  let report = await verifyStore(store, depth);
  if (report.damage && onDamage === 'heal') {
    log.error('store damaged: rolling back to the last intact block; peers will send the rest', { firstDamagedHeight: report.damage.height, damage: report.damage.what });
    const healed = await rebuildChainState(store, genesis, log, report.damage.height);
    log.warn('store healed', { height: healed.height, tip: healed.tip, forgotten: healed.forgotten });
    report = await verifyStore(store, depth);
  }
  await recordWalk(store, report);
  if (report.damage) {
    log.error('store damaged', { firstDamagedHeight: report.damage.height, damage: report.damage.what, recovery: RECOVERY_HINT });
    throw new StoreDamagedError(report.damage, store.dataDir);
  }
}
