// The data dir's LevelDB: opening (lock, schema, genesis checks), typed reads per sublevel, and
// atomic write batches. Knows bytes and records, not consensus.
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { KadchainError } from '../core/index.js';
import { toHex, bytesEqual } from '../crypto/index.js';
import { META_GENESIS, META_REORG, META_SCHEMA, META_TIP, SCHEMA_VERSION, heightKey, type SublevelName } from './layout.js';
import {
  decodeAccount, decodeIndexRecord, decodeTxLocation, decodeUndo, encodeAccount, encodeIndexRecord, encodeTxLocation, encodeUndo,
  type AccountRecord, type IndexRecord, type TxLocation, type UndoEntry,
} from './records.js';

export type StoreReason = 'data-dir-in-use' | 'wrong-genesis' | 'newer-schema' | 'store-corrupt' | 'store-closed';

export class StoreError extends KadchainError<StoreReason> {}

type Bytes = Uint8Array;
/** The slice of abstract-level's sublevel API we use, with byte keys and values. */
interface Sub {
  get(key: Bytes): Promise<Bytes | undefined>;
  getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]>;
  iterator(opts?: { gte?: Bytes; lt?: Bytes; reverse?: boolean; limit?: number }): AsyncIterable<[Bytes, Bytes]>;
}
type Op = { type: 'put'; key: Bytes; value: Bytes; sublevel: Sub } | { type: 'del'; key: Bytes; sublevel: Sub };

const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** Collects writes to several sublevels and commits them as one atomic LevelDB batch. */
export class WriteBatch {
  readonly ops: Op[] = [];
  constructor(private readonly store: ChainStore) {}
  put(name: SublevelName, key: Bytes, value: Bytes): this {
    this.ops.push({ type: 'put', key, value, sublevel: this.store.sub(name) });
    return this;
  }
  del(name: SublevelName, key: Bytes): this {
    this.ops.push({ type: 'del', key, sublevel: this.store.sub(name) });
    return this;
  }
  putBlock(id: Bytes, bytes: Bytes, rec: IndexRecord): this {
    return this.put('blocks', id, bytes).put('index', id, encodeIndexRecord(rec));
  }
  putIndex(id: Bytes, rec: IndexRecord): this {
    return this.put('index', id, encodeIndexRecord(rec));
  }
  putMain(height: number, id: Bytes): this {
    return this.put('main', heightKey(height), id);
  }
  delMain(height: number): this {
    return this.del('main', heightKey(height));
  }
  putAccount(address: Bytes, a: AccountRecord): this {
    // An empty account is the same as no account: keep the table to real holders.
    return a.balance === 0n && a.nonce === 0n ? this.del('accounts', address) : this.put('accounts', address, encodeAccount(a));
  }
  putUndo(id: Bytes, entries: UndoEntry[]): this {
    return this.put('undo', id, encodeUndo(entries));
  }
  putTx(txId: Bytes, loc: TxLocation): this {
    return this.put('txs', txId, encodeTxLocation(loc));
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
    if (this.ops.length) await this.store.db.batch(this.ops as never);
  }
}

export interface OpenStoreOptions {
  dataDir: string;
  genesisId: Bytes;
  /**
   * Writes genesis records in the same batch as the meta keys when the dir is new. Without it a
   * new dir stays empty until `initialize` is called (the chain does it with its genesis).
   */
  initialize?: (batch: WriteBatch) => void;
}

export class ChainStore {
  readonly db: Level<Bytes, Bytes>;
  private readonly subs = new Map<SublevelName, Sub>();
  private closed = false;
  private genesisId: Bytes = new Uint8Array(32);
  private initializedFlag = false;

  private constructor(readonly dataDir: string) {
    this.db = new Level<Bytes, Bytes>(dataDir, VIEW);
  }

  static async open(opts: OpenStoreOptions): Promise<ChainStore> {
    mkdirSync(opts.dataDir, { recursive: true });
    const store = new ChainStore(opts.dataDir);
    try {
      await store.db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StoreError('data-dir-in-use', `data dir in use: ${opts.dataDir} is locked by another kadchain process`, { dataDir: opts.dataDir });
      }
      throw e;
    }
    try {
      const meta = store.sub('meta');
      const schemaBytes = await meta.get(META_SCHEMA);
      store.genesisId = opts.genesisId;
      if (!schemaBytes) {
        if (opts.initialize) await store.initialize(opts.initialize);
      } else {
        store.initializedFlag = true;
        const schema = new DataView(schemaBytes.buffer, schemaBytes.byteOffset).getUint32(0);
        if (schema > SCHEMA_VERSION) {
          throw new StoreError('newer-schema', `data dir ${opts.dataDir} was written by a newer kadchain (schema ${schema}, this build reads ${SCHEMA_VERSION})`);
        }
        const g = await meta.get(META_GENESIS);
        if (!g || !bytesEqual(g, opts.genesisId)) {
          throw new StoreError('wrong-genesis', `data dir ${opts.dataDir} belongs to another chain (genesis ${g ? toHex(g) : 'missing'}, expected ${toHex(opts.genesisId)}); use another --data-dir`);
        }
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
    this.closed = true;
    await this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  // ---- typed reads ----
  async getMeta(key: Bytes): Promise<Bytes | undefined> {
    return this.sub('meta').get(key);
  }
  async getTipId(): Promise<Bytes> {
    const t = await this.getMeta(META_TIP);
    if (!t) throw new StoreError('store-corrupt', `data dir ${this.dataDir}: no tip recorded`);
    return t;
  }
  async getReorgTarget(): Promise<Bytes | undefined> {
    return this.getMeta(META_REORG);
  }
  async getBlockBytes(id: Bytes): Promise<Bytes | undefined> {
    return this.sub('blocks').get(id);
  }
  async getIndex(id: Bytes): Promise<IndexRecord | undefined> {
    const b = await this.sub('index').get(id);
    return b ? decodeIndexRecord(b) : undefined;
  }
  async getMainId(height: number): Promise<Bytes | undefined> {
    return this.sub('main').get(heightKey(height));
  }
  async getAccount(address: Bytes): Promise<AccountRecord | undefined> {
    const b = await this.sub('accounts').get(address);
    return b ? decodeAccount(b) : undefined;
  }
  async getAccounts(addresses: Bytes[]): Promise<(AccountRecord | undefined)[]> {
    const vals = await this.sub('accounts').getMany(addresses);
    return vals.map((b) => (b ? decodeAccount(b) : undefined));
  }
  async getUndo(id: Bytes): Promise<UndoEntry[] | undefined> {
    const b = await this.sub('undo').get(id);
    return b ? decodeUndo(b) : undefined;
  }
  async getTxLocation(txId: Bytes): Promise<TxLocation | undefined> {
    const b = await this.sub('txs').get(txId);
    return b ? decodeTxLocation(b) : undefined;
  }

  /** Iterate all account records (for tests and audits; streams, never loads all at once). */
  async *accounts(): AsyncGenerator<[Bytes, AccountRecord]> {
    for await (const [k, v] of this.sub('accounts').iterator()) yield [k, decodeAccount(v)];
  }

  /** Iterate every block index record, main chain and side branches (streams). */
  async *indexRecords(): AsyncGenerator<[Bytes, IndexRecord]> {
    for await (const [k, v] of this.sub('index').iterator()) yield [k, decodeIndexRecord(v)];
  }

  /** Raw entries of an opaque sublevel (peers, bans). */
  async *entries(name: 'peers' | 'bans'): AsyncGenerator<[Bytes, Bytes]> {
    for await (const [k, v] of this.sub(name).iterator()) yield [k, v];
  }
}
