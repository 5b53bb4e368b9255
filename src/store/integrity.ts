// The integrity walk (Bitcoin Core's -checkblocks): the main chain must be whole from genesis to the
// tip (one entry per height, linked by parent ids), and the newest `depth` blocks must each have an
// index record, block bytes that hash to their id, an undo record, and decodable accounts. Reports
// the lowest damaged height rather than throwing, so the caller can name it and heal below it.
import { bytesEqual, toHex } from '../crypto/index.js';
import { blockBytesProblem } from './checked-block.js';
import { StoreError, type ChainStore } from './chain-store.js';

/** Blocks below the tip checked in full at start (the rest of the chain is checked for gaps only). */
export const DEFAULT_CHECK_DEPTH = 288;

export interface StoreDamage {
  /** Lowest main-chain height found damaged. */
  height: number;
  what: string;
}

export interface IntegrityReport {
  tipHeight: number;
  /** Heights checked in full (records, bytes, undo, accounts). */
  checked: number;
  /** Undefined when nothing is damaged. */
  damage?: StoreDamage;
}

/** `depth`: heights below the tip checked in full; `Infinity` checks the whole chain (`--check`). */
export async function verifyStore(store: ChainStore, depth: number = DEFAULT_CHECK_DEPTH): Promise<IntegrityReport> {
  let damage: StoreDamage | undefined;
  const found = (height: number, what: string): void => {
    if (!damage || height < damage.height) damage = { height, what };
  };
  const guard = async <T>(height: number, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreError && e.reason === 'store-damaged') {
        found(height, `${what}: ${e.message.split('; ')[0]}`);
        return undefined;
      }
      throw e;
    }
  };

  const tipId = await guard(Number.MAX_SAFE_INTEGER, 'tip', () => store.getTipId().catch((e: unknown) => {
    throw e instanceof StoreError ? new StoreError('store-damaged', e.message) : e;
  }));
  const tip = tipId && (await guard(Number.MAX_SAFE_INTEGER, 'tip index record', () => store.getIndex(tipId)));
  if (!tipId || !tip) return { tipHeight: -1, checked: 0, damage: damage ?? { height: 0, what: `tip ${tipId ? toHex(tipId) : '(none)'} has no index record` } };
  const tipHeight = tip.height;

  // Whole chain, cheaply: one main entry per height, none missing, the tip's at the top.
  let expect = 0;
  const ids: Uint8Array[] = [];
  const keepFrom = depth >= tipHeight ? 0 : tipHeight - depth;
  await guard(expect, 'main-chain index', async () => {
    for await (const [h, id] of store.mainEntries()) {
      if (h > tipHeight) break;
      if (h !== expect) {
        found(expect, `main-chain entries missing for heights ${expect}-${h - 1}`);
        return;
      }
      if (id.length !== 32) {
        found(h, `main-chain entry at height ${h} is ${id.length} bytes`);
        return;
      }
      if (h >= keepFrom) ids.push(id);
      expect = h + 1;
    }
    if (expect <= tipHeight) found(expect, `main-chain entries missing for heights ${expect}-${tipHeight}`);
  });
  if (ids.length && expect > tipHeight && !bytesEqual(ids[ids.length - 1]!, tipId)) found(tipHeight, `main-chain entry at the tip height ${tipHeight} is not the tip`);

  // The newest `depth` blocks in full. The previous id links each record to the one below it.
  let checked = 0;
  for (let i = 0; i < ids.length; i++) {
    const h = keepFrom + i;
    if (damage && h >= damage.height) break;
    const id = ids[i]!;
    const rec = await guard(h, `index record of height ${h}`, () => store.getIndex(id));
    if (!rec) {
      found(h, `index record missing for block ${toHex(id)} at height ${h}`);
      break;
    }
    if (rec.height !== h) found(h, `index record of ${toHex(id)} says height ${rec.height}, main chain says ${h}`);
    if (i > 0 && !bytesEqual(rec.parent, ids[i - 1]!)) found(h, `block at height ${h} does not link to the main-chain block below it`);
    const bytes = await guard(h, `block at height ${h}`, () => store.getRawBlockBytes(id));
    if (!bytes) found(h, `block bytes missing for ${toHex(id)} at height ${h}`);
    else {
      const problem = blockBytesProblem(id, bytes);
      if (problem) found(h, `height ${h}: ${problem}`);
    }
    if (h > 0) {
      const undo = await guard(h, `undo record of height ${h}`, () => store.getUndo(id));
      if (!undo) found(h, `undo record missing for block ${toHex(id)} at height ${h}`);
      else await guard(h, `accounts touched at height ${h}`, () => store.getAccounts(undo.map((u) => u.address)));
    }
    checked++;
  }
  return { tipHeight, checked, damage };
}
