// One atomic LevelDB batch over several sublevels: the typed puts and deletes the chain writes with,
// and the verified mark kept honest (a main-chain rewrite at or below it lowers it in the same batch).
import { META_REORG, META_TIP, META_TX_INDEX, META_VERIFIED, heightKey, sideKey, type SublevelName } from './layout.js';
import { BlockStatus, encodeAccount, encodeTxLocationOf, encodeChainPoint, encodeIndexRecord, encodeTxLocation, encodeUndo, encodeVerifiedMark, type AccountRecord, type ChainPoint, type IndexRecord, type TxLocation, type UndoEntry, type VerifiedMark } from './records.js';
import type { ChainStore } from './chain-store.js';
import { bodyChecksum } from './checked-block.js';
import { toHex } from '../crypto/index.js';
import { HEADER_BYTES } from '../core/index.js';

type Bytes = Uint8Array;
/** The slice of abstract-level's sublevel API we use, with byte keys and values. */
export interface Sub {
  get(key: Bytes): Promise<Bytes | undefined>;
  getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]>;
  iterator(opts?: { gte?: Bytes; lt?: Bytes; reverse?: boolean; limit?: number }): SubIterator;
}
export interface SubIterator extends AsyncIterable<[Bytes, Bytes]> {
  nextv(size: number): Promise<[Bytes, Bytes][]>;
  close(): Promise<void>;
}
export type Op = { type: 'put'; key: Bytes; value: Bytes; sublevel: Sub } | { type: 'del'; key: Bytes; sublevel: Sub };

/** Collects writes to several sublevels and commits them as one atomic LevelDB batch. */
export class WriteBatch {
  readonly ops: Op[] = [];
  /** Lowest main-chain height this batch puts or deletes (the verified mark must not stay above it). */
  private lowestMain = Number.POSITIVE_INFINITY;
  /** Accounts this batch writes (address hex; undefined: deleted), for the store's cache once committed. */
  private accounts: Map<string, AccountRecord | undefined> | undefined;
  /** An account written as raw bytes: the cache is dropped rather than trusted. */
  private rawAccountWrite = false;
  constructor(private readonly store: ChainStore) {}
  put(name: SublevelName, key: Bytes, value: Bytes): this {
    if (name === 'accounts') this.rawAccountWrite = true;
    this.ops.push({ type: 'put', key, value, sublevel: this.store.sub(name) });
    return this;
  }
  del(name: SublevelName, key: Bytes): this {
    if (name === 'accounts') this.rawAccountWrite = true;
    this.ops.push({ type: 'del', key, sublevel: this.store.sub(name) });
    return this;
  }
  /**
   * Stores checked block bytes with their index record (which keeps the bytes' checksum for cheap
   * checked reads) and their header record, in this one batch: neither is ever on disk without the other.
   */
  putBlock(id: Bytes, bytes: Bytes, rec: IndexRecord): this {
    if (bytes.length < HEADER_BYTES) throw new RangeError(`expected block bytes of at least ${HEADER_BYTES}, got ${bytes.length}`);
    return this.put('blocks', id, bytes).put('index', id, encodeIndexRecord({ ...rec, bodyCrc: bodyChecksum(bytes) })).putHeader(id, bytes);
  }
  /** A header record from checked block bytes (the rebuild writes one for every block it keeps: it heals and backfills). */
  putHeader(id: Bytes, blockBytes: Bytes): this {
    return this.put('headers', id, blockBytes.slice(0, HEADER_BYTES));
  }
  /** Forgets a block (a rebuild drops what peers will send again): body, index and header records. */
  delBlock(id: Bytes): this {
    return this.del('blocks', id).del('index', id).del('headers', id);
  }
  putIndex(id: Bytes, rec: IndexRecord): this {
    return this.put('index', id, encodeIndexRecord(rec));
  }
  /** A side-branch body to prune once it is deep enough (see `sideBelow`). */
  putSide(height: number, id: Bytes): this {
    return this.put('side', sideKey(height, id), new Uint8Array(0));
  }
  delSide(height: number, id: Bytes): this {
    return this.del('side', sideKey(height, id));
  }
  /** Drops a stale side block's body; its index record stays, marked Pruned. */
  pruneBody(id: Bytes, rec: IndexRecord): this {
    return this.del('blocks', id).putIndex(id, { ...rec, status: BlockStatus.Pruned }).delSide(rec.height, id);
  }
  putMain(height: number, id: Bytes): this {
    this.lowestMain = Math.min(this.lowestMain, height);
    return this.put('main', heightKey(height), id);
  }
  delMain(height: number): this {
    this.lowestMain = Math.min(this.lowestMain, height);
    return this.del('main', heightKey(height));
  }
  /** `key`: the address's hex form (toHex), when the caller has it (the account cache is keyed by it). */
  putAccount(address: Bytes, a: AccountRecord, key?: string): this {
    // An empty account is the same as no account: keep the table to real holders.
    const empty = a.balance === 0n && a.nonce === 0n;
    const sub = this.store.sub('accounts');
    this.ops.push(empty ? { type: 'del', key: address, sublevel: sub } : { type: 'put', key: address, value: encodeAccount(a), sublevel: sub });
    (this.accounts ??= new Map()).set(key ?? toHex(address), empty ? undefined : { balance: a.balance, nonce: a.nonce });
    return this;
  }
  putUndo(id: Bytes, entries: UndoEntry[]): this {
    return this.put('undo', id, encodeUndo(entries));
  }
  putTx(txId: Bytes, loc: TxLocation): this {
    return this.put('txs', txId, encodeTxLocation(loc));
  }
  /**
   * Every tx index row of one block (`txIds` packed, 32 bytes each, in block order; row i locates
   * the tx at position i). The index writes one row per tx: keys are views into the packed ids
   * (the sublevel prefixes them into a copy of its own) and locations are written byte by byte.
   */
  putTxRows(blockId: Bytes, txIds: Bytes): this {
    if (txIds.length % 32 !== 0) throw new RangeError(`expected packed 32-byte tx ids, got ${txIds.length} bytes`);
    const sublevel = this.store.sub('txs');
    for (let i = 0, at = 0; at < txIds.length; i++, at += 32) this.ops.push({ type: 'put', key: txIds.subarray(at, at + 32), value: encodeTxLocationOf(blockId, i), sublevel });
    return this;
  }
  delTx(txId: Bytes): this {
    return this.del('txs', txId);
  }
  /** How far the tx index reaches: written in the batch that writes (or deletes) its rows. */
  setTxIndexTip(p: ChainPoint): this {
    return this.put('meta', META_TX_INDEX, encodeChainPoint(p));
  }
  delUndo(id: Bytes): this {
    return this.del('undo', id);
  }
  setTip(id: Bytes): this {
    return this.put('meta', META_TIP, id);
  }
  /** Marks a multi-step reorg in progress: start-up resumes it after a crash. */
  setReorgTarget(id: Bytes): this {
    return this.put('meta', META_REORG, id);
  }
  clearReorgTarget(): this {
    return this.del('meta', META_REORG);
  }
  async write(): Promise<void> {
    if (!this.ops.length) return;
    const lowered = await this.lowerMark();
    try {
      await this.store.db.batch(this.ops as never);
    } catch (e) {
      // Whatever LevelDB kept of it, cached accounts are no longer known to match the disk.
      if (this.accounts || this.rawAccountWrite) this.store.accountCache.clear();
      throw this.store.noteWriteFailure(e);
    }
    if (lowered !== undefined) this.store.noteMark(lowered ?? undefined);
    if (this.rawAccountWrite) this.store.accountCache.clear();
    else if (this.accounts) this.store.accountCache.committed(this.accounts);
    this.store.noteWriteOk();
  }

  /**
   * A batch that rewrites the main chain at or below the verified mark (a reorg past it) takes the
   * mark down to the height below, in the same atomic write: what the mark vouches for is never
   * rewritten behind its back. Returns the new mark (null: removed), or undefined when unchanged.
   */
  private async lowerMark(): Promise<VerifiedMark | null | undefined> {
    const mark = this.store.verifiedMark;
    if (!mark || this.lowestMain > mark.height) return undefined;
    const height = this.lowestMain - 1;
    const id = height >= 0 ? await this.store.getMainId(height).catch(() => undefined) : undefined;
    if (!id) {
      this.del('meta', META_VERIFIED);
      return null;
    }
    const lowered = { height, id };
    this.put('meta', META_VERIFIED, encodeVerifiedMark(lowered));
    return lowered;
  }
}
