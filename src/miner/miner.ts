// The mining service: keeps the workers busy on a fresh template. A new tip switches the search at
// once; the mempool can only replace a template that is old enough (templateMinAgeMs) and only for
// a material fee gain, and the replacement is built while the old search keeps hashing, so a
// stream of transactions or replacements cannot keep the workers idle. Rolls the extra nonce when
// a header's nonce space is exhausted and submits solved blocks to the chain. A block the chain
// refuses (anything but connected or a stale tip) drops its template: the pool re-reads the
// senders in it, the next template is built afresh, and repeated refusals back off (refusal-policy.ts).
import { EventEmitter } from 'node:events';
import { encodeHeader, decodeHeader, encodeAddress, monotonicNow, type Block } from '../core/index.js';
import type { Chain, SubmitResult } from '../chain/index.js';
import type { Mempool } from '../mempool/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { PowSearcher } from './pow-search.js';
import type { MinerImpl } from './pow-kernel.js';
import { buildTemplate, templateRoom, type BlockTemplate } from './template.js';
import { IncrementalMerkle } from './merkle-cache.js';
import { isMaterialGain, type TemplateReason } from './refresh-policy.js';
import { RefusalBackoff, DEFAULT_REFUSAL_BACKOFF, isStaleTip, type RefusalBackoffOptions } from './refusal-policy.js';

export interface MinedEvent {
  block: Block;
  id: string;
  height: number;
  result: SubmitResult;
}

export interface TemplateEvent {
  reason: TemplateReason;
  height: number;
  txs: number;
  fees: bigint;
}

/** The chain refused a block this miner found (not a stale tip): the template was dropped. */
export interface RefusedEvent {
  id: string;
  height: number;
  status: SubmitResult['status'];
  reason: string;
  /** Place in the current streak of refusals (1 for the first). */
  repeats: number;
  /** Wait before the next search. */
  backoffMs: number;
}

export interface MinerEvents {
  mined: [MinedEvent];
  refused: [RefusedEvent];
  /** A new search started on a new template. */
  template: [TemplateEvent];
}

export interface MinerOptions {
  chain: Chain;
  mempool?: Mempool;
  minerAddress: Uint8Array;
  threads?: number;
  /** Hot-loop implementation (default 'wasm', falling back to JS when it cannot load). */
  impl?: MinerImpl;
  logger?: Logger;
  /** Coalescing delay before a mempool change is looked at (default 50 ms). */
  refreshDelayMs?: number;
  /** A template with transactions is kept at least this long against mempool changes (default 1500 ms). */
  templateMinAgeMs?: number;
  /** Fee gain, in percent of the current template's fees, that justifies a new template (default 1). */
  minFeeGainPercent?: number;
  extraData?: Uint8Array;
  /** Wait after a refused block, doubled while refusals repeat (default 500 ms up to 60 s). */
  refusalBackoffMs?: Partial<RefusalBackoffOptions>;
}

export interface MinerStats {
  /** Templates mined on (each one a new search). */
  templates: number;
  /** Mempool-driven looks at a fresher template, and how many of them replaced the search. */
  refreshChecks: number;
  mempoolRefreshes: number;
  /** Found blocks the chain refused (stale tips not counted). */
  refused: number;
}

export class Miner extends EventEmitter<MinerEvents> {
  readonly stats: MinerStats = { templates: 0, refreshChecks: 0, mempoolRefreshes: 0, refused: 0 };
  private readonly searcher: PowSearcher;
  private readonly log: Logger;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private extraNonce = 0n;
  private refreshTimer: NodeJS.Timeout | undefined;
  private checking = false;
  /** The template being searched and when its search started. */
  private current: { tpl: BlockTemplate; at: number } | undefined;
  /** A fresher template the refresh check built; the loop searches it next. */
  private next: { tpl: BlockTemplate; reason: TemplateReason } | undefined;
  private blocksMined = 0;
  private readonly merkle = new IncrementalMerkle();
  private readonly refusals: RefusalBackoff;
  /** Aborts a refusal back-off wait (stop, or a new tip: a template on it is built from new state). */
  private pause: AbortController | undefined;
  private readonly onTip = (): void => this.switchNow();
  private readonly onMempool = (): void => this.scheduleCheck();

  constructor(private readonly opts: MinerOptions) {
    super();
    this.searcher = new PowSearcher({ threads: opts.threads, impl: opts.impl, logger: opts.logger });
    this.log = (opts.logger ?? silentLogger).child({ module: 'miner' });
    this.refusals = new RefusalBackoff({ ...DEFAULT_REFUSAL_BACKOFF, ...opts.refusalBackoffMs });
  }

  get hashrate(): number {
    return this.running ? this.searcher.hashrate : 0;
  }
  /** Hashes tried since the miner was created (all workers). */
  get totalHashes(): bigint {
    return this.searcher.totalHashes;
  }
  get threads(): number {
    return this.searcher.threads;
  }
  get enabled(): boolean {
    return this.running;
  }
  get mined(): number {
    return this.blocksMined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.searcher.start();
    this.opts.chain.on('block', this.onTip);
    this.opts.mempool?.on('added', this.onMempool);
    this.log.info('miner started', { threads: this.searcher.threads, kernel: this.searcher.kernel, address: encodeAddress(this.opts.minerAddress) });
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.chain.off('block', this.onTip);
    this.opts.mempool?.off('added', this.onMempool);
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.abort?.abort();
    this.pause?.abort();
    await this.searcher.stop();
    await this.loopDone;
    this.current = undefined;
    this.next = undefined;
    this.log.info('miner stopped', { mined: this.blocksMined });
  }

  /**
   * A new tip: the current work is worthless, abandon it now. A refusal back-off ends too: the next
   * template is built on new state (a repeat still doubles the wait, the streak is kept), so a
   * refusal cannot keep the miner off a chain that moved for up to a minute.
   */
  private switchNow(): void {
    if (!this.running) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.next = undefined;
    this.abort?.abort();
    this.pause?.abort();
  }

  /** Mempool changed: look again once the template is old enough (coalescing a burst into one look). */
  private scheduleCheck(): void {
    if (!this.running || this.refreshTimer) return;
    const delay = this.opts.refreshDelayMs ?? 50;
    const cur = this.current;
    // An empty template takes its first transactions at once; a full one only when old enough.
    const minAge = cur && cur.tpl.block.txs.length > 1 ? this.opts.templateMinAgeMs ?? 1500 : 0;
    const wait = Math.max(delay, cur ? minAge - (monotonicNow() - cur.at) : delay);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.checkRefresh();
    }, wait);
  }

  /** Builds a fresher template beside the running search and switches only for a material gain. */
  private async checkRefresh(): Promise<void> {
    const cur = this.current;
    if (!this.running || !cur) return;
    if (this.checking) return this.scheduleCheck(); // look again after the running look
    this.checking = true;
    try {
      this.stats.refreshChecks++;
      // Selection alone prices the fresher pool; the full template only when it is worth it.
      const pool = this.opts.mempool;
      if (!pool) return;
      await pool.idle();
      const fees = pool.selectNow(templateRoom(this.opts.chain)).reduce((s, t) => s + t.fee, 0n);
      if (!isMaterialGain(cur.tpl.fees, fees, this.opts.minFeeGainPercent ?? 1)) return;
      const tpl = await this.build();
      if (!this.running || this.current !== cur || tpl.parentHex !== cur.tpl.parentHex) return;
      if (!isMaterialGain(cur.tpl.fees, tpl.fees, this.opts.minFeeGainPercent ?? 1)) return;
      this.stats.mempoolRefreshes++;
      this.next = { tpl, reason: 'mempool' };
      this.abort?.abort();
    } catch (e) {
      this.log.warn('template refresh failed', { err: String(e) });
    } finally {
      this.checking = false;
    }
  }

  private build(): Promise<BlockTemplate> {
    return buildTemplate(this.opts.chain, this.opts.mempool, {
      minerAddress: this.opts.minerAddress,
      extraNonce: this.extraNonce,
      now: Date.now(),
      extraData: this.opts.extraData,
      merkle: this.merkle,
    });
  }

  /**
   * The chain refused a block found on `tpl`: the template goes (never mined again), the pool
   * re-reads the senders it held, and the next search waits while refusals repeat. Logged at warn
   * once per reason in a streak; repeats at debug.
   */
  private async refused(tpl: BlockTemplate, result: SubmitResult): Promise<void> {
    this.stats.refused++;
    const reason = result.reason ?? result.status;
    const { repeats, backoffMs, news } = this.refusals.note(reason);
    const fields = { status: result.status, reason, message: result.message, height: result.height, id: result.id, txs: tpl.block.txs.length, repeats, backoffMs };
    if (news) this.log.warn('mined block refused', fields);
    else this.log.debug('mined block refused again', fields);
    this.next = undefined;
    this.current = undefined; // no mempool look compares against a dropped template
    // A fresh coinbase too: the same transactions on the same tip never hash to the refused block.
    this.extraNonce++;
    this.emit('refused', { id: result.id, height: result.height, status: result.status, reason, repeats, backoffMs });
    // Queued in the pool, not awaited: the next template's selection waits for the pool anyway.
    const transfers = tpl.block.txs.filter((t) => t.kind === 'transfer');
    this.opts.mempool?.recheckSenders(transfers).catch((e) => this.log.warn('mempool recheck after a refused block failed', { err: String(e) }));
    if (!this.running) return;
    const pause = (this.pause = new AbortController());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, backoffMs);
      pause.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    this.pause = undefined;
  }

  private async loop(): Promise<void> {
    let reason: TemplateReason = 'start';
    while (this.running) {
      try {
        let chosen = this.next;
        this.next = undefined;
        if (!chosen || chosen.tpl.parentHex !== this.opts.chain.tip.idHex) {
          // This build sees every mempool change so far: a look already scheduled is moot.
          clearTimeout(this.refreshTimer);
          this.refreshTimer = undefined;
          chosen = { tpl: await this.build(), reason };
        }
        const tpl = chosen.tpl;
        if (!this.running) break;
        if (tpl.parentHex !== this.opts.chain.tip.idHex) {
          reason = 'tip'; // tip moved while building
          continue;
        }
        this.abort = new AbortController();
        this.current = { tpl, at: monotonicNow() }; // a template's age; its header time is wall clock
        this.stats.templates++;
        this.emit('template', { reason: chosen.reason, height: tpl.block.header.height, txs: tpl.block.txs.length - 1, fees: tpl.fees });
        const res = await this.searcher.search(encodeHeader(tpl.block.header), {}, this.abort.signal);
        if (!this.running) break;
        if (res.status === 'exhausted') {
          this.extraNonce++; // new coinbase, new merkle root, fresh nonce space
          reason = 'exhausted';
          continue;
        }
        reason = 'tip';
        if (res.status !== 'found') continue;
        const block: Block = { header: decodeHeader(res.header), txs: tpl.block.txs };
        const result = await this.opts.chain.submitBlock(block);
        if (result.status === 'connected') {
          this.blocksMined++;
          const streak = this.refusals.reset();
          if (streak) this.log.info('mining recovered', { refusedBefore: streak });
          this.log.info('mined block', { height: result.height, id: result.id, txs: block.txs.length, fees: tpl.fees.toString() });
        } else if (isStaleTip(result.status)) {
          this.log.info('mined block is stale', { status: result.status, height: result.height, id: result.id });
        }
        this.emit('mined', { block, id: result.id, height: result.height, result });
        if (result.status !== 'connected' && !isStaleTip(result.status)) {
          await this.refused(tpl, result);
          reason = 'refused';
        }
      } catch (e) {
        if (!this.running) break;
        this.log.error('mining loop error', { err: String(e) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
