// The data dir's LevelDB as a whole: opening it (the checks are open-checks.ts), atomic write
// batches, write-failure reporting, and the walk's bookkeeping (verified mark, damage reads found).
// The reads are store-reads.ts (ChainStore is one of them plus these). Knows bytes and records,
// not consensus.
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { DamageLog } from './damage-log.js';
import { DamagedHeight } from './damaged-height.js';
import { StoreError, causeText } from './store-error.js';
import { AccountCache } from './account-cache.js';
import { WriteHealth } from './write-failure.js';
import { WriteBatch } from './write-batch.js';
import { levelOpenError, readIdentity, type GenesisRecordMode } from './open-checks.js';
import { StoreReads, VIEW } from './store-reads.js';
import { META_GENESIS, META_SCHEMA, META_VERIFIED, SCHEMA_VERSION, heightKey, type SublevelName } from './layout.js';
import { decodeVerifiedMark, encodeVerifiedMark, type VerifiedMark } from './records.js';

export type { StoreEvents } from './store-reads.js';

type Bytes = Uint8Array;

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

const PROBE_KEY = new TextEncoder().encode('probe');
/** A probe writes this much, so it fails like a real block write would on a nearly full disk. */
const PROBE_BYTES = 64 * 1024;

export class ChainStore extends StoreReads {
  private closed = false;
  private genesisId: Bytes = new Uint8Array(32);
  private initializedFlag = false;
  private damagedGenesisRecord = false;
  private mark: VerifiedMark | undefined;
  /** Damage readers found at run time: counted, and logged once per record (see noteDamage). */
  readonly damage = new DamageLog();
  /** The lowest main-chain height reads found damaged (damaged-height.ts). */
  private readonly damagedAt = new DamagedHeight(this);
  private readonly health = new WriteHealth({ failed: (kind, message) => this.emit('write-failed', kind, message), ok: () => this.emit('write-ok') });

  private constructor(dataDir: string, accountCacheEntries?: number) {
    // The account cache: records in memory in front of the `accounts` sublevel (write batches keep it current).
    super(new Level<Bytes, Bytes>(dataDir, VIEW), dataDir, new AccountCache(accountCacheEntries));
  }

  protected blockDamaged(id: Bytes): void {
    this.damagedAt.locateBlock(id);
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

}
