// The Chain: the one door for blocks. Its submission path (validation tiers, orphans, held future
// blocks) is block-intake.ts, reorgs and fork choice are their own modules, reads are chain-reads.ts;
// it owns the one-writer section, the tip, open and close. It is given an open store by the
// composition root and knows nothing of peers: a submit carries at most an opaque source tag (for
// per-source bounds), and the result's status and reason let the network edge decide what that
// costs the sender.
import { EventEmitter } from 'node:events';
import {
  targetToBigInt,
  type Block, type Genesis, type Tx, type BlockHeader,
} from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { StoreError, RECOVERY_HINT, DEFAULT_CHECK_DEPTH, type ChainStore } from '../store/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import type { OrphanLimits } from './orphans.js';
import type { HeldLimits } from './held-blocks.js';
import { BlockIntake } from './block-intake.js';
import { BlockIndex } from './block-index.js';
import { BlockValidator } from './validator.js';
import { ReorgExecutor } from './reorg.js';
import { checkAtOpen } from './store-check.js';
import { listTips } from './fork-choice.js';
import { SideBranches, type SideBranchLimits } from './side-branches.js';
import { TxIndexer, type TxIndexLimits } from './tx-index.js';
import { putGenesisRecords } from './genesis-records.js';
import { ChainReads, MAX_BLOCKS_PER_REQUEST } from './chain-reads.js';
import type { VerifiedSignatures } from './verified-signatures.js';
import type { Account } from './tx-rules.js';
import type { ChainEvents, ChainTip, IndexEntry, NextBlockContext, SubmitOptions, SubmitResult, TipInfo } from './events.js';

export interface ChainOptions {
  logger?: Logger;
  now?: () => number;
  orphanLimits?: Partial<OrphanLimits>;
  heldLimits?: Partial<HeldLimits>;
  /** Index entries kept in memory (LRU); memory stays flat however long the chain grows. */
  indexCacheSize?: number;
  /** Verify block signatures on worker threads too (default true). */
  parallelVerify?: boolean;
  /** The chain closes the store on close (for callers that hand the store over). */
  ownsStore?: boolean;
  /** Blocks below the tip checked in full at open (default DEFAULT_CHECK_DEPTH); 0 skips the walk. */
  checkDepth?: number;
  /**
   * Damage found at open: 'refuse' (default) throws StoreDamagedError; 'heal' rolls back to the last
   * intact block (state rebuilt from genesis) and forgets the rest, which peers then send again.
   */
  onDamage?: 'refuse' | 'heal';
  /** Which side-branch bodies are stored and when stale ones are pruned (side-branches.ts). */
  sideBranches?: Partial<SideBranchLimits>;
  /** How far and how the tx index trails the tip (tx-index.ts). */
  txIndex?: Partial<TxIndexLimits>;
}

/** How long the chain's thread verifies the next blocks' signatures while a block is written. */
const WRITE_OVERLAP_MS = 2;
/** Source tag for blocks submitted without one (the local miner, the API, tests). */
const LOCAL_SOURCE = 'local';

export class Chain extends EventEmitter<ChainEvents> {
  readonly params: Genesis['params'];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly index: BlockIndex;
  private readonly validator: BlockValidator;
  private readonly reorgs: ReorgExecutor;
  /** The submission path: validation tiers, orphans, held blocks, remembered refusals (block-intake.ts). */
  private readonly intake: BlockIntake;
  private readonly sides: SideBranches;
  private readonly reads: ChainReads;
  /** The tx index, written behind the connects (tx-index.ts). */
  readonly txIndex: TxIndexer;
  private queue: Promise<unknown> = Promise.resolve();
  private tip_!: IndexEntry;
  private tipsCache: ChainTip[] | undefined;
  /** `tip` built once per tip entry: relay, sync and gossip read it several times per message. */
  private tipInfo: { of: IndexEntry; info: TipInfo } | undefined;
  private closed = false;

  private constructor(readonly store: ChainStore, readonly genesis: Genesis, private readonly opts: ChainOptions) {
    super();
    this.params = genesis.params;
    this.log = (opts.logger ?? silentLogger).child({ module: 'chain' });
    this.now = opts.now ?? Date.now;
    this.index = new BlockIndex(store, genesis.params, () => this.tipEntry.height, opts.indexCacheSize);
    this.validator = new BlockValidator(genesis.params, genesis.id, opts.parallelVerify !== false);
    // The executor moves the tip one step at a time; nobody else may.
    const tips = { tip: (): IndexEntry => this.tip_, setTip: (e: IndexEntry): void => void (this.tip_ = e) };
    this.txIndex = new TxIndexer(store, this.index, { tip: () => this.tip_, exclusive: (fn) => this.exclusive(fn) }, this.log, opts.txIndex);
    this.sides = new SideBranches(store, this.index, opts.sideBranches);
    this.reorgs = new ReorgExecutor(store, this.index, genesis.params, this.log, tips, this, this.txIndex, this.sides, () => this.validator.helpAhead(WRITE_OVERLAP_MS));
    this.intake = new BlockIntake(
      { store, index: this.index, validator: this.validator, reorgs: this.reorgs, sides: this.sides, log: this.log, now: this.now, maxFutureDriftMs: this.params.maxFutureDriftMs, orphanLimits: opts.orphanLimits, heldLimits: opts.heldLimits },
      { tip: () => this.tip_, blockArrived: () => void (this.tipsCache = undefined), exclusive: (fn) => this.exclusive(fn) },
    );
    this.reads = new ChainReads(store, genesis, this.index, this.txIndex, () => this.tipEntry, (what, key, height) => this.damaged(what, key, height));
  }

  /**
   * Opens the chain on a store the caller opened (its genesis id already checked): writes the
   * genesis records into a new store, reads the tip, and finishes a reorg a crash interrupted.
   */
  static async open(store: ChainStore, genesis: Genesis, opts: ChainOptions = {}): Promise<Chain> {
    if (!store.initialized) await store.initialize((batch) => putGenesisRecords(batch, genesis, true));
    const chain = new Chain(store, genesis, opts);
    try {
      await checkAtOpen(store, genesis, chain.log, opts.checkDepth ?? DEFAULT_CHECK_DEPTH, opts.onDamage ?? 'refuse');
      const tipId = await store.getTipId();
      const tip = await chain.index.entry(tipId);
      if (!tip) throw new Error(`data dir ${store.dataDir}: tip ${toHex(tipId)} has no index entry`);
      chain.tip_ = tip;
      await chain.txIndex.load();
      // In the one writer's section: the index's catch-up (scheduled by load) must not write rows
      // for blocks the resumed reorg is disconnecting (it read them as main, then moved its tip past them).
      await chain.exclusive(() => chain.reorgs.resume());
    } catch (e) {
      await chain.close();
      throw e;
    }
    chain.log.info('chain opened', { height: chain.tipEntry.height, tip: chain.tipEntry.idHex, genesis: genesis.idHex });
    return chain;
  }

  /** Idempotent. Closes the store only when it was handed over (`ownsStore`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.intake.close();
    this.txIndex.stop();
    await this.queue.catch(() => {});
    await this.txIndex.writeHeld();
    await this.validator.stop();
    if (this.opts.ownsStore) await this.store.close();
  }

  get tip(): TipInfo {
    const t = this.tipEntry;
    if (this.tipInfo?.of !== t) this.tipInfo = { of: t, info: Object.freeze({ id: t.id, idHex: t.idHex, height: t.height, work: t.work, timestamp: t.timestamp, target: targetToBigInt(t.target) }) };
    return this.tipInfo.info;
  }

  /** The connected tip's index entry. */
  get tipEntry(): IndexEntry {
    return this.tip_;
  }

  get orphanCount(): number {
    return this.intake.orphanCount;
  }

  get heldCount(): number {
    return this.intake.heldCount;
  }

  /** Transfers already verified here or by the mempool: a block of relayed txs skips them. */
  get signatures(): VerifiedSignatures {
    return this.validator.signatures;
  }

  /** Serialises every state change: one block at a time, in arrival order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  entry(id: Uint8Array): Promise<IndexEntry | undefined> {
    return this.index.entry(id);
  }

  isMain(e: { id: Uint8Array; height: number }): Promise<boolean> {
    return this.index.isMain(e);
  }

  /** True when the store certainly lacks `idHex`, a child of `parentHex`, known from memory (BlockIndex.knownAbsent); false: ask entry(). */
  knownAbsent(idHex: string, parentHex: string): boolean {
    return this.index.knownAbsent(idHex, parentHex);
  }

  /** A header refusal remembered for this id (the id need not be fetched again), if any. */
  knownInvalid(idHex: string): string | undefined {
    return this.intake.knownInvalid(idHex);
  }

  async nextBlockContext(): Promise<NextBlockContext> {
    const ctx = await this.index.parentContext(this.tipEntry);
    return { height: ctx.height + 1, prevHash: ctx.id, target: ctx.expectedTarget, minTimestamp: ctx.medianTimePast + 1 };
  }

  /**
   * Starts the signature workers ahead of the first big block: the sync service does it at start,
   * so their start-up (a V8 isolate each, a few hundred ms on a busy machine) is over before a
   * download's first body instead of inside its first blocks' checks. Idempotent.
   */
  prepareToVerify(): void {
    this.validator.prepare();
  }

  /** The signature worker threads alive, and how many of them are warmed up and taking jobs. */
  get verifyWorkers(): { spawned: number; ready: number } {
    return this.validator.verifyWorkers;
  }

  /** Starts verifying a block's signatures before it is submitted (see BlockValidator.preverify). */
  preverify(block: Block): boolean {
    return this.validator.preverify(block);
  }

  /** Every chain tip, the active one first and then by work, at most `limit` (cached per block). */
  tips(limit = 50): Promise<ChainTip[]> {
    return this.exclusive(async () => {
      this.tipsCache ??= await listTips(this.store, this.index, this.tipEntry);
      return this.tipsCache.slice(0, limit);
    });
  }

  // ---- submit ----

  submitBlock(block: Block, opts: SubmitOptions = {}): Promise<SubmitResult> {
    return this.exclusive(() => this.intake.submit(block, opts.source ?? LOCAL_SOURCE, opts.provenWork));
  }

  /** Retries held future blocks whose time has come (also run by a timer). */
  releaseHeld(): Promise<void> {
    return this.exclusive(() => this.intake.processDueHeld());
  }

  // ---- reads (chain-reads.ts) ----

  getBlock(ref: Uint8Array | string | number): Promise<{ block: Block; entry: IndexEntry; main: boolean; confirmations: number } | undefined> {
    return this.reads.getBlock(ref);
  }
  getBlockBytes(id: Uint8Array): Promise<Uint8Array | undefined> {
    return this.reads.blockBytes(id);
  }
  async hasBlock(id: Uint8Array): Promise<boolean> {
    const idHex = toHex(id);
    return this.intake.holds(idHex) || !!(await this.index.entry(id));
  }
  getHeader(ref: Uint8Array | number): Promise<BlockHeader | undefined> {
    return this.reads.getHeader(ref);
  }
  /** A main-chain transaction with its block (also in a block the tx index has not reached yet). */
  getTx(id: Uint8Array | string): Promise<{ tx: Tx; blockId: string; height: number; index: number; confirmations: number } | undefined> {
    return this.reads.getTx(id);
  }
  getAccount(address: Uint8Array | string): Promise<Account> {
    return this.reads.getAccount(address);
  }
  /** Ids at heights tip, tip-1, tip-2, tip-4, ... and genesis (at most 101). */
  locator(): Promise<Uint8Array[]> {
    return this.reads.locator();
  }
  /** Encoded main-chain blocks after the first locator entry we have on our main chain. */
  blocksAfter(locator: Uint8Array[], limit = MAX_BLOCKS_PER_REQUEST): Promise<Uint8Array[]> {
    return this.reads.blocksAfter(locator, limit);
  }
  /** Main-chain index entries from height `from` downwards (newest first). */
  recentEntries(from: number, limit: number): Promise<IndexEntry[]> {
    return this.reads.recentEntries(from, limit);
  }

  /**
   * A read outside the chain (serving's range read of header records) found damage: reported as the
   * chain's own reads report theirs (counted, logged once per `key`, the height kept for the next start).
   */
  reportStoreDamage(what: string, key: string, height?: number): void {
    this.damaged(what, key, height);
  }

  /**
   * A read found damage: counted by the store (which remembers a main-chain `height` for the next
   * start to heal), logged once per record (`key`: block id or height), returned to be thrown.
   */
  private damaged(what: string, key = what, height?: number): StoreError {
    if (this.store.noteDamage(key, height)) {
      this.log.error('store damaged', { damage: what, recovery: RECOVERY_HINT });
      this.emit('store-damaged', `${what}; restart the node to roll back and re-sync, or ${RECOVERY_HINT}`);
    }
    return new StoreError('store-damaged', `store damaged: ${what}; ${RECOVERY_HINT}`);
  }

  orphanMissingRoot(idHex: string): string | undefined {
    return this.intake.orphanMissingRoot(idHex);
  }
}
