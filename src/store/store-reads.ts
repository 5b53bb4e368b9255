// The data dir's reads: typed and checked reads per sublevel, multi-gets, the streams over the
// height index and other sublevels, and the range read of main-chain headers. A LevelDB failure
// inside a read is `store-damaged`; a record that does not decode is damage, never a crash.
// ChainStore (chain-store.ts) adds opening, writing and the walk's bookkeeping on top.
import { EventEmitter } from 'node:events';
import type { Level } from 'level';
import { storedBlockProblem } from './checked-block.js';
import { StoreError, RECOVERY_HINT, readFailure } from './store-error.js';
import type { AccountCache } from './account-cache.js';
import type { WriteFailureKind } from './write-failure.js';
import type { Sub } from './write-batch.js';
import { readMainHeaders, type MainHeadersRange } from './main-headers.js';
import { toHex } from '../crypto/index.js';
import { META_TIP, META_REORG, META_TX_INDEX, heightKey, heightFromKey, type SublevelName } from './layout.js';
import {
  decodeAccount, decodeChainPoint, decodeIndexRecord, decodeTxLocation, decodeUndo,
  type AccountRecord, type ChainPoint, type IndexRecord, type TxLocation, type UndoEntry,
} from './records.js';

type Bytes = Uint8Array;
export const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;
/** Rows a scan takes from LevelDB per call (a getheaders reads 2,000 height rows in a few). */
const SCAN_BATCH = 512;

export interface StoreEvents {
  /** A write failed; emitted on every failure (the node rate-limits what it logs). */
  'write-failed': [kind: WriteFailureKind, message: string];
  /** The first successful write after a failure. */
  'write-ok': [];
}

export abstract class StoreReads extends EventEmitter<StoreEvents> {
  private readonly subs = new Map<SublevelName, Sub>();

  protected constructor(readonly db: Level<Bytes, Bytes>, readonly dataDir: string, readonly accountCache: AccountCache) {
    super();
  }

  sub(name: SublevelName): Sub {
    let s = this.subs.get(name);
    if (!s) {
      s = this.db.sublevel(name, VIEW) as unknown as Sub;
      this.subs.set(name, s);
    }
    return s;
  }

  /** A checked read found the body of `id` damaged (the store remembers its height for the next start). */
  protected abstract blockDamaged(id: Bytes): void;

  /** A read whose failure inside LevelDB (a corrupt table or log) is `store-damaged`. */
  protected async read(name: SublevelName, key: Bytes): Promise<Bytes | undefined> {
    try {
      return await this.sub(name).get(key);
    } catch (e) {
      throw readFailure(name, e);
    }
  }

  /** Iterates a sublevel; a failure inside LevelDB (a corrupt table) is `store-damaged`, as for reads. */
  protected async *scan(name: SublevelName, opts?: { gte?: Bytes; lt?: Bytes; limit?: number }): AsyncGenerator<[Bytes, Bytes]> {
    const it = this.sub(name).iterator(opts);
    try {
      // Rows in batches: one native call per SCAN_BATCH rows, not one awaited step per row.
      for (let rows = await it.nextv(SCAN_BATCH); rows.length; rows = await it.nextv(SCAN_BATCH)) yield* rows;
    } catch (e) {
      throw readFailure(name, e);
    } finally {
      await it.close().catch(() => {});
    }
  }

  /** Decodes a record; a record that does not decode is damage, not a crash. */
  protected decoded<T>(name: SublevelName, key: Bytes, b: Bytes | undefined, decode: (b: Bytes) => T): T | undefined {
    if (!b) return undefined;
    try {
      return decode(b);
    } catch (e) {
      throw new StoreError('store-damaged', `store damaged: ${name} record ${toHex(key)} does not decode (${(e as Error).message}); ${RECOVERY_HINT}`);
    }
  }

  // ---- typed reads ----
  async getMeta(key: Bytes): Promise<Bytes | undefined> {
    return this.read('meta', key);
  }
  async getTipId(): Promise<Bytes> {
    const t = await this.getMeta(META_TIP);
    if (!t) throw new StoreError('store-corrupt', `data dir ${this.dataDir}: no tip recorded`);
    return t;
  }
  async getReorgTarget(): Promise<Bytes | undefined> {
    return this.getMeta(META_REORG);
  }
  /** Checked: bytes that do not hash to `id` (or do not match the body written) are `store-damaged`. */
  async getBlockBytes(id: Bytes): Promise<Bytes | undefined> {
    const [b, rec] = await Promise.all([this.read('blocks', id), this.indexForCheck(id)]);
    if (!b) return undefined;
    const problem = storedBlockProblem(id, b, rec);
    if (problem) {
      this.blockDamaged(id);
      throw new StoreError('store-damaged', `store damaged: ${problem}; ${RECOVERY_HINT}`, { id: toHex(id) });
    }
    return b;
  }
  /** The index record whose checksum checks a body read; one that is missing or does not decode only costs the full check. */
  private async indexForCheck(id: Bytes): Promise<IndexRecord | undefined> {
    try {
      const b = await this.sub('index').get(id);
      return b && decodeIndexRecord(b);
    } catch {
      return undefined;
    }
  }
  /** Unchecked records of several keys in one multi-get, for the integrity walk (which decodes and reports). */
  async getRawMany(name: 'index' | 'headers' | 'blocks' | 'undo', keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    try {
      return await this.sub(name).getMany(keys);
    } catch (e) {
      throw readFailure(name, e);
    }
  }
  /** Unchecked bytes, for the integrity walk (which reports rather than throws). */
  async getRawBlockBytes(id: Bytes): Promise<Bytes | undefined> {
    return this.read('blocks', id);
  }
  async getIndex(id: Bytes): Promise<IndexRecord | undefined> {
    return this.decoded('index', id, await this.read('index', id), decodeIndexRecord);
  }
  async getMainId(height: number): Promise<Bytes | undefined> {
    const key = heightKey(height);
    const id = await this.read('main', key);
    if (id && id.length !== 32) throw new StoreError('store-damaged', `store damaged: main-chain entry at height ${height} is ${id.length} bytes; ${RECOVERY_HINT}`);
    return id;
  }
  async getAccount(address: Bytes): Promise<AccountRecord | undefined> {
    return (await this.getAccounts([address]))[0];
  }
  /**
   * Accounts by address, through the account cache; the misses in one multi-get. `fromDisk` reads
   * every record from LevelDB (the integrity walk checks what is on disk, not what is cached).
   * `keys`: the addresses' hex forms (toHex), when the caller has them.
   */
  async getAccounts(addresses: Bytes[], opts: { fromDisk?: boolean; keys?: readonly string[] } = {}): Promise<(AccountRecord | undefined)[]> {
    return this.accountCache.read(addresses, async (missing) => {
      let vals: (Bytes | undefined)[];
      try {
        vals = await this.sub('accounts').getMany(missing);
      } catch (e) {
        throw readFailure('accounts', e);
      }
      return vals.map((b, i) => this.decoded('accounts', missing[i]!, b, decodeAccount));
    }, opts.fromDisk, opts.keys);
  }
  async getUndo(id: Bytes): Promise<UndoEntry[] | undefined> {
    return this.decoded('undo', id, await this.read('undo', id), decodeUndo);
  }
  async getTxLocation(txId: Bytes): Promise<TxLocation | undefined> {
    return this.decoded('txs', txId, await this.read('txs', txId), decodeTxLocation);
  }
  /** How far the tx index reaches (undefined: a dir from before the background index). */
  async getTxIndexTip(): Promise<ChainPoint | undefined> {
    return this.decoded('meta', META_TX_INDEX, await this.read('meta', META_TX_INDEX), (b) => decodeChainPoint(b, 'tx index tip'));
  }

  /**
   * Checked main-chain headers from height `from`, at most `max`, through `stop` when it comes
   * first: one iterator and one multi-get of header records (main-headers.ts; blocks without a
   * record are read from their bodies), stopping at damage it names. `readBytes` bounds the bodies
   * one multi-get of that fallback holds (default MAIN_HEADERS_READ_BYTES).
   */
  async mainHeaders(from: number, max: number, stop?: Bytes, readBytes?: number): Promise<MainHeadersRange> {
    const mainIds = async (gte: number, limit: number): Promise<[number, Bytes][]> => {
      const rows: [number, Bytes][] = [];
      for await (const row of this.mainEntries(gte, limit)) rows.push(row);
      return rows;
    };
    return readMainHeaders({ mainIds, getMany: (name, keys) => this.getRawMany(name, keys) }, from, max, stop, readBytes);
  }

  /** Main-chain entries in height order from `from` (streams), at most `limit` of them. */
  async *mainEntries(from = 0, limit?: number): AsyncGenerator<[number, Bytes]> {
    const range = { ...(from > 0 ? { gte: heightKey(from) } : {}), ...(limit !== undefined ? { limit } : {}) };
    for await (const [k, v] of this.scan('main', range)) yield [heightFromKey(k), v];
  }

  /** Iterate all account records (for tests and audits; streams, never loads all at once). */
  async *accounts(): AsyncGenerator<[Bytes, AccountRecord]> {
    for await (const [k, v] of this.scan('accounts')) yield [k, decodeAccount(v)];
  }

  /** Side-branch bodies recorded below `height`, oldest first, at most `limit` (streams). */
  async *sideBelow(height: number, limit: number): AsyncGenerator<{ height: number; id: Bytes }> {
    for await (const [k] of this.scan('side', { lt: heightKey(height), limit })) yield { height: heightFromKey(k.subarray(0, 4)), id: k.slice(4) };
  }

  /** Iterate every block index record, main chain and side branches (streams). */
  async *indexRecords(): AsyncGenerator<[Bytes, IndexRecord]> {
    for await (const [k, v] of this.scan('index')) yield [k, decodeIndexRecord(v)];
  }

  /** Raw entries of an opaque sublevel (peers, bans). */
  async *entries(name: 'peers' | 'bans'): AsyncGenerator<[Bytes, Bytes]> {
    for await (const [k, v] of this.scan(name)) yield [k, v];
  }
}
