// Offline store maintenance behind `kadchain node --check` and `--reindex`: open the data dir's
// store alone (no network), walk or rebuild it, close it. The node is not running meanwhile.
import { join } from 'node:path';
import { rebuildChainState, type RebuildReport } from '../chain/index.js';
import { ChainStore, recordWalk, verifyStore, type GenesisRecordMode, type IntegrityReport } from '../store/index.js';
import type { Logger } from '../log/index.js';
import { defaultGenesisPath, loadGenesis } from './node.js';

async function withStore<T>(dataDir: string, genesisPath: string | undefined, fn: (store: ChainStore, genesis: ReturnType<typeof loadGenesis>) => Promise<T>, genesisRecord: GenesisRecordMode = 'check'): Promise<T> {
  const genesis = loadGenesis(genesisPath ?? defaultGenesisPath());
  const store = await ChainStore.open({ dataDir: join(dataDir, 'chain'), genesisId: genesis.id, genesisRecord });
  try {
    return await fn(store, genesis);
  } finally {
    await store.close();
  }
}

/**
 * Walks the whole main chain in full (every block, index entry, undo record and account touched),
 * whatever the verified mark says; damage found drops the mark, so the next start walks it all and heals.
 */
export function checkStore(dataDir: string, genesisPath?: string): Promise<IntegrityReport> {
  return withStore(dataDir, genesisPath, async (store) => {
    const report = await verifyStore(store, Infinity);
    await recordWalk(store, report);
    return report;
  });
}

/**
 * Rebuilds index and state from the stored blocks; what is damaged or above the damage is forgotten.
 * A damaged genesis record is rewritten when the dir's height 0 is the genesis in use.
 */
export function reindexStore(dataDir: string, log: Logger, genesisPath?: string): Promise<RebuildReport> {
  return withStore(dataDir, genesisPath, (store, genesis) => rebuildChainState(store, genesis, log.child({ module: 'reindex' })), 'repair');
}
