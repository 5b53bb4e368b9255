// The pending-transaction pool: admission under the chain's rules against tip state plus the
// sender's pending txs, bounded by count, bytes and per-sender depth, ordered by fee rate, with
// replace-by-fee, eviction, expiry, and re-validation after every new tip and reorg.
import { EventEmitter } from 'node:events';
import { txId, txSender, txSize, addressKey, encodeTx, RuleError, KadchainError, isCodedError, MAX_TX_BYTES, type TransferTx } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { checkTransferStateless, type Account, type Chain, type ConnectedBlockEvent, type ReorgEvent } from '../chain/index.js';
import { silentLogger, type Logger } from '../log/index.js';

export type MempoolReason =
  | 'already-known'
  | 'nonce-too-far'
  | 'rbf-fee-too-low'
  | 'mempool-full'
  | 'tx-too-large';

export class MempoolError extends KadchainError<MempoolReason> {}

export interface MempoolLimits {
  maxCount: number;
  maxBytes: number;
  /** Pending txs per sender, and how far past the next nonce a tx may be. */
  perSender: number;
  lifetimeMs: number;
  /** Replacement must pay at least this many percent more fee. */
  rbfBumpPercent: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = { maxCount: 5000, maxBytes: 32 * 1024 * 1024, perSender: 16, lifetimeMs: 3 * 60 * 60 * 1000, rbfBumpPercent: 10 };

export interface MempoolEntry {
  tx: TransferTx;
  id: string;
  sender: string;
  size: number;
  /** Fee per 1000 bytes, in units. */
  feeRate: bigint;
  addedAt: number;
}

export type AdmitResult = { accepted: true; id: string; replaced?: string } | { accepted: false; id: string; reason: string; message: string };

export interface MempoolEvents {
  added: [MempoolEntry];
  removed: [MempoolEntry, string];
}

export interface MempoolOptions {
  logger?: Logger;
  limits?: Partial<MempoolLimits>;
  now?: () => number;
}

const feeRateOf = (fee: bigint, size: number): bigint => (fee * 1000n) / BigInt(size);

export class Mempool extends EventEmitter<MempoolEvents> {
  private readonly byId = new Map<string, MempoolEntry>();
  /** sender address hex -> nonce -> entry */
  private readonly bySender = new Map<string, Map<bigint, MempoolEntry>>();
  private bytes = 0;
  private readonly limits: MempoolLimits;
  private readonly log: Logger;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly onBlock = (e: ConnectedBlockEvent): void => void this.exclusive(() => this.afterBlock(e));
  private readonly onReorg = (e: ReorgEvent): void => void this.exclusive(() => this.afterReorg(e));

  constructor(private readonly chain: Chain, opts: MempoolOptions = {}) {
    super();
    this.limits = { ...DEFAULT_MEMPOOL_LIMITS, ...opts.limits };
    this.log = (opts.logger ?? silentLogger).child({ module: 'mempool' });
    this.now = opts.now ?? Date.now;
  }

  /** Follow the chain: confirmed txs leave, disconnected ones come back when still valid. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.chain.on('block', this.onBlock);
    this.chain.on('reorg', this.onReorg);
    // Expiry must happen even when no blocks arrive.
    this.expiryTimer = setInterval(() => void this.exclusive(() => this.revalidate()), Math.min(60_000, this.limits.lifetimeMs)).unref();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.chain.off('block', this.onBlock);
    this.chain.off('reorg', this.onReorg);
    clearInterval(this.expiryTimer);
  }

  /** Resolves once every queued admission and re-validation has run. */
  async idle(): Promise<void> {
    await this.queue;
  }

  get size(): number {
    return this.byId.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  get(id: string): MempoolEntry | undefined {
    return this.byId.get(id);
  }

  /** Entries by fee rate, highest first. */
  entries(): MempoolEntry[] {
    return [...this.byId.values()].sort((a, b) => (b.feeRate > a.feeRate ? 1 : b.feeRate < a.feeRate ? -1 : a.addedAt - b.addedAt));
  }

  /** Next nonce for a new tx from this address: chain nonce plus its contiguous pending txs. */
  async pendingNonce(address: Uint8Array): Promise<bigint> {
    const acct = await this.chain.getAccount(address);
    const mine = this.bySender.get(addressKey(address));
    let n = acct.nonce;
    while (mine?.has(n)) n++;
    return n;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch((e) => this.log.error('mempool task failed', { err: String(e) }));
    return run;
  }

  add(tx: TransferTx): Promise<AdmitResult> {
    return this.exclusive(() => this.admit(tx));
  }

  private async admit(tx: TransferTx): Promise<AdmitResult> {
    const id = toHex(txId(tx));
    try {
      const { replaced, nextNonce } = await this.check(tx, id);
      const size = txSize(tx);
      if (replaced) this.remove(replaced, 'replaced');
      const entry: MempoolEntry = { tx, id, sender: addressKey(txSender(tx)), size, feeRate: feeRateOf(tx.fee, size), addedAt: this.now() };
      this.insert(entry);
      this.makeRoom(entry, nextNonce);
      if (!this.byId.has(id)) throw new MempoolError('mempool-full', 'mempool is full and this fee rate is too low to evict anything');
      // Verified once: the block that confirms it will not check this signature again.
      this.chain.signatures.add(tx);
      this.log.debug('tx admitted', { id, sender: entry.sender, nonce: tx.nonce.toString() });
      this.emit('added', entry);
      return replaced ? { accepted: true, id, replaced: replaced.id } : { accepted: true, id };
    } catch (e) {
      if (!isCodedError(e)) throw e;
      return { accepted: false, id, reason: e.reason, message: e.message };
    }
  }

  /** Every admission rule; returns the entry this tx replaces, if any, and the sender's chain nonce. */
  private async check(tx: TransferTx, id: string): Promise<{ replaced: MempoolEntry | undefined; nextNonce: bigint }> {
    // Seen already.
    if (this.byId.has(id)) throw new MempoolError('already-known', 'transaction already in the mempool');
    // Policy size ceiling.
    if (encodeTx(tx).length > MAX_TX_BYTES) throw new MempoolError('tx-too-large', `expected at most ${MAX_TX_BYTES} bytes`);
    // Consensus checks that need no state (chain id, amount, signature unless verified before).
    checkTransferStateless(tx, this.chain.genesis.id, this.chain.signatures.has(tx));
    const sender = addressKey(txSender(tx));
    const acct = await this.chain.getAccount(txSender(tx));
    // Replayed or already-used nonce.
    if (tx.nonce < acct.nonce) throw new RuleError('bad-nonce', `nonce ${tx.nonce} already used (next is ${acct.nonce})`, { expected: acct.nonce.toString(), got: tx.nonce.toString() });
    // Gaps are held, but only so far ahead: this window also bounds pending txs per sender.
    if (tx.nonce >= acct.nonce + BigInt(this.limits.perSender)) {
      throw new MempoolError('nonce-too-far', `nonce ${tx.nonce} is more than ${this.limits.perSender} ahead of the next nonce ${acct.nonce}`);
    }
    const mine = this.bySender.get(sender);
    const existing = mine?.get(tx.nonce);
    // Replace-by-fee: same sender and nonce, and a clearly higher fee.
    if (existing) {
      const min = existing.tx.fee + (existing.tx.fee * BigInt(this.limits.rbfBumpPercent) + 99n) / 100n;
      if (tx.fee < min || tx.fee === existing.tx.fee) throw new MempoolError('rbf-fee-too-low', `replacement fee must be at least ${min} (10% above ${existing.tx.fee})`);
    }
    // The balance covers this tx after every lower-nonce pending tx of the sender.
    let spend = tx.amount + tx.fee;
    for (const [n, e] of mine ?? []) if (n < tx.nonce) spend += e.tx.amount + e.tx.fee;
    if (acct.balance < spend) throw new RuleError('insufficient-funds', `balance ${acct.balance} cannot cover ${spend} with pending transactions`);
    return { replaced: existing, nextNonce: acct.nonce };
  }

  private insert(e: MempoolEntry): void {
    this.byId.set(e.id, e);
    let m = this.bySender.get(e.sender);
    if (!m) this.bySender.set(e.sender, (m = new Map()));
    m.set(e.tx.nonce, e);
    this.bytes += e.size;
  }

  private remove(e: MempoolEntry, why: string): void {
    if (!this.byId.delete(e.id)) return;
    const m = this.bySender.get(e.sender);
    m?.delete(e.tx.nonce);
    if (m && m.size === 0) this.bySender.delete(e.sender);
    this.bytes -= e.size;
    this.emit('removed', e, why);
  }

  /** Over a limit: drop the lowest fee rate (possibly the newcomer itself). */
  private makeRoom(newcomer: MempoolEntry, nextNonce: bigint): void {
    const full = (): boolean => this.byId.size > this.limits.maxCount || this.bytes > this.limits.maxBytes;
    // A gapped tx (its predecessor neither confirmed nor pending) cannot be mined yet: it never
    // takes the place of one that can.
    if (full() && newcomer.tx.nonce > nextNonce && !this.bySender.get(newcomer.sender)?.has(newcomer.tx.nonce - 1n)) {
      this.remove(newcomer, 'evicted');
      return;
    }
    while (full()) {
      let worst: MempoolEntry | undefined;
      for (const e of this.byId.values()) {
        // Only a sender's last tx may go: evicting one with a successor would strand the rest of
        // the sender's queue behind a gap, and a flood with rising fees would leave a pool that
        // fills no block.
        if (this.bySender.get(e.sender)?.has(e.tx.nonce + 1n)) continue;
        // Among equal rates evict the newest, and within a sender the highest nonce (no new gaps).
        if (!worst || e.feeRate < worst.feeRate || (e.feeRate === worst.feeRate && (e.addedAt > worst.addedAt || (e.sender === worst.sender && e.tx.nonce > worst.tx.nonce)))) worst = e;
      }
      if (!worst) return;
      if (worst !== newcomer && worst.feeRate === newcomer.feeRate) worst = newcomer;
      this.remove(worst, 'evicted');
    }
  }

  /** Re-checks the pool now (tests and the expiry timer). */
  revalidateNow(): Promise<void> {
    return this.exclusive(() => this.revalidate());
  }

  /** Drop expired entries and everything no longer valid against the current tip. */
  private async revalidate(): Promise<void> {
    const now = this.now();
    for (const m of [...this.bySender.values()]) {
      const any = m.values().next().value;
      if (!any) continue;
      const acct: Account = await this.chain.getAccount(txSender(any.tx));
      let spend = 0n;
      for (const n of [...m.keys()].sort((a, b) => (a < b ? -1 : 1))) {
        const e = m.get(n)!;
        spend += e.tx.amount + e.tx.fee;
        if (n < acct.nonce) this.remove(e, 'confirmed-or-stale');
        else if (n >= acct.nonce + BigInt(this.limits.perSender)) this.remove(e, 'nonce-too-far');
        else if (acct.balance < spend) this.remove(e, 'insufficient-funds');
        else if (now - e.addedAt > this.limits.lifetimeMs) this.remove(e, 'expired');
      }
    }
  }

  private async afterBlock(e: ConnectedBlockEvent): Promise<void> {
    for (const tx of e.block.txs) {
      const got = this.byId.get(toHex(txId(tx)));
      if (got) this.remove(got, 'confirmed');
    }
    await this.revalidate();
  }

  private async afterReorg(e: ReorgEvent): Promise<void> {
    // Disconnected transfers come back when still valid on the new tip; the block events that
    // follow the reorg remove whatever the new branch confirmed.
    for (const tx of e.removedTxs) {
      const r = await this.admit(tx);
      if (!r.accepted) this.log.debug('disconnected tx not re-admitted', { id: r.id, reason: r.reason });
    }
  }

  /**
   * Transactions for a block template: highest fee rate first, each sender's in nonce order from
   * its next nonce, within `maxBytes`.
   */
  async selectForBlock(maxBytes: number): Promise<TransferTx[]> {
    await this.idle();
    const heads: { sender: string; queue: MempoolEntry[] }[] = [];
    for (const [sender, m] of this.bySender) {
      const any = m.values().next().value;
      if (!any) continue;
      const acct = await this.chain.getAccount(txSender(any.tx));
      const queue: MempoolEntry[] = [];
      let balance = acct.balance;
      for (let n = acct.nonce; m.has(n); n++) {
        const e = m.get(n)!;
        if (balance < e.tx.amount + e.tx.fee) break;
        balance -= e.tx.amount + e.tx.fee;
        queue.push(e);
      }
      if (queue.length) heads.push({ sender, queue });
    }
    const out: TransferTx[] = [];
    let used = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!.queue[0];
        if (h && (best < 0 || h.feeRate > heads[best]!.queue[0]!.feeRate)) best = i;
      }
      if (best < 0) break;
      const e = heads[best]!.queue.shift()!;
      if (used + e.size + 2 > maxBytes) {
        heads[best]!.queue.length = 0; // later nonces of this sender cannot skip this one
        continue;
      }
      used += e.size + 2;
      out.push(e.tx);
    }
    return out;
  }
}
