// The data dir's LevelDB: opening it (the checks are open-checks.ts), typed and checked reads per
// sublevel, write-failure reporting, and the walk's bookkeeping (verified mark, damage reads found).
// Knows bytes and records, not consensus.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { storedBlockProblem } from './checked-block.js';
import { DamageLog } from './damage-log.js';
import { DamagedHeight } from './damaged-height.js';
import { StoreError, RECOVERY_HINT, causeText, readFailure } from './store-error.js';
import { AccountCache } from './account-cache.js';
import { WriteHealth, type WriteFailureKind } from './write-failure.js';
import { WriteBatch, type Sub } from './write-batch.js';
import { levelOpenError, readIdentity, type GenesisRecordMode } from './open-checks.js';
import { readMainHeaders, type MainHeadersRange } from './main-headers.js';
import { toHex } from '../crypto/index.js';
import { META_GENESIS, META_REORG, META_SCHEMA, META_TIP, META_TX_INDEX, META_VERIFIED, SCHEMA_VERSION, heightKey, heightFromKey, type SublevelName } from './layout.js';
import {
  decodeAccount, decodeChainPoint, decodeIndexRecord, decodeTxLocation, decodeUndo, decodeVerifiedMark, encodeVerifiedMark,
  type AccountRecord, type ChainPoint, type IndexRecord, type TxLocation, type UndoEntry, type VerifiedMark,
} from './records.js';

type Bytes = Uint8Array;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

export interface OpenStoreOptions {
  dataDir: string;
  genesisId: Bytes;
  /**
   * Writes genesis records in the same batch as the meta keys when the dir is new. Without it a
   * new dir stays empty until `initialize` is called (the chain does it with its genesis).
   */
  initialize?: (batch: WriteBatch) => void;
  /** Account records kept in memory (default DEFAULT_ACCOUNT_CACHE_ENTRIES; 0: none). */
  accountCacheEntries?: number;
  /** 'repair' (the rebuild's open only): see open-checks.ts and `genesisRecordDamaged`. */
  genesisRecord?: GenesisRecordMode;
}

export interface StoreEvents {
  /** A write failed; emitted on every failure (the node rate-limits what it logs). */
  'write-failed': [kind: WriteFailureKind, message: string];
  /** The first successful write after a failure. */
  'write-ok': [];
}

const PROBE_KEY = new TextEncoder().encode('probe');
/** A probe writes this much, so it fails like a real block write would on a nearly full disk. */
const PROBE_BYTES = 64 * 1024;

export class ChainStore extends EventEmitter<StoreEvents> {
  readonly db: Level<Bytes, Bytes>;
  private readonly subs = new Map<SublevelName, Sub>();
  private closed = false;
  private genesisId: Bytes = new Uint8Array(32);
  private initializedFlag = false;
  private damagedGenesisRecord = false;
  private mark: VerifiedMark | undefined;
  /** Damage readers found at run time: counted, and logged once per record (see noteDamage). */
  readonly damage = new DamageLog();
  /** Account records in memory in front of the `accounts` sublevel (write batches keep it current). */
  readonly accountCache: AccountCache;
  /** The lowest main-chain height reads found damaged (damaged-height.ts). */
  private readonly damagedAt = new DamagedHeight(this);
  private readonly health = new WriteHealth({ failed: (kind, message) => this.emit('write-failed', kind, message), ok: () => this.emit('write-ok') });

  private constructor(readonly dataDir: string, accountCacheEntries?: number) {
    super();
    this.accountCache = new AccountCache(accountCacheEntries);
    this.db = new Level<Bytes, Bytes>(dataDir, VIEW);
  }

  static async open(opts: OpenStoreOptions): Promise<ChainStore> {
    mkdirSync(opts.dataDir, { recursive: true });
    const store = new ChainStore(opts.dataDir, opts.accountCacheEntries);
    try {
      await store.db.open();
    } catch (e) {
      throw levelOpenError(e, opts.dataDir);
    }
    try {
      store.genesisId = opts.genesisId;
      const reads = { meta: (k: Bytes) => store.read('meta', k), mainAtZero: () => store.sub('main').get(heightKey(0)).catch(() => undefined) };
      const identity = await readIdentity(opts.dataDir, opts.genesisId, reads, opts.genesisRecord);
      if (identity.kind === 'new') {
        if (opts.initialize) await store.initialize(opts.initialize);
      } else {
        store.initializedFlag = true;
        store.damagedGenesisRecord = identity.genesisRecordDamaged;
        const { schema } = identity;
        store.mark = await store.readMark();
        await store.damagedAt.load();
        // An older dir reads as it is; from now on it gets records an older build cannot read
        // (index records with the body checksum): mark it, so such a build refuses it by name.
        if (schema < SCHEMA_VERSION) await store.batch().put('meta', META_SCHEMA, heightKey(SCHEMA_VERSION)).write();
      }
    } catch (e) {
      await store.db.close();
      throw e;
    }
    return store;
  }

  /** True once the schema, genesis id and genesis records are written. */
  get initialized(): boolean {
    return this.initializedFlag;
  }

  /**
   * Opened with `genesisRecord: 'repair'` and the genesis record is damaged while height 0 names the
   * genesis in use: the rebuild rewrites it (`rewriteGenesisRecord`) before anything else.
   */
  get genesisRecordDamaged(): boolean {
    return this.damagedGenesisRecord;
  }

  /** Writes the genesis record from the genesis in use (the rebuild, on a damaged one). */
  async rewriteGenesisRecord(): Promise<void> {
    await this.batch().put('meta', META_GENESIS, this.genesisId).write();
    this.damagedGenesisRecord = false;
  }

  /** First write to a new dir: schema, genesis id and `fill`'s records in one atomic batch. */
  async initialize(fill: (batch: WriteBatch) => void): Promise<void> {
    if (this.initializedFlag) return;
    const batch = this.batch();
    batch.put('meta', META_SCHEMA, heightKey(SCHEMA_VERSION)).put('meta', META_GENESIS, this.genesisId);
    fill(batch);
    await batch.write();
    this.initializedFlag = true;
  }

  sub(name: SublevelName): Sub {
    let s = this.subs.get(name);
    if (!s) {
      s = this.db.sublevel(name, VIEW) as unknown as Sub;
      this.subs.set(name, s);
    }
    return s;
  }

  batch(): WriteBatch {
    return new WriteBatch(this);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.damagedAt.settle();
    this.closed = true;
    await this.health.flushIfNeeded(() => this.compactAll()).catch(() => {}); // still full: the next open's walk will say what is missing
    await this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The verified mark (undefined: none, or unreadable; the start-up walk then covers everything). */
  get verifiedMark(): VerifiedMark | undefined {
    return this.mark;
  }

  /** Records (or, with undefined, removes) the verified mark; the integrity walk's caller sets it. */
  async setVerifiedMark(mark: VerifiedMark | undefined): Promise<void> {
    const batch = this.batch();
    if (mark) batch.put('meta', META_VERIFIED, encodeVerifiedMark(mark));
    else batch.del('meta', META_VERIFIED);
    await batch.write();
    this.mark = mark && { height: mark.height, id: mark.id.slice() };
  }

  /** @internal WriteBatch reports a mark it lowered (undefined: removed) once the batch is written. */
  noteMark(mark: VerifiedMark | undefined): void {
    this.mark = mark;
  }

  /**
   * A reader found damage: counts it, and when it is a main-chain height, remembers the lowest such
   * height on disk so the next start checks from there and heals, however deep it is (best effort).
   * True the first time this `key` (a block id) is seen: the caller logs it then, not on every read.
   */
  noteDamage(key: string, height?: number): boolean {
    if (height !== undefined) this.damagedAt.remember(height);
    return this.damage.note(key);
  }

  /** Lowest main-chain height a read found damaged since the last whole walk (undefined: none). */
  get damagedHeight(): number | undefined {
    return this.damagedAt.height;
  }

  /** A whole walk (or a rebuild of the main chain) settles what reads had found. */
  clearDamagedHeight(): Promise<void> {
    return this.damagedAt.clear();
  }

  private async readMark(): Promise<VerifiedMark | undefined> {
    try {
      const b = await this.sub('meta').get(META_VERIFIED);
      return b && decodeVerifiedMark(b);
    } catch {
      return undefined; // a damaged mark only costs a full walk
    }
  }

  /** True from a failed write until the next successful one. */
  get writeFailing(): boolean {
    return this.health.failing;
  }

  /** @internal WriteBatch reports here: classifies, emits, and returns the error to throw. */
  noteWriteFailure(e: unknown): StoreError {
    const message = `write to ${this.dataDir} failed: ${causeText(e)}`;
    return new StoreError(this.health.failed(e, message), message, { dataDir: this.dataDir });
  }

  /** @internal */
  noteWriteOk(): void {
    this.health.ok();
  }

  /**
   * Writes and deletes a scratch record, then (after a failure) flushes the memtable to a table file
   * and a fresh log: true when the disk takes writes again and nothing depends on the torn log.
   */
  async probeWrite(): Promise<boolean> {
    try {
      await this.batch().put('meta', PROBE_KEY, new Uint8Array(PROBE_BYTES)).write();
      await this.batch().del('meta', PROBE_KEY).write();
      await this.health.flushIfNeeded(() => this.compactAll());
      return true;
    } catch {
      return false;
    }
  }

  /** A compaction flushes the memtable first (and starts a new log); the range covers every key. */
  private compactAll(): Promise<void> {
    return (this.db as unknown as { compactRange(start: Bytes, end: Bytes): Promise<void> }).compactRange(new Uint8Array([0]), new Uint8Array(8).fill(0xff));
  }

  /** A read whose failure inside LevelDB (a corrupt table or log) is `store-damaged`. */
  private async read(name: SublevelName, key: Bytes): Promise<Bytes | undefined> {
    try {
      return await this.sub(name).get(key);
    } catch (e) {
      throw readFailure(name, e);
    }
  }

  /** Iterates a sublevel; a failure inside LevelDB (a corrupt table) is `store-damaged`, as for reads. */
  private async *scan(name: SublevelName, opts?: { gte?: Bytes; lt?: Bytes; limit?: number }): AsyncGenerator<[Bytes, Bytes]> {
    try {
      for await (const e of this.sub(name).iterator(opts)) yield e;
    } catch (e) {
      throw readFailure(name, e);
    }
  }

  /** Decodes a record; a record that does not decode is damage, not a crash. */
  private decoded<T>(name: SublevelName, key: Bytes, b: Bytes | undefined, decode: (b: Bytes) => T): T | undefined {
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
      this.damagedAt.locateBlock(id);
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
  async getRawMany(name: 'index' | 'blocks' | 'undo', keys: Bytes[]): Promise<(Bytes | undefined)[]> {
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
   */
  async getAccounts(addresses: Bytes[], opts: { fromDisk?: boolean } = {}): Promise<(AccountRecord | undefined)[]> {
    return this.accountCache.read(addresses, async (missing) => {
      let vals: (Bytes | undefined)[];
      try {
        vals = await this.sub('accounts').getMany(missing);
      } catch (e) {
        throw readFailure('accounts', e);
      }
      return vals.map((b, i) => this.decoded('accounts', missing[i]!, b, decodeAccount));
    }, opts.fromDisk);
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
   * first: one iterator and batched reads (main-headers.ts), stopping at damage it names.
   * `readBytes` bounds the bodies one multi-get holds (default MAIN_HEADERS_READ_BYTES).
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

  /** Deletes every record of a sublevel (reindex). Clearing `main` drops the verified mark first. */
  async clearSublevel(name: SublevelName): Promise<void> {
    if (name === 'main') {
      if (this.mark) await this.setVerifiedMark(undefined);
      await this.clearDamagedHeight();
    }
    try {
      await (this.sub(name) as unknown as { clear(): Promise<void> }).clear();
    } catch (e) {
      throw this.noteWriteFailure(e);
    } finally {
      if (name === 'accounts') this.accountCache.clear();
    }
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
