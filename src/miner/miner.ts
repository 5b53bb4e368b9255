// The mining service: keeps the workers busy on a fresh template, rebuilds it when the tip moves
// or the mempool offers more fees (within 100 ms), rolls the extra nonce when a header's nonce
// space is exhausted, and submits solved blocks to the chain.
import { EventEmitter } from 'node:events';
import { encodeHeader, decodeHeader, encodeAddress, type Block } from '../core/index.js';
import type { Chain, SubmitResult } from '../chain/index.js';
import type { Mempool } from '../mempool/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { PowSearcher } from './pow-search.js';
import type { MinerImpl } from './pow-kernel.js';
import { buildTemplate } from './template.js';

export interface MinedEvent {
  block: Block;
  id: string;
  height: number;
  result: SubmitResult;
}

export interface MinerEvents {
  mined: [MinedEvent];
}

export interface MinerOptions {
  chain: Chain;
  mempool?: Mempool;
  minerAddress: Uint8Array;
  threads?: number;
  /** Hot-loop implementation (default 'wasm', falling back to JS when it cannot load). */
  impl?: MinerImpl;
  logger?: Logger;
  /** Coalescing delay for mempool-driven template refreshes. */
  refreshDelayMs?: number;
  extraData?: Uint8Array;
}

export class Miner extends EventEmitter<MinerEvents> {
  private readonly searcher: PowSearcher;
  private readonly log: Logger;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private extraNonce = 0n;
  private refreshTimer: NodeJS.Timeout | undefined;
  private blocksMined = 0;
  private readonly onTip = (): void => this.refresh(0);
  private readonly onMempool = (): void => this.refresh(this.opts.refreshDelayMs ?? 50);

  constructor(private readonly opts: MinerOptions) {
    super();
    this.searcher = new PowSearcher({ threads: opts.threads, impl: opts.impl, logger: opts.logger });
    this.log = (opts.logger ?? silentLogger).child({ module: 'miner' });
  }

  get hashrate(): number {
    return this.running ? this.searcher.hashrate : 0;
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
    this.abort?.abort();
    await this.searcher.stop();
    await this.loopDone;
    this.log.info('miner stopped', { mined: this.blocksMined });
  }

  /** Abandon the current search so the loop builds a new template. */
  private refresh(delayMs: number): void {
    if (!this.running) return;
    if (delayMs === 0) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
      this.abort?.abort();
      return;
    }
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.abort?.abort();
    }, delayMs);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const tpl = await buildTemplate(this.opts.chain, this.opts.mempool, {
          minerAddress: this.opts.minerAddress,
          extraNonce: this.extraNonce,
          now: Date.now(),
          extraData: this.opts.extraData,
        });
        if (!this.running) break;
        if (tpl.parentHex !== this.opts.chain.tip.idHex) continue; // tip moved while building
        this.abort = new AbortController();
        const res = await this.searcher.search(encodeHeader(tpl.block.header), {}, this.abort.signal);
        if (!this.running) break;
        if (res.status === 'exhausted') {
          this.extraNonce++; // new coinbase, new merkle root, fresh nonce space
          continue;
        }
        if (res.status !== 'found') continue;
        const block: Block = { header: decodeHeader(res.header), txs: tpl.block.txs };
        const result = await this.opts.chain.submitBlock(block);
        if (result.status === 'connected') {
          this.blocksMined++;
          this.log.info('mined block', { height: result.height, id: result.id, txs: block.txs.length, fees: tpl.fees.toString() });
        } else {
          this.log.warn('mined block not connected', { status: result.status, reason: result.reason });
        }
        this.emit('mined', { block, id: result.id, height: result.height, result });
      } catch (e) {
        if (!this.running) break;
        this.log.error('mining loop error', { err: String(e) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
