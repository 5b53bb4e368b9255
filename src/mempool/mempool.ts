// The mempool service: admission under the chain's rules (cheapest checks first, the signature
// last; replacements priced by fee bump, incremental relay fee and per-sender / per-source budgets),
// one queue for admissions and chain updates, following the chain (each block re-reads only the
// accounts it touched; a reorg re-reads all and returns disconnected transfers, those short only of
// funds into a retry set), expiry, and template selection by package fee rate without I/O. The
// state it changes and its consistency rules live in pool-state.ts.
// Lifetimes, age order and replacement budgets run on the monotonic clock; the wall clock only
// dates an entry for users.
import { EventEmitter } from 'node:events';
import { txIdHex, txSender, addressKey, encodeTx, RuleError, isCodedError, MAX_TX_BYTES, KeyedTokenBuckets, monotonicNow, type TransferTx, type TokenRate } from '../core/index.js';
import { toHex, fromHex } from '../crypto/index.js';
import { checkTransferStateless, touchedAddresses, type Account, type Chain, type ConnectedBlockEvent, type ReorgEvent } from '../chain/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { makeEntry, type MempoolEntry } from './entry.js';
import type { GappedQueue } from './gapped-queue.js';
import { PoolState, firstUnaffordable } from './pool-state.js';
import { DEFAULT_MEMPOOL_LIMITS, MempoolError, checkMinRelayFee, checkReplacement, outbidsForEviction, type MempoolLimits } from './policy.js';
import type { ReadyPool } from './ready-pool.js';
import { RetrySet } from './retry-set.js';
import { selectPackages } from './selection.js';

export type AdmitResult =
  | { accepted: true; id: string; replaced?: string; /** Held apart until the nonce gap closes. */ gapped?: true }
  | { accepted: false; id: string; reason: string; message: string };

export interface MempoolEvents {
  /** A transaction became ready (mineable next): relay it, maybe refresh the template. */
  added: [MempoolEntry];
  removed: [MempoolEntry, string];
}

export interface MempoolOptions {
  logger?: Logger;
  limits?: Partial<MempoolLimits>;
  /** The monotonic clock (default `monotonicNow`): lifetimes, age order and replacement budgets. */
  now?: () => number;
  /** The wall clock (default `Date.now`): only the date an entry shows users. */
  wallNow?: () => number;
}

/** Returned txs admitted between two turns of the event loop in a reorg. */
const REORG_YIELD_EVERY = 256;

/**
 * Where a transaction comes from: a user or peer (`source` tags a peer: its own replacement
 * budget), or a block the chain disconnected. A returned tx goes through the same acceptance, but a
 * replacement it makes is not the sender's doing (Bitcoin Core re-admits a reorg's txs outside
 * every per-peer limit): it neither needs nor spends the sender's or a source's budget.
 */
type Origin = { returned?: false; source?: string } | { returned: true };
const RETURNED: Origin = { returned: true };

type Slot =
  | { kind: 'ready'; index: number; existing?: MempoolEntry }
  | { kind: 'gapped'; existing?: MempoolEntry };

export class Mempool extends EventEmitter<MempoolEvents> {
  readonly limits: Readonly<MempoolLimits>;
  private readonly state: PoolState;
  private readonly ready: ReadyPool;
  private readonly gapped: GappedQueue;
  private readonly accounts: Map<string, Account>;
  private readonly retry: RetrySet;
  /** Blocks a reorg connected whose block events are still queued (afterReorg already read them). */
  private readonly reorgConnected = new Set<string>();
  // Replacement budgets per sender and per source: each accepted replacement is relayed again and
  // may rebuild a template, so it is rationed (a forgotten key starts full: at most one burst).
  private readonly senderBudget: KeyedTokenBuckets;
  private readonly sourceBudget: KeyedTokenBuckets;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  // Failures are logged by `exclusive`; an event handler must never become an unhandled rejection.
  // Queued at once (so selectForBlock, which waits for the queue, never sees a stale pool), started
  // on the next loop turn: the node's network I/O (a peer's getdata for this very block) goes first.
  private readonly onBlock = (e: ConnectedBlockEvent): void => void this.exclusive(async () => {
    await new Promise<void>((r) => setImmediate(r));
    return this.afterBlock(e);
  }).catch(() => {});
  private readonly onReorg = (e: ReorgEvent): void => void this.exclusive(() => this.afterReorg(e)).catch(() => {});

  constructor(private readonly chain: Chain, opts: MempoolOptions = {}) {
    super();
    this.limits = { ...DEFAULT_MEMPOOL_LIMITS, ...opts.limits };
    this.log = (opts.logger ?? silentLogger).child({ module: 'mempool' });
    this.now = opts.now ?? monotonicNow;
    this.wallNow = opts.wallNow ?? (() => Date.now());
    this.state = new PoolState(this.limits, { added: (e) => this.emit('added', e), removed: (e, why) => this.emit('removed', e, why) }, this.now);
    ({ ready: this.ready, gapped: this.gapped, accounts: this.accounts } = this.state);
    this.retry = new RetrySet(this.limits.retryMaxCount, this.limits.retryBlocks);
    const rate = (burst: number, everyMs: number): TokenRate => ({ burst, perSecond: everyMs > 0 ? 1000 / everyMs : Infinity });
    this.senderBudget = new KeyedTokenBuckets(rate(this.limits.senderReplacementBurst, this.limits.senderReplacementEveryMs), 10_000);
    this.sourceBudget = new KeyedTokenBuckets(rate(this.limits.sourceReplacementBurst, this.limits.sourceReplacementEveryMs), 1_000);
  }

  /** Follow the chain: confirmed txs leave, disconnected ones come back when still valid. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.chain.on('block', this.onBlock);
    this.chain.on('reorg', this.onReorg);
    // Expiry must happen even when no blocks arrive.
    const every = Math.min(60_000, this.limits.lifetimeMs, this.limits.gappedLifetimeMs);
    this.expiryTimer = setInterval(() => void this.exclusive(async () => this.state.expire(this.now())).catch(() => {}), every).unref();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.chain.off('block', this.onBlock);
    this.chain.off('reorg', this.onReorg);
    clearInterval(this.expiryTimer);
  }

  /** Resolves once every queued admission and chain update has run (including ones queued meanwhile). */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  /** Ready transactions (the pool proper). */
  get size(): number {
    return this.ready.size;
  }
  /** Encoded bytes of the ready transactions. */
  get totalBytes(): number {
    return this.ready.totalBytes;
  }
  /** Gapped transactions held apart. */
  get gappedSize(): number {
    return this.gapped.size;
  }
  /** Reorged-out transactions waiting for funds. */
  get waitingSize(): number {
    return this.retry.size;
  }
  /** Known here in any form (ready, gapped or waiting): no need to fetch it again. */
  has(id: string): boolean {
    return this.ready.has(id) || this.gapped.has(id) || this.retry.has(id);
  }
  /** A ready or gapped entry. */
  get(id: string): MempoolEntry | undefined {
    return this.ready.get(id) ?? this.gapped.get(id);
  }
  isReady(id: string): boolean {
    return this.ready.has(id);
  }

  /** Ready entries by fee rate, highest first. */
  entries(): MempoolEntry[] {
    return [...this.ready.values()].sort((a, b) => (b.feeRate > a.feeRate ? 1 : b.feeRate < a.feeRate ? -1 : a.enteredAt - b.enteredAt));
  }

  /** Next nonce for a new tx from this address: chain nonce plus its ready txs (always contiguous). */
  async pendingNonce(address: Uint8Array): Promise<bigint> {
    return this.exclusive(async () => {
      const sender = toHex(address);
      const acct = this.accounts.get(sender) ?? (await this.chain.getAccount(address));
      return acct.nonce + BigInt(this.ready.queue(sender).length);
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch((e) => this.log.error('mempool task failed', { err: String(e) }));
    return run;
  }

  /**
   * Admits a transaction. `source` is an opaque tag for where it came from (e.g. a peer id): each
   * source has its own replacement budget.
   */
  add(tx: TransferTx, source?: string): Promise<AdmitResult> {
    return this.exclusive(() => this.admit(tx, { source }));
  }

  private async admit(tx: TransferTx, origin: Origin): Promise<AdmitResult> {
    const id = txIdHex(tx);
    try {
      return await this.admitOrThrow(tx, id, origin);
    } catch (e) {
      if (!isCodedError(e)) throw e;
      return { accepted: false, id, reason: e.reason, message: e.message };
    }
  }

  private async account(sender: string, address: Uint8Array): Promise<Account> {
    return this.accounts.get(sender) ?? (await this.chain.getAccount(address));
  }

  /** Every admission rule, cheapest first and the signature last; then the pool changes. */
  private async admitOrThrow(tx: TransferTx, id: string, origin: Origin): Promise<AdmitResult> {
    const L = this.limits;
    const source = origin.returned ? undefined : origin.source;
    if (this.ready.has(id) || this.gapped.has(id)) throw new MempoolError('already-known', 'transaction already in the mempool');
    const size = encodeTx(tx).length;
    if (size > MAX_TX_BYTES) throw new MempoolError('tx-too-large', `expected at most ${MAX_TX_BYTES} bytes`);
    // Chain id and amount (no signature yet).
    checkTransferStateless(tx, this.chain.genesis.id, true);
    checkMinRelayFee(tx, size, L);
    const address = txSender(tx);
    const now = this.now();
    const entry = makeEntry(tx, id, { enteredAt: now, addedAt: this.wallNow() });
    const sender = entry.sender;
    const acct = await this.account(sender, address);
    if (tx.nonce < acct.nonce) throw new RuleError('bad-nonce', `nonce ${tx.nonce} already used (next is ${acct.nonce})`, { expected: acct.nonce.toString(), got: tx.nonce.toString() });
    if (tx.nonce >= acct.nonce + BigInt(L.perSender)) throw new MempoolError('nonce-too-far', `nonce ${tx.nonce} is ${L.perSender} or more ahead of the next nonce ${acct.nonce}`);

    const queue = this.ready.queue(sender);
    const nextPending = acct.nonce + BigInt(queue.length);
    const slot: Slot = tx.nonce <= nextPending
      ? { kind: 'ready', index: Number(tx.nonce - acct.nonce), existing: queue[Number(tx.nonce - acct.nonce)] }
      : { kind: 'gapped', existing: this.gapped.at(sender, tx.nonce) };

    // Replacement: a fee bump that also pays for its own relay, within both budgets.
    if (slot.existing) {
      // A ready replacement that spends more may leave later nonces unaffordable: it pays their fees.
      let droppedFees = 0n;
      if (slot.kind === 'ready') {
        for (let i = Math.max(slot.index + 1, firstUnaffordable(queue, acct.balance, { index: slot.index, entry })); i < queue.length; i++) droppedFees += queue[i]!.tx.fee;
      }
      checkReplacement(tx, slot.existing.tx.fee, size, L, droppedFees);
      if (!origin.returned && (this.senderBudget.tokens(sender, now) < 1 || (source !== undefined && this.sourceBudget.tokens(source, now) < 1))) {
        throw new MempoolError('replacement-rate-limited', 'too many replacements from this sender or source; try again later');
      }
      entry.enteredAt = slot.existing.enteredAt;
      entry.addedAt = slot.existing.addedAt;
    }

    // Funds: after every lower-nonce ready tx of the sender (a gapped tx at least on its own).
    let spend = tx.amount + tx.fee;
    if (slot.kind === 'ready') for (let i = 0; i < slot.index; i++) spend += queue[i]!.tx.amount + queue[i]!.tx.fee;
    if (acct.balance < spend) throw new RuleError('insufficient-funds', `balance ${acct.balance} cannot cover ${spend} with pending transactions`, { address: sender });

    if (slot.kind === 'gapped') this.gapped.checkRoom(entry);
    // A full pool: a new ready tx must outbid the worst tail of another sender. Not in a reorg's
    // batch: returned txs compete by fee rate when it ends, without the newcomer's premium.
    if (slot.kind === 'ready' && !slot.existing && !this.state.batching && this.ready.size >= L.maxCount) {
      const worst = this.ready.worstTail(sender);
      if (!worst || !outbidsForEviction(entry.feeRate, worst.feeRate, L)) {
        const need = worst ? ` (at least ${worst.feeRate + L.incrementalRelayFeeRate} per 1000 bytes)` : '';
        throw new MempoolError('mempool-full', `mempool is full and this fee rate is too low to evict anything${need}`);
      }
    }

    // The expensive check last.
    checkTransferStateless(tx, this.chain.genesis.id, this.chain.signatures.has(tx));
    // Verified once: the block that confirms it will not check this signature again.
    this.chain.signatures.add(tx);
    this.accounts.set(sender, acct);
    this.retry.delete(id);
    if (slot.existing && !origin.returned) {
      this.senderBudget.spend(sender, now);
      if (source !== undefined) this.sourceBudget.spend(source, now);
    }

    if (slot.kind === 'gapped') {
      const { replaced, evicted } = this.gapped.add(entry);
      if (replaced) this.emit('removed', replaced, 'replaced');
      for (const e of evicted) {
        this.state.dropped(e, 'evicted');
        this.state.forgetIfEmpty(e.sender);
      }
      this.log.debug('tx held (nonce gap)', { id, sender, nonce: tx.nonce.toString() });
      return replaced ? { accepted: true, id, replaced: replaced.id, gapped: true } : { accepted: true, id, gapped: true };
    }
    if (slot.existing) {
      const old = this.ready.replaceAt(slot.index, entry);
      this.emit('removed', old, 'replaced');
      this.state.announceReady(entry);
      // A bigger spend may leave later nonces unaffordable: they go (nothing stays unminable).
      this.state.dropUnaffordable(sender, acct);
      this.log.debug('tx replaced', { id, replaced: old.id, sender, nonce: tx.nonce.toString() });
      return { accepted: true, id, replaced: old.id };
    }
    this.state.appendReady(entry);
    this.state.promote(sender, acct);
    this.log.debug('tx admitted', { id, sender, nonce: tx.nonce.toString() });
    return { accepted: true, id };
  }

  /** Re-checks the pool now (tests and the expiry timer). */
  revalidateNow(): Promise<void> {
    return this.exclusive(async () => this.state.expire(this.now()));
  }

  private async afterBlock(e: ConnectedBlockEvent): Promise<void> {
    const confirmed = new Set<string>();
    for (const tx of e.block.txs) confirmed.add(txIdHex(tx));
    // Only the block's touched accounts changed; the rest of the cache stays valid.
    for (const sender of touchedAddresses(e.block)) {
      if (!this.accounts.has(sender)) continue;
      this.state.resyncSender(sender, await this.chain.getAccount(fromHex(sender)), confirmed);
    }
    for (const id of confirmed) this.retry.delete(id);
    // A block the reorg connected was already read by afterReorg: it neither pays for a waiting tx
    // nor counts against its blocks.
    if (this.reorgConnected.delete(e.id)) return;
    // Reorged-out transactions waiting for funds: try again on the new state. They were mined
    // once, as the reorg's returned txs: in a batch, competing by fee rate when it ends.
    const waiting = this.retry.afterBlock();
    if (!waiting.length) return;
    this.state.beginBatch();
    try {
      for (const w of waiting) {
        const r = await this.admit(w.tx, RETURNED);
        if (r.accepted || r.reason !== 'insufficient-funds') this.retry.delete(w.id);
      }
    } finally {
      this.state.endBatch();
    }
    // No expiry sweep here: it visits every sender, and lifetimes are hours; the expiry timer runs it.
  }

  private async afterReorg(e: ReorgEvent): Promise<void> {
    // The previous reorg's block events all ran before this one (the chain emits them in order).
    this.reorgConnected.clear();
    for (const id of e.connected) this.reorgConnected.add(id);
    // One batch: the caps are lifted until the returned txs are back and the gaps behind them
    // refilled, then the pool is trimmed once by fee rate (also if a read fails half-way).
    this.state.beginBatch();
    try {
      // Many accounts may have moved back: re-read every sender we hold.
      const senders = new Set([...this.accounts.keys()]);
      this.accounts.clear();
      const none = new Set<string>();
      for (const sender of senders) this.state.resyncSender(sender, await this.chain.getAccount(fromHex(sender)), none);
      // Disconnected transfers come back when still valid on the new tip, oldest first and at most
      // reorgReturnedMax; those that lack only funds (paid by a transfer that is pending again)
      // wait for the next blocks.
      const returned = e.removedTxs.length > this.limits.reorgReturnedMax ? e.removedTxs.slice(0, this.limits.reorgReturnedMax) : e.removedTxs;
      if (returned.length < e.removedTxs.length) {
        this.log.info('reorg returned more transactions than the pool looks at; the newest are dropped', { returned: e.removedTxs.length, kept: returned.length });
      }
      for (let i = 0; i < returned.length; i++) {
        // Thousands of signature checks: the node's network I/O gets a turn now and then.
        if (i > 0 && i % REORG_YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
        const tx = returned[i]!;
        const r = await this.admit(tx, RETURNED);
        if (r.accepted) continue;
        if (r.reason === 'insufficient-funds') this.retry.add(r.id, tx);
        else this.log.debug('disconnected tx not re-admitted', { id: r.id, reason: r.reason });
      }
    } finally {
      const before = this.ready.size;
      this.state.endBatch();
      if (this.ready.size < before) this.log.debug('pool trimmed after a reorg', { evicted: before - this.ready.size });
    }
  }

  /**
   * Re-reads the accounts of these transactions' senders and re-derives their entries (the miner
   * calls it when the chain refused a template: whatever the pool held against a stale state goes).
   */
  recheckSenders(txs: readonly TransferTx[]): Promise<void> {
    return this.exclusive(async () => {
      const none = new Set<string>();
      for (const sender of new Set(txs.map((tx) => addressKey(txSender(tx))))) {
        if (!this.accounts.has(sender)) continue;
        this.state.resyncSender(sender, await this.chain.getAccount(fromHex(sender)), none);
      }
    });
  }

  /**
   * Transactions for a block template on the tip this pool has caught up with: best package fee
   * rate first, each sender's in nonce order from its next nonce, within `maxBytes`. No I/O.
   */
  async selectForBlock(maxBytes: number): Promise<TransferTx[]> {
    await this.idle();
    return this.selectNow(maxBytes);
  }

  /** Synchronous selection over the ready pool as it stands. */
  selectNow(maxBytes: number): TransferTx[] {
    return selectPackages(this.ready.queues(), maxBytes, this.limits.minRelayFeeRate).map((e) => e.tx);
  }
}
