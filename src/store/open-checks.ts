// What a data dir is, checked at open before anything reads it as a chain: LevelDB's own refusals
// (the lock, damaged files) as typed errors, the schema version, and the genesis record. A genesis
// record that the dir's own height 0 contradicts is damage, not another chain. `kadchain node
// --reindex` opens with `genesisRecord: 'repair'`: when height 0 names the genesis in use, the
// damaged record is let through (the rebuild rewrites it); every other refusal stands.
import { toHex, bytesEqual } from '../crypto/index.js';
import { StoreError, RECOVERY_HINT, isCorruption, causeText } from './store-error.js';
import { META_GENESIS, META_SCHEMA, SCHEMA_VERSION } from './layout.js';

type Bytes = Uint8Array;

/** 'check': a damaged genesis record is refused; 'repair': tolerated when height 0 names the genesis in use. */
export type GenesisRecordMode = 'check' | 'repair';

export type DirIdentity =
  | { kind: 'new' }
  /** `genesisRecordDamaged`: only in 'repair' mode; the caller must rewrite the record. */
  | { kind: 'chain'; schema: number; genesisRecordDamaged: boolean };

export interface IdentityReads {
  meta(key: Bytes): Promise<Bytes | undefined>;
  /** The main-chain id at height 0; undefined when missing or unreadable. */
  mainAtZero(): Promise<Bytes | undefined>;
}

/** LevelDB's refusal to open, as the store's typed error (or the error itself when it is neither). */
export function levelOpenError(e: unknown, dataDir: string): unknown {
  const cause = (e as { cause?: { code?: string } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    return new StoreError('data-dir-in-use', `data dir in use: ${dataDir} is locked by another kadchain process`, { dataDir });
  }
  if (isCorruption(e)) {
    return new StoreError('store-damaged', `store damaged: LevelDB cannot open ${dataDir} (${causeText(e)}); move that folder away and re-sync from peers`, { dataDir });
  }
  return e;
}

export async function readIdentity(dataDir: string, genesisId: Bytes, reads: IdentityReads, mode: GenesisRecordMode = 'check'): Promise<DirIdentity> {
  const schemaBytes = await reads.meta(META_SCHEMA);
  if (!schemaBytes) return { kind: 'new' };
  const schema = new DataView(schemaBytes.buffer, schemaBytes.byteOffset).getUint32(0);
  if (schema > SCHEMA_VERSION) {
    throw new StoreError('newer-schema', `data dir ${dataDir} was written by a newer kadchain (schema ${schema}, this build reads ${SCHEMA_VERSION})`);
  }
  const g = await reads.meta(META_GENESIS);
  if (g && bytesEqual(g, genesisId)) return { kind: 'chain', schema, genesisRecordDamaged: false };
  // Another chain's dir names the same genesis at height 0: a genesis record that the dir's own
  // height 0 contradicts is damage (one or both records), not another chain.
  const main0 = await reads.mainAtZero();
  if (main0 && !(g && bytesEqual(main0, g))) {
    const ours = bytesEqual(main0, genesisId);
    if (ours && mode === 'repair') return { kind: 'chain', schema, genesisRecordDamaged: true };
    const way = ours
      ? `its height 0 is the genesis in use: ${RECOVERY_HINT}`
      : 'neither names the genesis in use, so kadchain node --reindex cannot rebuild it: move that folder away and re-sync from peers';
    throw new StoreError('store-damaged', `store damaged: the genesis record of ${dataDir} (${g ? toHex(g) : 'missing'}) contradicts its height 0 (${toHex(main0)}); ${way}`, { dataDir });
  }
  throw new StoreError('wrong-genesis', `data dir ${dataDir} belongs to another chain (genesis ${g ? toHex(g) : 'missing'}, expected ${toHex(genesisId)}); use another --data-dir`);
}
