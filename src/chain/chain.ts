// The Chain: validates and stores blocks, chooses the most-work branch, reorganises atomically
// with undo records, keeps orphans, and answers reads. It knows nothing of peers: it reports a
// status and a reason, and the network edge decides what that costs the sender.
import { EventEmitter } from 'node:events';
import {
  blockId, encodeBlock, decodeBlock, txId, txIdHex, txSigningBytes, targetToBigInt, workForTarget, parseAddress, RuleError, isCodedError,
  type Block, type Genesis, type Tx, type TransferTx, type BlockHeader,
} from '../core/index.js';
import { toHex, fromHex, bytesEqual } from '../crypto/index.js';
import { ChainStore, BlockStatus, type IndexRecord, type AccountRecord, type UndoEntry } from '../store/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { checkHeader, type ParentContext } from './header-rules.js';
import { checkBlockBody, applyBlockToState, touchedAddresses } from './block-rules.js';
import { checkProofOfWork, hasValidWork, retargetWindow, retargetTarget, medianTimePast, MEDIAN_TIME_SPAN } from './pow.js';
import { OrphanPool, DEFAULT_ORPHAN_LIMITS, type OrphanLimits } from './orphans.js';
import { SignatureVerifier, type PendingVerification, type SignatureItem } from './sig-verifier.js';
import { VerifiedSignatures } from './verified-signatures.js';
import type { Account } from './tx-rules.js';

export type SubmitStatus = 'connected' | 'side' | 'orphan' | 'duplicate' | 'invalid';

export interface SubmitResult {
  status: SubmitStatus;
  id: string;
  height: number;
  /** Rule code when status is 'invalid' (e.g. 'bad-pow'). */
  reason?: string;
  message?: string;
  /** For orphans: the ancestor id to fetch. */
  missing?: string;
}

export interface IndexEntry extends IndexRecord {
  id: Uint8Array;
  idHex: string;
}

/** A chain tip (Bitcoin Core's getchaintips): the active tip, and the end of every side branch. */
export interface ChainTip {
  id: string;
  height: number;
  work: bigint;
  timestamp: number;
  /** Height of the main-chain block the branch grows from (the tip's own height when active). */
  forkHeight: number;
  /** Blocks from the fork point to the tip; 0 for the active tip. */
  branchLength: number;
  /**
   * active: the connected tip. fork: a side branch with checked bodies (its state rules are checked
   * only if it ever has the most work). invalid: the branch contains a block that broke a rule.
   */
  status: 'active' | 'fork' | 'invalid';
}

export interface TipInfo {
  id: Uint8Array;
  idHex: string;
  height: number;
  work: bigint;
  timestamp: number;
  target: bigint;
}

export interface ConnectedBlockEvent {
  block: Block;
  id: string;
  height: number;
}

export interface ReorgEvent {
  forkHeight: number;
  disconnected: string[];
  connected: string[];
  /** Transfers from disconnected blocks that the new branch does not contain. */
  removedTxs: TransferTx[];
}

export interface ChainEvents {
  block: [ConnectedBlockEvent];
  reorg: [ReorgEvent];
  'tx-removed': [TransferTx[]];
}

export interface NextBlockContext {
  height: number;
  prevHash: Uint8Array;
  target: bigint;
  /** Earliest valid timestamp (median-time-past + 1). */
  minTimestamp: number;
}

export interface ChainOptions {
  dataDir: string;
  genesis: Genesis;
  logger?: Logger;
  now?: () => number;
  orphanLimits?: OrphanLimits;
  /** Index entries kept in memory (LRU); memory stays flat however long the chain grows. */
  indexCacheSize?: number;
  /** Verify block signatures on worker threads too (default true). */
  parallelVerify?: boolean;
}

const MAX_LOCATOR = 101;
export const MAX_BLOCKS_PER_REQUEST = 500;

export class Chain extends EventEmitter<ChainEvents> {
  readonly genesis: Genesis;
  readonly params: Genesis['params'];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly orphans: OrphanPool;
  private readonly cache = new Map<string, IndexEntry>();
  private readonly cacheSize: number;
  /** Blocks that failed a rule before being stored: refused again without rework (bounded). */
  private readonly rejected = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private tipEntry!: IndexEntry;
  private readonly verifier: SignatureVerifier;
  /** Transfers already verified here or by the mempool: a block of relayed txs skips them. */
  readonly signatures = new VerifiedSignatures();
  private tipsCache: ChainTip[] | undefined;
  /** Signature checks started by `preverify`, by block id (a few blocks ahead at most). */
  private readonly preverified = new Map<string, { block: Block; unchecked: TransferTx[]; pending: PendingVerification }>();

  private constructor(readonly store: ChainStore, opts: ChainOptions) {
    super();
    this.genesis = opts.genesis;
    this.params = opts.genesis.params;
    this.log = (opts.logger ?? silentLogger).child({ module: 'chain' });
    this.now = opts.now ?? Date.now;
    this.orphans = new OrphanPool(opts.orphanLimits ?? DEFAULT_ORPHAN_LIMITS);
    this.cacheSize = opts.indexCacheSize ?? 8192;
    // No worker threads when parallelVerify is off: every signature is checked inline.
    this.verifier = new SignatureVerifier(opts.parallelVerify === false ? 0 : undefined);
  }

  static async open(opts: ChainOptions): Promise<Chain> {
    const g = opts.genesis;
    const store = await ChainStore.open({
      dataDir: opts.dataDir,
      genesisId: g.id,
      initialize: (batch) => {
        const bytes = encodeBlock(g.block);
        const h = g.block.header;
        batch.putBlock(g.id, bytes, { height: 0, parent: h.prevHash, timestamp: h.timestamp, target: h.target, work: workForTarget(h.target), status: BlockStatus.Stored, size: bytes.length });
        batch.putMain(0, g.id).setTip(g.id);
        for (const a of g.params.alloc) batch.putAccount(a.address, { balance: a.amount, nonce: 0n });
        for (const [i, tx] of g.block.txs.entries()) batch.putTx(txId(tx), { blockId: g.id, index: i });
      },
    });
    const chain = new Chain(store, opts);
    try {
      const tipId = await store.getTipId();
      const tip = await chain.entry(tipId);
      if (!tip) throw new Error(`data dir ${opts.dataDir}: tip ${toHex(tipId)} has no index entry`);
      chain.tipEntry = tip;
    } catch (e) {
      await chain.verifier.stop();
      await store.close();
      throw e;
    }
    chain.log.info('chain opened', { height: chain.tipEntry.height, tip: chain.tipEntry.idHex, genesis: g.idHex });
    return chain;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    await this.verifier.stop();
    await this.store.close();
  }

  get tip(): TipInfo {
    const t = this.tipEntry;
    return { id: t.id, idHex: t.idHex, height: t.height, work: t.work, timestamp: t.timestamp, target: targetToBigInt(t.target) };
  }

  get orphanCount(): number {
    return this.orphans.size;
  }

  /** Serialises every state change: one block at a time, in arrival order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  // ---- index ----

  async entry(id: Uint8Array): Promise<IndexEntry | undefined> {
    const idHex = toHex(id);
    const hit = this.cache.get(idHex);
    if (hit) {
      this.cache.delete(idHex);
      this.cache.set(idHex, hit);
      return hit;
    }
    const rec = await this.store.getIndex(id);
    if (!rec) return undefined;
    const e: IndexEntry = { ...rec, id, idHex };
    this.remember(e);
    return e;
  }

  private remember(e: IndexEntry): void {
    this.cache.delete(e.idHex);
    this.cache.set(e.idHex, e);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  async isMain(e: { id: Uint8Array; height: number }): Promise<boolean> {
    if (e.height > this.tipEntry.height) return false;
    const m = await this.store.getMainId(e.height);
    return !!m && bytesEqual(m, e.id);
  }

  /** Ancestor of `e` at `height` (main chain shortcut once the branch meets it). */
  private async ancestor(e: IndexEntry, height: number): Promise<IndexEntry> {
    let cur = e;
    while (cur.height > height) {
      if (await this.isMain(cur)) {
        const id = await this.store.getMainId(height);
        const a = id && (await this.entry(id));
        if (a) return a;
      }
      const p = await this.entry(cur.parent);
      if (!p) throw new Error(`index broken: missing parent of ${cur.idHex}`);
      cur = p;
    }
    return cur;
  }

  /** Everything a child of `parent` is checked against. */
  private async parentContext(parent: IndexEntry): Promise<ParentContext> {
    const stamps: number[] = [];
    let cur: IndexEntry | undefined = parent;
    for (let i = 0; i < MEDIAN_TIME_SPAN && cur; i++) {
      stamps.push(cur.timestamp);
      cur = cur.height > 0 ? await this.entry(cur.parent) : undefined;
    }
    const parentTarget = targetToBigInt(parent.target);
    const window = retargetWindow(parent.height + 1, this.params);
    let expectedTarget = parentTarget;
    if (window) {
      const first = await this.ancestor(parent, window.firstHeight);
      expectedTarget = retargetTarget(this.params, parentTarget, window, first.timestamp, parent.timestamp);
    }
    return { id: parent.id, height: parent.height, expectedTarget, medianTimePast: medianTimePast(stamps) };
  }

  async nextBlockContext(): Promise<NextBlockContext> {
    const ctx = await this.parentContext(this.tipEntry);
    return { height: ctx.height + 1, prevHash: ctx.id, target: ctx.expectedTarget, minTimestamp: ctx.medianTimePast + 1 };
  }

  // ---- submit ----

  /**
   * Starts verifying a block's signatures on the worker threads before it is submitted, so a
   * syncing node checks block n+1's signatures while it applies block n. Only blocks with valid
   * work are taken, and only a few at a time; submitBlock picks the result up. True if it started.
   */
  preverify(block: Block): boolean {
    if (!this.verifier.parallel) return false;
    const idBytes = blockId(block);
    const id = toHex(idBytes);
    if (this.preverified.has(id) || !hasValidWork(idBytes, targetToBigInt(block.header.target))) return false;
    const unchecked = block.txs.filter((t): t is TransferTx => t.kind === 'transfer' && !this.signatures.has(t));
    this.preverified.set(id, { block, unchecked, pending: this.verifier.begin(unchecked.map(signatureItem)) });
    if (this.preverified.size > MAX_PREVERIFIED) this.preverified.delete(this.preverified.keys().next().value!);
    return true;
  }

  /**
   * Every chain tip, the active one first and then by work, at most `limit`. Scans the block
   * index as Core does (cached until the next submitted block), then walks each branch back to
   * the main chain.
   */
  tips(limit = 50): Promise<ChainTip[]> {
    return this.exclusive(async () => {
      if (!this.tipsCache) {
        const parents = new Set<string>();
        const all = new Map<string, IndexRecord>();
        for await (const [id, rec] of this.store.indexRecords()) {
          all.set(toHex(id), rec);
          parents.add(toHex(rec.parent));
        }
        const ends = [...all].filter(([id]) => !parents.has(id) || id === this.tipEntry.idHex);
        const tips: ChainTip[] = [];
        for (const [id, rec] of ends) {
          let status: ChainTip['status'] = id === this.tipEntry.idHex ? 'active' : 'fork';
          let cur: { id: Uint8Array; height: number; rec: IndexRecord } = { id: fromHex(id, 32), height: rec.height, rec };
          while (!(await this.isMain(cur))) {
            if (cur.rec.status === BlockStatus.Invalid) status = 'invalid';
            const parent = all.get(toHex(cur.rec.parent));
            if (!parent) break; // cannot happen: every stored block's parent is stored
            cur = { id: cur.rec.parent, height: parent.height, rec: parent };
          }
          tips.push({ id, height: rec.height, work: rec.work, timestamp: rec.timestamp, forkHeight: cur.height, branchLength: rec.height - cur.height, status });
        }
        const rank = (t: ChainTip): number => (t.status === 'active' ? 0 : 1);
        this.tipsCache = tips.sort((a, b) => rank(a) - rank(b) || (a.work === b.work ? b.height - a.height : a.work > b.work ? -1 : 1));
      }
      return this.tipsCache.slice(0, limit);
    });
  }

  submitBlock(block: Block): Promise<SubmitResult> {
    return this.exclusive(async () => {
      this.tipsCache = undefined;
      const first = await this.processBlock(block);
      // Children that were waiting for this block (and their children) now have a parent.
      if (first.status === 'connected' || first.status === 'side') {
        const pending = this.orphans.takeChildren(first.id);
        while (pending.length) {
          const child = pending.shift()!;
          const r = await this.processBlock(child);
          if (r.status === 'connected' || r.status === 'side') pending.push(...this.orphans.takeChildren(r.id));
        }
      }
      return first;
    });
  }

  private async processBlock(block: Block): Promise<SubmitResult> {
    const idBytes = blockId(block);
    const id = toHex(idBytes);
    const height = block.header.height;
    const invalid = (e: unknown): SubmitResult => {
      if (!isCodedError(e)) throw e;
      // Remember refusals that the header id commits to; a bad merkle root may be a mutated body
      // under an honest header, and a future timestamp may become valid.
      if (e.reason !== 'time-too-new' && e.reason !== 'bad-merkle') {
        this.rejected.set(id, e.reason);
        if (this.rejected.size > 10_000) this.rejected.delete(this.rejected.keys().next().value!);
      }
      this.log.debug('block refused', { id, height, reason: e.reason });
      return { status: 'invalid', id, height, reason: e.reason, message: e.message };
    };

    const known = await this.entry(idBytes);
    if (known) return known.status === BlockStatus.Invalid ? { status: 'invalid', id, height, reason: 'known-invalid' } : { status: 'duplicate', id, height };
    const rej = this.rejected.get(id);
    if (rej) return { status: 'invalid', id, height, reason: rej };
    if (this.orphans.has(id)) return { status: 'duplicate', id, height };

    // Cheapest first: the work must be real and within powLimit before we keep anything.
    try {
      if (targetToBigInt(block.header.target) > this.params.powLimit) throw new RuleError('bad-target', 'target easier than powLimit');
      checkProofOfWork(block.header, idBytes);
    } catch (e) {
      return invalid(e);
    }

    const parent = await this.entry(block.header.prevHash);
    if (!parent) {
      const size = encodeBlock(block).length;
      this.orphans.add(block, size, this.now());
      return { status: 'orphan', id, height, missing: this.orphans.missingRoot(id) ?? toHex(block.header.prevHash) };
    }
    if (parent.status === BlockStatus.Invalid) return invalid(new RuleError('bad-prev', 'parent block is invalid'));

    let bytes: Uint8Array;
    try {
      checkHeader(block.header, await this.parentContext(parent), this.params, this.now(), idBytes);
      bytes = encodeBlock(block);
      // Signatures (the costly part) are spread over all cores; the reported reason never depends
      // on the thread count.
      // Only for this very object: another body under the same header must be checked on its own.
      const found = this.preverified.get(id);
      this.preverified.delete(id);
      const pre = found?.block === block ? found : undefined;
      const unchecked = pre?.unchecked ?? block.txs.filter((t): t is TransferTx => t.kind === 'transfer' && !this.signatures.has(t));
      const pending = pre?.pending ?? this.verifier.begin(unchecked.map(signatureItem));
      // The body rules run while the workers verify; a bad signature re-runs them with every
      // signature inline so the reported reason is the one a single thread would give.
      let bodyError: unknown;
      try {
        checkBlockBody(block, this.params, this.genesis.id, bytes.length, true);
      } catch (e) {
        bodyError = e;
      }
      const bad = await pending.finish();
      if (bad >= 0) {
        checkBlockBody(block, this.params, this.genesis.id, bytes.length, false);
        throw new RuleError('bad-signature', `transaction ${txIdHex(unchecked[bad]!)} signature does not verify`);
      }
      if (bodyError) throw bodyError;
      for (const t of unchecked) this.signatures.add(t);
    } catch (e) {
      return invalid(e);
    }

    const entry: IndexEntry = {
      id: idBytes, idHex: id, height, parent: parent.id, timestamp: block.header.timestamp, target: block.header.target,
      work: parent.work + workForTarget(block.header.target), status: BlockStatus.Stored, size: bytes.length,
    };

    // Fork choice: strictly more work wins; ties stay with the first seen.
    if (entry.work <= this.tipEntry.work) {
      await this.store.batch().putBlock(idBytes, bytes, entry).write();
      this.remember(entry);
      this.log.debug('stored side block', { id, height });
      return { status: 'side', id, height };
    }
    const err = await this.reorganize(entry, { block, bytes });
    if (err) return invalid(err);
    return { status: 'connected', id, height };
  }


  private async loadBlock(id: Uint8Array): Promise<Block> {
    const b = await this.store.getBlockBytes(id);
    if (!b) throw new Error(`block ${toHex(id)} missing from store`);
    return decodeBlock(b);
  }

  /**
   * Makes `target` the tip: disconnects to the fork point and connects the branch, all in one
   * batch. If a branch block breaks a state rule it is marked invalid and the best valid prefix
   * (if it beats the current tip) is connected instead. Returns the rule error when `target`
   * itself (or an ancestor) is invalid.
   */
  private async reorganize(target: IndexEntry, fresh?: { block: Block; bytes: Uint8Array }): Promise<RuleError | undefined> {
    const oldTip = this.tipEntry;
    // The branch from target back to the main chain.
    const branch: IndexEntry[] = [];
    let cur: IndexEntry = target;
    while (!(await this.isMain(cur))) {
      if (cur.status === BlockStatus.Invalid) return new RuleError('bad-prev', 'branch contains an invalid block');
      branch.push(cur);
      const p = await this.entry(cur.parent);
      if (!p) throw new Error(`index broken: missing parent of ${cur.idHex}`);
      cur = p;
    }
    const fork = cur;
    branch.reverse();

    const batch = this.store.batch();
    const overlay = new Map<string, AccountRecord>();
    const readAccounts = async (keys: string[]): Promise<void> => {
      const missing = keys.filter((k) => !overlay.has(k));
      if (!missing.length) return;
      const vals = await this.store.getAccounts(missing.map((k) => fromHex(k)));
      missing.forEach((k, i) => overlay.set(k, vals[i] ?? { balance: 0n, nonce: 0n }));
    };

    // Disconnect main blocks above the fork, newest first, restoring prior account values.
    const disconnected: { entry: IndexEntry; block: Block }[] = [];
    for (let h = oldTip.height; h > fork.height; h--) {
      const id = (await this.store.getMainId(h))!;
      const block = await this.loadBlock(id);
      const undo = await this.store.getUndo(id);
      if (!undo) throw new Error(`undo data missing for ${toHex(id)}`);
      for (const u of undo) overlay.set(toHex(u.address), u.prior);
      batch.delMain(h);
      for (const tx of block.txs) batch.del('txs', txId(tx));
      disconnected.push({ entry: (await this.entry(id))!, block });
    }

    // Connect the branch, oldest first.
    const connected: { entry: IndexEntry; block: Block }[] = [];
    let failure: { at: number; error: RuleError } | undefined;
    for (let i = 0; i < branch.length; i++) {
      const e = branch[i]!;
      const block = fresh && e === target ? fresh.block : await this.loadBlock(e.id);
      const keys = touchedAddresses(block);
      await readAccounts(keys);
      let change;
      try {
        change = applyBlockToState(block, (k) => overlay.get(k)!, this.params);
      } catch (err) {
        if (!isCodedError(err)) throw err;
        failure = { at: i, error: err as RuleError };
        break;
      }
      const undo: UndoEntry[] = [];
      for (const [k, prior] of change.before) undo.push({ address: fromHex(k), prior });
      for (const [k, acct] of change.after) overlay.set(k, acct);
      batch.putUndo(e.id, undo).putMain(e.height, e.id);
      block.txs.forEach((tx, idx) => batch.putTx(txId(tx), { blockId: e.id, index: idx }));
      connected.push({ entry: e, block });
    }

    if (failure) {
      const bad = branch[failure.at]!;
      this.log.warn('branch block breaks a state rule', { id: bad.idHex, height: bad.height, reason: failure.error.reason });
      // Mark stored branch blocks from the failure on as invalid, so they are never tried again.
      const mark = this.store.batch();
      for (const e of branch.slice(failure.at)) {
        if (fresh && e === target) continue;
        e.status = BlockStatus.Invalid;
        mark.putIndex(e.id, e);
      }
      await mark.write();
      const lastGood = failure.at > 0 ? branch[failure.at - 1]! : undefined;
      if (lastGood && lastGood.work > oldTip.work) await this.reorganize(lastGood);
      return bad === target ? failure.error : new RuleError('bad-prev', `ancestor ${bad.idHex} is invalid: ${failure.error.reason}`);
    }

    if (fresh) batch.putBlock(target.id, fresh.bytes, target);
    for (const [k, acct] of overlay) batch.putAccount(fromHex(k), acct);
    batch.setTip(target.id);
    await batch.write();
    this.remember(target);
    this.tipEntry = target;

    if (disconnected.length) {
      const inBranch = new Set<string>();
      for (const c of connected) for (const tx of c.block.txs) inBranch.add(toHex(txId(tx)));
      const removedTxs: TransferTx[] = [];
      for (const d of [...disconnected].reverse()) {
        for (const tx of d.block.txs) if (tx.kind === 'transfer' && !inBranch.has(toHex(txId(tx)))) removedTxs.push(tx);
      }
      this.log.info('reorganized', { forkHeight: fork.height, disconnected: disconnected.length, connected: connected.length, tip: target.idHex });
      this.emit('reorg', { forkHeight: fork.height, disconnected: disconnected.map((d) => d.entry.idHex), connected: connected.map((c) => c.entry.idHex), removedTxs });
      if (removedTxs.length) this.emit('tx-removed', removedTxs);
    }
    for (const c of connected) {
      this.log.debug('connected block', { height: c.entry.height, id: c.entry.idHex, txs: c.block.txs.length });
      this.emit('block', { block: c.block, id: c.entry.idHex, height: c.entry.height });
    }
    return undefined;
  }

  // ---- reads ----

  async getBlock(ref: Uint8Array | string | number): Promise<{ block: Block; entry: IndexEntry; main: boolean; confirmations: number } | undefined> {
    let id: Uint8Array | undefined;
    if (typeof ref === 'number') id = await this.store.getMainId(ref);
    else id = typeof ref === 'string' ? fromHex(ref, 32) : ref;
    if (!id) return undefined;
    const entry = await this.entry(id);
    const bytes = entry && (await this.store.getBlockBytes(id));
    if (!entry || !bytes) return undefined;
    const main = await this.isMain(entry);
    return { block: decodeBlock(bytes), entry, main, confirmations: main ? this.tipEntry.height - entry.height + 1 : 0 };
  }

  async getBlockBytes(id: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.getBlockBytes(id);
  }

  async hasBlock(id: Uint8Array): Promise<boolean> {
    return this.orphans.has(toHex(id)) || !!(await this.entry(id));
  }

  async getHeader(ref: Uint8Array | number): Promise<BlockHeader | undefined> {
    return (await this.getBlock(ref))?.block.header;
  }

  /** A main-chain transaction with its block. */
  async getTx(id: Uint8Array | string): Promise<{ tx: Tx; blockId: string; height: number; index: number; confirmations: number } | undefined> {
    const idBytes = typeof id === 'string' ? fromHex(id, 32) : id;
    const loc = await this.store.getTxLocation(idBytes);
    if (!loc) return undefined;
    const b = await this.getBlock(loc.blockId);
    const tx = b?.block.txs[loc.index];
    if (!b || !tx) return undefined;
    return { tx, blockId: b.entry.idHex, height: b.entry.height, index: loc.index, confirmations: b.confirmations };
  }

  async getAccount(address: Uint8Array | string): Promise<Account> {
    const a = typeof address === 'string' ? parseAddress(address) : address;
    return (await this.store.getAccount(a)) ?? { balance: 0n, nonce: 0n };
  }

  /** Ids at heights tip, tip-1, tip-2, tip-4, ... and genesis (at most 101). */
  async locator(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let h = this.tipEntry.height;
    let step = 1;
    while (h > 0 && out.length < MAX_LOCATOR - 1) {
      out.push((await this.store.getMainId(h))!);
      h -= step;
      if (out.length >= 2) step *= 2;
    }
    out.push(this.genesis.id);
    return out;
  }

  /** Encoded main-chain blocks after the first locator entry we have on our main chain. */
  async blocksAfter(locator: Uint8Array[], limit = MAX_BLOCKS_PER_REQUEST): Promise<Uint8Array[]> {
    let start = 0;
    for (const id of locator.slice(0, MAX_LOCATOR)) {
      const e = await this.entry(id);
      if (e && (await this.isMain(e))) {
        start = e.height + 1;
        break;
      }
    }
    const out: Uint8Array[] = [];
    const end = Math.min(this.tipEntry.height, start + Math.min(limit, MAX_BLOCKS_PER_REQUEST) - 1);
    for (let h = start; h <= end; h++) {
      const id = await this.store.getMainId(h);
      const b = id && (await this.store.getBlockBytes(id));
      if (b) out.push(b);
    }
    return out;
  }

  /** Main-chain index entries from height `from` downwards (newest first). */
  async recentEntries(from: number, limit: number): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (let h = Math.min(from, this.tipEntry.height); h >= 0 && out.length < limit; h--) {
      const id = await this.store.getMainId(h);
      const e = id && (await this.entry(id));
      if (e) out.push(e);
    }
    return out;
  }

  orphanMissingRoot(idHex: string): string | undefined {
    return this.orphans.missingRoot(idHex);
  }
}

/** How many blocks `preverify` may run ahead of submitBlock. */
const MAX_PREVERIFIED = 4;

function signatureItem(t: TransferTx): SignatureItem {
  return { msg: txSigningBytes(t), sig: t.signature, pub: t.from };
}
