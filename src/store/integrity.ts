// The integrity walk (Bitcoin Core's -checkblocks): the main chain must be whole from genesis to the
// tip (one entry per height, linked by parent ids), and the newest `depth` blocks must each have an
// index record, block bytes that hash to their id, a header record that hashes to it too (when there
// is one: blocks stored before them have none), an undo record, and decodable accounts. Reports
// the lowest damaged height rather than throwing, so the caller can name it and heal below it.
//
// The verified mark keeps start-up flat in chain length: heights up to the mark were walked whole
// by an earlier start (and any rewrite below it lowers it in the same batch), so a start walks the
// main-chain entries only from the mark, less a small tail, up to the tip. A missing mark, or one
// whose block is no longer main[height], means a walk from genesis. `--check` (depth Infinity)
// ignores the mark, like Core's -checkblocks=0; what it finds damaged drops the mark (recordWalk),
// so the next start walks everything again and heals. Damage a read found at run time is remembered
// by height, and the next start checks in full from there, however deep: a restart heals it.
import { bytesEqual, toHex } from '../crypto/index.js';
import { blockBytesProblem, headerRecordProblem } from './checked-block.js';
import { decodeIndexRecord, decodeUndo } from './records.js';
import type { ChainStore } from './chain-store.js';
import { StoreError } from './store-error.js';

/** Blocks below the tip checked in full at start (the rest of the chain is checked for gaps only). */
export const DEFAULT_CHECK_DEPTH = 288;

/** Heights below a trusted mark walked again anyway: a torn last write must not hide behind it. */
export const MARK_TAIL = 6;

export interface StoreDamage {
  /** Lowest main-chain height found damaged. */
  height: number;
  what: string;
}

export interface IntegrityReport {
  tipHeight: number;
  /** The tip's id (undefined when the tip itself is unreadable). */
  tipId?: Uint8Array;
  /** First height whose main-chain entry was walked: 0, or below the verified mark. */
  walkedFrom: number;
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
  if (!tipId || !tip) return { tipHeight: -1, walkedFrom: 0, checked: 0, damage: damage ?? { height: 0, what: `tip ${tipId ? toHex(tipId) : '(none)'} has no index record` } };
  const tipHeight = tip.height;

  // Whole chain, cheaply: one main entry per height, none missing, the tip's at the top. Below a
  // trusted mark the entries were walked before; the walk starts under the mark and the full depth.
  const suspect = store.damagedHeight;
  const keepFrom = Math.min(depth >= tipHeight ? 0 : tipHeight - depth, suspect ?? Number.MAX_SAFE_INTEGER);
  const mark = Number.isFinite(depth) ? await trustedMark(store, tipHeight) : undefined;
  const walkedFrom = mark === undefined ? 0 : Math.max(0, Math.min(keepFrom, mark - MARK_TAIL));
  let expect = walkedFrom;
  const ids: Uint8Array[] = [];
  await guard(expect, 'main-chain index', async () => {
    for await (const [h, id] of store.mainEntries(walkedFrom)) {
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

  // The newest `depth` blocks in full, a chunk at a time: one multi-get per record kind (a start
  // costs a few reads, not thousands). A chunk whose multi-get fails is read a record at a time, so
  // the damage is still pinned to its height. The previous id links each record to the one below it.
  let checked = 0;
  let rows: ChunkRows | undefined;
  for (let i = 0; i < ids.length; i++) {
    const h = keepFrom + i;
    if (damage && h >= damage.height) break;
    const id = ids[i]!;
    if (i % CHUNK === 0) rows = await prefetch(store, ids.slice(i, i + CHUNK));
    const row = i % CHUNK;
    const rec = await guard(h, `index record of height ${h}`, () => (rows ? Promise.resolve(decodeRow('index', id, rows.index[row], decodeIndexRecord)) : store.getIndex(id)));
    if (!rec) {
      found(h, `index record missing for block ${toHex(id)} at height ${h}`);
      break;
    }
    if (rec.height !== h) found(h, `index record of ${toHex(id)} says height ${rec.height}, main chain says ${h}`);
    if (i > 0 && !bytesEqual(rec.parent, ids[i - 1]!)) found(h, `block at height ${h} does not link to the main-chain block below it`);
    const bytes = rows ? rows.blocks[row] : await guard(h, `block at height ${h}`, () => store.getRawBlockBytes(id));
    if (!bytes) found(h, `block bytes missing for ${toHex(id)} at height ${h}`);
    else {
      const problem = blockBytesProblem(id, bytes);
      if (problem) found(h, `height ${h}: ${problem}`);
    }
    const header = rows ? rows.headers[row] : (await guard(h, `header record of height ${h}`, () => store.getRawMany('headers', [id])))?.[0];
    const headerProblem = header && headerRecordProblem(id, header);
    if (headerProblem) found(h, `height ${h}: ${headerProblem}`);
    if (h > 0) {
      const undo = await guard(h, `undo record of height ${h}`, () => (rows ? Promise.resolve(decodeRow('undo', id, rows.undo[row], decodeUndo)) : store.getUndo(id)));
      if (!undo) found(h, `undo record missing for block ${toHex(id)} at height ${h}`);
      else if (!rows?.accountsWhole) await guard(h, `accounts touched at height ${h}`, () => store.getAccounts(undo.map((u) => u.address), { fromDisk: true }));
    }
    checked++;
  }
  return { tipHeight, tipId, walkedFrom, checked, damage };
}

/** Heights read per multi-get in the full check. */
const CHUNK = 64;

interface ChunkRows {
  index: (Uint8Array | undefined)[];
  blocks: (Uint8Array | undefined)[];
  headers: (Uint8Array | undefined)[];
  undo: (Uint8Array | undefined)[];
  /** Every account the chunk's undo records touch read and decoded in one go. */
  accountsWhole: boolean;
}

/** One multi-get per record kind for `ids`; undefined when LevelDB fails it (read one at a time then). */
async function prefetch(store: ChainStore, ids: Uint8Array[]): Promise<ChunkRows | undefined> {
  let rows: ChunkRows;
  try {
    const [index, blocks, headers, undo] = await Promise.all([store.getRawMany('index', ids), store.getRawMany('blocks', ids), store.getRawMany('headers', ids), store.getRawMany('undo', ids)]);
    rows = { index, blocks, headers, undo, accountsWhole: false };
  } catch (e) {
    if (e instanceof StoreError && e.reason === 'store-damaged') return undefined;
    throw e;
  }
  // Accounts of the whole chunk at once; any trouble, and each height reads its own (to name it).
  const addresses: Uint8Array[] = [];
  for (const b of rows.undo) {
    if (!b) continue;
    try {
      for (const u of decodeUndo(b)) addresses.push(u.address);
    } catch {
      return rows;
    }
  }
  try {
    await store.getAccounts(addresses, { fromDisk: true });
    rows.accountsWhole = true;
  } catch (e) {
    if (!(e instanceof StoreError && e.reason === 'store-damaged')) throw e;
  }
  return rows;
}

/** A prefetched record decoded the way the store's own reads do: one that does not decode is damage. */
function decodeRow<T>(name: string, key: Uint8Array, b: Uint8Array | undefined, decode: (b: Uint8Array) => T): T | undefined {
  if (!b) return undefined;
  try {
    return decode(b);
  } catch (e) {
    throw new StoreError('store-damaged', `store damaged: ${name} record ${toHex(key)} does not decode (${(e as Error).message})`);
  }
}

/** The mark's height when it can be trusted: at or below the tip, and its block still main there. */
async function trustedMark(store: ChainStore, tipHeight: number): Promise<number | undefined> {
  const mark = store.verifiedMark;
  if (!mark || mark.height > tipHeight) return undefined;
  const id = await store.getMainId(mark.height).catch(() => undefined);
  return id && bytesEqual(id, mark.id) ? mark.height : undefined;
}

/**
 * After a walk: a whole store is verified through its tip (the mark moves up, damage reads had
 * found is settled); a damaged one loses its mark, so the next start walks from genesis. Best
 * effort: a failed write only costs a longer walk next time (the store's health hears about the
 * failure itself). True when recorded.
 */
export async function recordWalk(store: ChainStore, report: IntegrityReport): Promise<boolean> {
  const next = !report.damage && report.tipId ? { height: report.tipHeight, id: report.tipId } : undefined;
  const cur = store.verifiedMark;
  try {
    if (next && store.damagedHeight !== undefined) await store.clearDamagedHeight();
    if (next && cur && cur.height === next.height && bytesEqual(cur.id, next.id)) return true;
    if (!next && !cur) return true;
    await store.setVerifiedMark(next);
    return true;
  } catch (e) {
    if (e instanceof StoreError) return false;
    throw e;
  }
}
