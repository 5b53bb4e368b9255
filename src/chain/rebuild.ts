// Rebuilding chain state from the stored blocks (Core's -reindex-chainstate): keeps the longest
// whole stretch of the old main chain from genesis (every block present, hashing to its id, linked
// to the one below, below `stopBelow`), wipes accounts, undo, tx and main records, and replays those
// blocks from genesis, one atomic batch per block (a crash leaves a shorter, consistent chain), each
// with its header record written again from its checked bytes (a dir from before them gets them).
// Blocks of the old main chain above the kept stretch are forgotten, so peers send them again.
// A damaged genesis record (the store lets it through only when opened for this rebuild, and only
// when height 0 names the genesis in use) is rewritten from the genesis in use first.
import { decodeBlock, txId, isCodedError, type Genesis } from '../core/index.js';
import { toHex, fromHex, bytesEqual } from '../crypto/index.js';
import { StoreError, blockBytesProblem, type ChainStore } from '../store/index.js';
import type { Logger } from '../log/index.js';
import { applyBlockToState, touchedAddresses } from './block-rules.js';
import { putGenesisRecords } from './genesis-records.js';

export interface RebuildReport {
  /** Height of the rebuilt tip. */
  height: number;
  tip: string;
  /** Old main-chain blocks forgotten (damaged, or above the damage): a re-sync fetches them. */
  forgotten: number;
  /** Why the kept stretch ends where it does (undefined when the whole old chain was kept). */
  stoppedAt?: string;
  /** The genesis record was damaged and has been rewritten from the genesis in use. */
  genesisRecordRewritten: boolean;
}

const PROGRESS_EVERY = 1000;

export async function rebuildChainState(store: ChainStore, genesis: Genesis, log: Logger, stopBelow = Number.MAX_SAFE_INTEGER): Promise<RebuildReport> {
  // 1. The whole stretch: ids only (32 bytes a height), checked as it goes.
  const keep: Uint8Array[] = [];
  const forget: Uint8Array[] = [];
  let stoppedAt: string | undefined;
  for await (const [h, id] of store.mainEntries()) {
    if (stoppedAt) {
      if (id.length === 32) forget.push(id);
      continue;
    }
    const why = h !== keep.length ? `main-chain entries missing from height ${keep.length}`
      : h >= stopBelow ? `damage at height ${stopBelow}`
      : await blockProblem(store, h, id, keep[h - 1], genesis);
    if (why) {
      stoppedAt = why;
      if (id.length === 32 && !bytesEqual(id, genesis.id)) forget.push(id);
    } else keep.push(id);
  }
  if (!keep.length) throw new StoreError('store-damaged', `cannot rebuild ${store.dataDir}: the genesis block itself is damaged (${stoppedAt ?? 'no main chain'}); move the data dir away and re-sync`);

  const genesisRecordRewritten = store.genesisRecordDamaged;
  if (genesisRecordRewritten) {
    await store.rewriteGenesisRecord();
    log.warn('damaged genesis record rewritten from the genesis in use', { genesis: genesis.idHex });
  }

  // 2. Forget what will be fetched again, then wipe the derived records.
  // The tx index goes back to genesis first: its rows are wiped below and written again per block.
  const drop = store.batch().clearReorgTarget().setTxIndexTip({ height: 0, id: genesis.id });
  for (const id of forget) drop.delBlock(id);
  await drop.write();
  for (const name of ['accounts', 'undo', 'txs', 'main'] as const) await store.clearSublevel(name);

  // 3. Genesis, then every kept block, one batch each.
  await putGenesisRecords(store.batch(), genesis, false).write();

  let height = 0;
  for (let h = 1; h < keep.length; h++) {
    const id = keep[h]!;
    const bytes = (await store.getBlockBytes(id))!;
    const block = decodeBlock(bytes);
    const keys = touchedAddresses(block);
    const vals = await store.getAccounts(keys.map((k) => fromHex(k)));
    const accounts = new Map(keys.map((k, i) => [k, vals[i] ?? { balance: 0n, nonce: 0n }]));
    let change;
    try {
      change = applyBlockToState(block, (k) => accounts.get(k)!, genesis.params);
    } catch (e) {
      if (!isCodedError(e)) throw e;
      // A stored block that breaks a state rule cannot have been on a valid main chain: stop here.
      stoppedAt = `block at height ${h} breaks ${e.reason}`;
      const rest = store.batch();
      for (const later of keep.slice(h)) rest.delBlock(later);
      await rest.write();
      break;
    }
    const batch = store.batch();
    batch.putUndo(id, [...change.before].map(([k, prior]) => ({ address: fromHex(k), prior }))).putMain(h, id).putHeader(id, bytes);
    block.txs.forEach((tx, i) => batch.putTx(txId(tx), { blockId: id, index: i }));
    for (const [k, acct] of change.after) batch.putAccount(fromHex(k), acct);
    // A rebuild is offline: the tx index is written with each block (its tip with it).
    await batch.setTip(id).setTxIndexTip({ height: h, id }).write();
    height = h;
    if (h % PROGRESS_EVERY === 0) log.info('rebuilding chain state', { height: h, of: keep.length - 1 });
  }
  const tip = toHex(keep[height]!);
  log.info('chain state rebuilt', { height, tip, forgotten: forget.length, stoppedAt });
  return { height, tip, forgotten: forget.length + (keep.length - 1 - height), stoppedAt, genesisRecordRewritten };
}

/** Why the main-chain block at `h` cannot be kept, or undefined. */
async function blockProblem(store: ChainStore, h: number, id: Uint8Array, below: Uint8Array | undefined, genesis: Genesis): Promise<string | undefined> {
  try {
    if (id.length !== 32) return `main-chain entry at height ${h} is ${id.length} bytes`;
    if (h === 0) return bytesEqual(id, genesis.id) ? undefined : 'main-chain entry at height 0 is not the genesis block';
    const rec = await store.getIndex(id);
    if (!rec) return `index record missing at height ${h}`;
    if (rec.height !== h || !below || !bytesEqual(rec.parent, below)) return `index record at height ${h} does not link to the block below`;
    const bytes = await store.getRawBlockBytes(id);
    if (!bytes) return `block bytes missing at height ${h}`;
    return blockBytesProblem(id, bytes);
  } catch (e) {
    if (e instanceof StoreError && e.reason === 'store-damaged') return e.message.split('; ')[0];
    throw e;
  }
}
