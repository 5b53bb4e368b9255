// The transaction index (tx id -> block and position), kept apart from block connection as Bitcoin
// Core keeps its txindex (src/index/base.cpp, BaseIndex): a connect writes block, header, undo and
// state in its one batch; the index follows in batches of its own (several blocks a batch while
// blocks come fast, one per block at the tip), each batch recording how far it reaches (meta
// "txindex"), so a crash leaves it behind the chain, never ahead, and the next open catches up.
// The index tip is always on the main chain: a disconnect deletes the rows of the block it takes
// off, and moves the index tip down with it, in the disconnect's own batch. A lookup never answers
// wrong: a tx of a connected block the index has not reached is found in memory, or by catching up.
import { decodeBlock, monotonicNow, txId, type Block } from '../core/index.js';
import { bytesEqual, toHex } from '../crypto/index.js';
import type { ChainPoint, ChainStore, TxLocation, WriteBatch } from '../store/index.js';
import type { Logger } from '../log/index.js';
import type { BlockIndex } from './block-index.js';
import type { IndexEntry } from './events.js';

export interface TxIndexLimits {
  /** Blocks written in one index batch at most. */
  batchBlocks: number;
  /**
   * Rows one index batch stops adding blocks at (a batch holds whole blocks, at least one). A
   * LevelDB batch of many thousand small rows costs ~1.5x the CPU per row of one of a thousand
   * (its row objects outlive young-generation collections while it is built and written).
   */
  batchRows: number;
  /** Blocks the index may trail the tip by before a connect waits for it (backpressure). */
  maxLagBlocks: number;
  /** A lag under `batchBlocks` is written once no block has connected for this long. */
  quietMs: number;
}

export const DEFAULT_TX_INDEX_LIMITS: TxIndexLimits = { batchBlocks: 32, batchRows: 1000, maxLagBlocks: 128, quietMs: 100 };

/** What the indexer needs of the chain: its tip, and its one-writer-at-a-time section. */
export interface TxIndexHost {
  tip(): IndexEntry;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * A connected block's tx ids, kept until the index has written them (bounded by maxLagBlocks):
 * packed in one buffer, 32 bytes each, so a block waiting for its index batch (many blocks while
 * they come fast) holds one object for the garbage collector to move, not one per tx.
 */
interface PendingBlock {
  id: Uint8Array;
  txIds: Uint8Array;
}

function packIds(block: Block): Uint8Array {
  const out = new Uint8Array(block.txs.length * 32);
  block.txs.forEach((tx, i) => out.set(txId(tx), i * 32));
  return out;
}

/** Position of `id` among packed ids, or -1. */
function findPacked(ids: Uint8Array, id: Uint8Array): number {
  for (let i = 0; i * 32 < ids.length; i++) if (bytesEqual(ids.subarray(i * 32, i * 32 + 32), id)) return i;
  return -1;
}

/** How long a failed index write waits before the next try (the store's health reports the failure). */
const RETRY_MS = 1000;

export class TxIndexer {
  private at: ChainPoint = { height: 0, id: new Uint8Array(32) };
  /** Connected blocks above `at` whose ids are in memory, by height (all on the main chain). */
  private readonly pending = new Map<number, PendingBlock>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private stopped = false;
  private lastConnect = 0;
  private readonly limits: TxIndexLimits;

  constructor(
    private readonly store: ChainStore,
    private readonly index: BlockIndex,
    private readonly host: TxIndexHost,
    private readonly log: Logger,
    limits: Partial<TxIndexLimits> = {},
  ) {
    this.limits = { ...DEFAULT_TX_INDEX_LIMITS, ...limits };
  }

  /**
   * Reads how far the index reaches (call once the chain tip is known, before any block moves it).
   * A dir from before the background index wrote rows with each block: its index is at the tip.
   */
  async load(): Promise<void> {
    const tip = this.host.tip();
    const at = await this.store.getTxIndexTip();
    const mainId = at && at.height <= tip.height ? await this.store.getMainId(at.height) : undefined;
    if (!at) {
      this.at = { height: tip.height, id: tip.id };
      await this.store.batch().setTxIndexTip(this.at).write();
    } else if (mainId && bytesEqual(mainId, at.id)) {
      this.at = at;
    } else {
      // Cannot happen by construction (see the header); if the disk says so anyway, index again
      // from genesis: rows are rewritten with the same values, and lookups check the block is main.
      this.log.warn('tx index tip is not on the main chain; indexing again from genesis', { height: at.height, id: toHex(at.id) });
      const genesisId = (await this.store.getMainId(0))!;
      this.at = { height: 0, id: genesisId };
      await this.store.batch().setTxIndexTip(this.at).write();
    }
    if (this.lag > 0) this.log.info('tx index behind the chain; catching up', { indexed: this.at.height, tip: tip.height });
    this.schedule(0);
  }

  /** How far the index reaches: rows exist for main-chain blocks 0..height. */
  get tip(): ChainPoint {
    return { height: this.at.height, id: this.at.id };
  }

  /** Blocks the index trails the chain tip by. */
  get lag(): number {
    return Math.max(0, this.host.tip().height - this.at.height);
  }

  /** No more background writes (the chain's queue is drained by its own close). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * A block was connected (inside the chain's exclusive section, after its batch was written).
   * Past maxLagBlocks the connect itself writes the index: the lag, and the memory, stay bounded.
   */
  async connected(e: IndexEntry, block: Block): Promise<void> {
    if (e.height > this.at.height) this.pending.set(e.height, { id: e.id, txIds: packIds(block) });
    this.lastConnect = monotonicNow();
    while (this.lag >= this.limits.maxLagBlocks && !this.stopped) await this.writeNext();
    this.schedule(this.nextDelay(), this.lag < this.limits.batchBlocks);
  }

  /**
   * Adds to the batch that disconnects `e` (the chain tip): when the index covers it, the deletes of
   * its rows and the index tip moved to its parent. Returns what to do once that batch is written.
   */
  disconnecting(batch: WriteBatch, e: IndexEntry, block: Block): () => void {
    this.pending.delete(e.height);
    if (this.at.height < e.height) return () => {};
    for (const tx of block.txs) batch.delTx(txId(tx));
    const back = { height: e.height - 1, id: e.parent };
    batch.setTxIndexTip(back);
    return () => void (this.at = back);
  }

  /**
   * At close, after the chain's queue is drained and `stop()`: writes the connected blocks the index
   * still holds in memory (at most maxLagBlocks; Core flushes its indexes at shutdown), so the next
   * open does not index them again in the background. A failed write is logged and left to that
   * open's catch-up, as after a crash.
   */
  async writeHeld(): Promise<void> {
    try {
      while (this.lag > 0 && this.pending.has(this.at.height + 1)) await this.writeNext();
    } catch (e) {
      this.log.warn('tx index not written at close; the next open catches up', { indexed: this.at.height, err: String(e) });
    }
  }

  /** Writes the index up to the chain tip, after the blocks already queued (waits for them). */
  flush(): Promise<void> {
    return this.host.exclusive(() => this.catchUp());
  }

  /** Writes the index up to the chain tip now. The caller holds the chain's exclusive section. */
  async catchUp(): Promise<void> {
    while (this.lag > 0) await this.writeNext();
  }

  /**
   * Where a main-chain tx sits, or undefined: from the rows, else from connected blocks the index
   * has not written yet (in memory, or by catching up first when they are not).
   */
  async locate(id: Uint8Array): Promise<TxLocation | undefined> {
    // Rows cover 0..from from here on; blocks the indexer writes meanwhile leave `pending` and so
    // send this lookup to the catch-up below, never to a wrong "not found".
    const from = this.at.height;
    const row = await this.store.getTxLocation(id);
    if (row && (await this.onMain(row.blockId))) return row;
    if (from >= this.host.tip().height) return undefined;
    let allInMemory = true;
    for (let h = from + 1; h <= this.host.tip().height; h++) {
      const p = this.pending.get(h);
      if (!p) {
        allInMemory = false;
        continue;
      }
      const i = findPacked(p.txIds, id);
      if (i >= 0) return { blockId: p.id, index: i };
    }
    if (allInMemory) return undefined;
    await this.flush();
    const caught = await this.store.getTxLocation(id);
    return caught && (await this.onMain(caught.blockId)) ? caught : undefined;
  }

  private async onMain(blockId: Uint8Array): Promise<boolean> {
    const e = await this.index.entry(blockId);
    return !!e && (await this.index.isMain(e));
  }

  /**
   * One index batch: the next blocks above the index tip (at most batchBlocks, and no more once
   * batchRows rows are in), and the new tip.
   */
  private async writeNext(): Promise<void> {
    const last = Math.min(this.host.tip().height, this.at.height + this.limits.batchBlocks);
    if (last <= this.at.height) return;
    const batch = this.store.batch();
    let top = this.at;
    let rows = 0;
    for (let h = this.at.height + 1; h <= last && rows < this.limits.batchRows; h++) {
      const p = this.pending.get(h) ?? (await this.readBlock(h));
      batch.putTxRows(p.id, p.txIds);
      rows += p.txIds.length / 32;
      top = { height: h, id: p.id };
    }
    await batch.setTxIndexTip(top).write();
    for (let h = this.at.height + 1; h <= top.height; h++) this.pending.delete(h);
    this.at = top;
  }

  /** A main-chain block's tx ids from the store (catching up after a start, or past the memory bound). */
  private async readBlock(height: number): Promise<PendingBlock> {
    const id = await this.store.getMainId(height);
    const bytes = id && (await this.store.getBlockBytes(id));
    if (!id || !bytes) throw new Error(`tx index: main-chain block at height ${height} is missing`);
    return { id, txIds: packIds(decodeBlock(bytes)) };
  }

  /** A whole batch is written at once; a smaller lag once blocks have stopped coming for quietMs. */
  private nextDelay(): number {
    return this.lag >= this.limits.batchBlocks ? 0 : Math.max(0, this.lastConnect + this.limits.quietMs - monotonicNow());
  }

  /**
   * Writes the lag in the background, through the chain's exclusive section: in `ms` (a `restart`
   * pushes a pending timer back, so a quiet period waits for the blocks to stop coming).
   */
  private schedule(ms: number, restart = false): void {
    if (this.stopped || this.lag === 0) return;
    const due = monotonicNow() + ms;
    if (this.timer && !restart && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      if (this.stopped) return;
      this.host.exclusive(() => this.writeNext()).then(
        () => this.schedule(this.nextDelay()),
        (e: unknown) => {
          if (this.stopped) return;
          this.log.warn('tx index write failed; retrying', { err: String(e) });
          this.schedule(RETRY_MS);
        },
      );
    }, ms);
    this.timer.unref();
  }
}
