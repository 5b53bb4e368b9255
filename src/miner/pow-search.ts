// Proof-of-work search across worker threads: picks the kernel (pow-kernel.ts), splits the 32-bit
// nonce space of a header between workers, replaces stale work when a new header arrives,
// re-verifies every found nonce with the reference hash, and measures the hash rate.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { HEADER_BYTES, NONCE_OFFSET, monotonicNow } from '../core/index.js';
import { bytesToBigInt, sha256d } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { resolveKernel, type KernelKind, type MinerImpl } from './pow-kernel.js';
import type { PowJob, PowWorkerInit, PowWorkerReply } from './pow-worker.js';

export type SearchResult =
  | { status: 'found'; nonce: number; header: Uint8Array; id: Uint8Array }
  | { status: 'exhausted' }
  | { status: 'aborted' };

export interface SearchRange {
  startNonce?: number;
  endNonce?: number; // exclusive
}

const NONCE_SPACE = 0x1_0000_0000;

/** Most worker threads a searcher runs (the CLI's --threads bound). */
export const MAX_POW_THREADS = 256;

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface PowSearcherOptions {
  threads?: number;
  /** Default 'wasm': the SIMD kernel, else scalar WASM, else the JS loop. */
  impl?: MinerImpl;
  logger?: Logger;
}

/**
 * Trust but verify: a nonce from a kernel becomes a result only when the reference hash
 * (@noble/hashes, double SHA-256 of the header bytes) agrees that the header meets the target.
 */
export function verifyFound(header: Uint8Array, nonce: number, target: bigint): Extract<SearchResult, { status: 'found' }> | undefined {
  const withNonce = Uint8Array.from(header);
  new DataView(withNonce.buffer).setUint32(NONCE_OFFSET, nonce);
  const id = sha256d(withNonce); // the block id of the header bytes as they will be published
  return bytesToBigInt(id) <= target ? { status: 'found', nonce, header: withNonce, id } : undefined;
}

export class PowSearcher {
  readonly threads: number;
  /** The kernel the workers run. */
  readonly kernel: KernelKind;
  private readonly module: WebAssembly.Module | undefined;
  private readonly log: Logger;
  private workers: Worker[] = [];
  private readonly control = new SharedArrayBuffer(4);
  private readonly gen = new Int32Array(this.control);
  private readonly counterBuf: SharedArrayBuffer;
  private readonly counters: BigInt64Array;
  private current: { gen: number; resolve: (r: SearchResult) => void; pending: number; header: Uint8Array; target: bigint } | undefined;
  private samples: { t: number; total: bigint }[] = [];
  private crashCount = 0;
  private recentCrashes = 0;
  private lastCrashAt = 0;
  private sampler: NodeJS.Timeout | undefined;

  constructor(opts: PowSearcherOptions = {}) {
    const threads = opts.threads ?? defaultThreads();
    // NaN or a fraction made a searcher with no workers (or none to count), whose searches never ended.
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_POW_THREADS) throw new RangeError(`threads: expected an integer from 1 to ${MAX_POW_THREADS}, got ${threads}`);
    this.threads = threads;
    this.log = (opts.logger ?? silentLogger).child({ module: 'pow' });
    const resolved = resolveKernel(opts.impl ?? 'wasm');
    this.kernel = resolved.kind;
    this.module = resolved.module;
    if (resolved.fallback) this.log.warn('faster mining kernel unavailable', { kernel: resolved.kind, why: resolved.fallback });
    this.counterBuf = new SharedArrayBuffer(8 * this.threads);
    this.counters = new BigInt64Array(this.counterBuf);
  }

  get running(): boolean {
    return this.workers.length > 0;
  }

  start(): void {
    if (this.workers.length) return;
    for (let slot = 0; slot < this.threads; slot++) this.workers.push(this.spawn(slot));
    this.samples = [{ t: monotonicNow(), total: this.totalHashes }];
    this.sampler = setInterval(() => {
      this.samples.push({ t: monotonicNow(), total: this.totalHashes });
      if (this.samples.length > 6) this.samples.shift();
    }, 1000).unref();
  }

  /** Workers that died unasked for (each replaced). */
  get crashes(): number {
    return this.crashCount;
  }

  private spawn(slot: number): Worker {
    const init: PowWorkerInit = { control: this.control, counters: this.counterBuf, slot, kernel: this.kernel, module: this.module };
    const w = new Worker(new URL('./pow-worker.js', import.meta.url), { workerData: init });
    w.on('message', (m: PowWorkerReply) => this.onReply(m));
    w.on('error', (e) => this.log.error('pow worker failed', { slot, err: String(e) }));
    w.on('exit', (code) => this.onExit(w, slot, code));
    return w;
  }

  /**
   * A worker died (killed, out of memory, a kernel fault) while still in its slot: its share of the
   * current search is lost and the search would wait on it for ever, so the search ends ('aborted':
   * the caller searches again) and a new worker takes the slot. Crashing over and over, it is
   * replaced after a growing pause (up to 30 s) instead of in a tight loop.
   */
  private onExit(w: Worker, slot: number, code: number): void {
    if (this.workers[slot] !== w) return; // stopped, or already replaced
    this.crashCount++;
    const now = monotonicNow();
    this.recentCrashes = now - this.lastCrashAt < 60_000 ? this.recentCrashes + 1 : 1;
    this.lastCrashAt = now;
    const pauseMs = this.recentCrashes <= 2 ? 0 : Math.min(30_000, 250 * 2 ** (this.recentCrashes - 3));
    this.log.error('pow worker exited; replacing it', { slot, code, pauseMs });
    this.abortCurrent();
    const replace = (): void => {
      if (this.workers[slot] !== w) return; // stopped meanwhile
      this.workers[slot] = this.spawn(slot);
      this.abortCurrent(); // a search started during the pause ran without this slot
    };
    if (pauseMs === 0) replace();
    else setTimeout(replace, pauseMs).unref();
  }

  async stop(): Promise<void> {
    if (!this.workers.length) return;
    Atomics.add(this.gen, 0, 1); // every running chunk loop exits at its next check
    this.abortCurrent();
    clearInterval(this.sampler);
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Total hashes computed by all workers since construction. */
  get totalHashes(): bigint {
    let s = 0n;
    for (let i = 0; i < this.threads; i++) s += Atomics.load(this.counters, i);
    return s;
  }

  /** Hashes per second over the last few seconds. */
  get hashrate(): number {
    const now = { t: monotonicNow(), total: this.totalHashes };
    const first = this.samples[0];
    if (!first || now.t - first.t < 200) return 0;
    return Number(now.total - first.total) / ((now.t - first.t) / 1000);
  }

  /**
   * Searches the header's nonce range (default: all 2^32) for id <= the header's target. A later
   * call supersedes this one, which then resolves 'aborted'.
   */
  search(header: Uint8Array, range: SearchRange = {}, signal?: AbortSignal): Promise<SearchResult> {
    if (header.length !== HEADER_BYTES) throw new RangeError(`expected ${HEADER_BYTES}-byte header, got ${header.length}`);
    if (!this.workers.length) this.start();
    this.abortCurrent();
    const gen = Atomics.add(this.gen, 0, 1) + 1;
    const target = header.slice(80, 112);
    const start = range.startNonce ?? 0;
    const end = Math.min(range.endNonce ?? NONCE_SPACE, NONCE_SPACE);
    const per = Math.ceil((end - start) / this.threads);
    return new Promise<SearchResult>((resolve) => {
      this.current = { gen, resolve, pending: this.threads, header: Uint8Array.from(header), target: bytesToBigInt(target) };
      if (signal) {
        if (signal.aborted) return this.abortCurrent();
        signal.addEventListener('abort', () => { if (this.current?.gen === gen) { Atomics.add(this.gen, 0, 1); this.abortCurrent(); } }, { once: true });
      }
      this.workers.forEach((w, i) => {
        const s = start + i * per;
        const job: PowJob = { gen, header, target, start: Math.min(s, end), end: Math.min(s + per, end) };
        w.postMessage(job);
      });
    });
  }

  private abortCurrent(): void {
    const c = this.current;
    this.current = undefined;
    c?.resolve({ status: 'aborted' });
  }

  private onReply(m: PowWorkerReply): void {
    const c = this.current;
    if (!c || m.gen !== c.gen) return;
    if ('found' in m) {
      const found = verifyFound(c.header, m.found, c.target);
      if (!found) {
        this.log.error('kernel nonce failed the reference hash check', { kernel: this.kernel, nonce: m.found });
        if (--c.pending === 0) {
          this.current = undefined;
          c.resolve({ status: 'exhausted' });
        }
        return;
      }
      Atomics.add(this.gen, 0, 1); // stop the other workers
      this.current = undefined;
      c.resolve(found);
      return;
    }
    if (--c.pending === 0) {
      this.current = undefined;
      c.resolve({ status: 'exhausted' });
    }
  }
}
