// Where a discovery packet's signature work runs: on the event loop, or on the datagram workers
// (crypto/datagram-pool.ts: libsodium in a worker thread, one batch per loop turn; node:crypto's
// async calls on libuv's pool cost the loop ~17 us per job to submit and ran OpenSSL, ~1.7x
// libsodium). One hop to a worker and back costs more latency than a verification costs CPU when
// the loop is idle (and far more on a loaded machine, where the woken thread waits for a core), so
// an idle loop signs and verifies inline. A busy loop (more than `busyTurn` jobs in one turn, or
// more than `busyInFlight` already on the pool) sends the work to the pool, so other cores share it
// and the loop keeps reading. The thresholds keep a lone lookup's chain of round trips inline (with
// 0 and 2, one offloaded job pulled 72% of a lookup's signatures onto the pool, at more CPU per
// lookup and no less latency) while a burst of joins still spreads out. Past `maxInFlight` jobs on
// the pool the work runs inline again: the pool's queue stays bounded, a flood slows this loop, the
// socket buffer fills and the kernel drops the excess (a lower cap, 64 or 128, to make the loop
// share a deep pool queue, made a 150-node join slower: 1.3-2.3 s against 1.1-1.8 s; the loop's own
// work is the bound, not the worker). One gate per process (the workers are shared by every node in
// it). Nothing goes to the pool before a worker has booted (~80-100 ms, more on a loaded machine):
// busy turns work inline meanwhile. Offloading to a booting worker left a burst of joins (150 nodes
// in one process) waiting on it with the loop idle for ~130 ms. The boot costs the process ~140 ms
// of CPU, which a short burst never earns back (20 jobs inline are ~1 ms): a worker starts only
// under sustained pressure, `warmAfter` jobs in busy turns within `warmWindowMs`. A serving node
// bonding with a newcomer (3-5 busy turns of 10-20 jobs, ~100 jobs in all) booted it in the middle
// of serving that newcomer's sync (the four-peer sync bench). Real nodes do discovery's crypto on
// the reading thread (geth's discv4 readLoop decodes and recovers the key of each packet in turn):
// the pool is for a flood, not for a node's ordinary traffic.
import { processDatagramPool } from '../crypto/index.js';

export interface CryptoGateOptions {
  /** Jobs on the pool at most (past it: inline). */
  maxInFlight?: number;
  /** Jobs in one loop turn beyond which the loop counts as busy (default 8). */
  busyTurn?: number;
  /** Jobs on the pool beyond which the loop counts as busy whatever this turn holds (default 4). */
  busyInFlight?: number;
  /** Jobs run in busy turns within `warmWindowMs` that start a worker (default 256: a flood, not a burst). */
  warmAfter?: number;
  /** The window `warmAfter` counts in, ms (default 1000). */
  warmWindowMs?: number;
  /** Never offload (e.g. a process that wants the lowest latency only). */
  inlineOnly?: boolean;
  /** Where offloaded work runs, for its readiness (default: the process's datagram pool). */
  pool?: OffloadPool;
}

/** What the gate asks of the pool its callers offload to: is a worker up, and start one. */
export interface OffloadPool {
  readonly ready: boolean;
  warm(): void;
}

export interface CryptoGateStats {
  /** Jobs on the pool now, and the most there ever were. */
  inFlight: number;
  maxInFlight: number;
  peakInFlight: number;
  offloaded: number;
  inline: number;
  /** Loop turns that held more than `busyTurn` jobs, and the most jobs one turn held. */
  busyTurns: number;
  peakTurn: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 512;

export class CryptoGate {
  private inFlight = 0;
  private peak = 0;
  private offloadedCount = 0;
  private inlineCount = 0;
  private turn = 0;
  private busyTurnCount = 0;
  private peakTurn = 0;
  private turnArmed = false;
  private readonly maxInFlight: number;
  private readonly busyTurn: number;
  private readonly busyInFlight: number;
  private readonly inlineOnly: boolean;
  private readonly pool: OffloadPool;
  private readonly warmAfter: number;
  private readonly warmWindowMs: number;
  /** Busy-turn jobs counted towards a worker's start, since `windowStart` (performance.now()). */
  private pressure = 0;
  private windowStart = -Infinity;

  constructor(opts: CryptoGateOptions = {}) {
    this.pool = opts.pool ?? processDatagramPool;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.busyTurn = opts.busyTurn ?? 8;
    this.busyInFlight = opts.busyInFlight ?? 4;
    this.inlineOnly = opts.inlineOnly === true;
    this.warmAfter = opts.warmAfter ?? 256;
    this.warmWindowMs = opts.warmWindowMs ?? 1000;
  }

  get stats(): CryptoGateStats {
    return { inFlight: this.inFlight, maxInFlight: this.maxInFlight, peakInFlight: this.peak, offloaded: this.offloadedCount, inline: this.inlineCount, busyTurns: this.busyTurnCount, peakTurn: this.peakTurn };
  }

  /**
   * Runs one job: `offload` on the pool when the loop is busy and the pool has room and a booted
   * worker, else `inline` now. Returns what the job returns (a promise only when offloaded).
   */
  run<T>(inline: () => T, offload: () => Promise<T>): T | Promise<T> {
    if (this.inlineOnly || !this.busy() || this.inFlight >= this.maxInFlight || !this.poolReady()) {
      this.inlineCount++;
      return inline();
    }
    this.offloadedCount++;
    if (++this.inFlight > this.peak) this.peak = this.inFlight;
    const done = (): void => {
      this.inFlight--;
    };
    const p = offload();
    p.then(done, done);
    return p;
  }

  /** A booted worker to take the job; none yet: the job runs inline, and one starts if the pressure lasts. */
  private poolReady(): boolean {
    if (this.pool.ready) return true;
    const now = performance.now();
    if (now - this.windowStart > this.warmWindowMs) {
      this.windowStart = now;
      this.pressure = 0;
    }
    if (++this.pressure >= this.warmAfter) this.pool.warm();
    return false;
  }

  /** Busy: several jobs in this turn, or pool work still queued (a burst keeps going to the pool). */
  private busy(): boolean {
    if (!this.turnArmed) {
      this.turnArmed = true;
      setImmediate(() => {
        this.turn = 0;
        this.turnArmed = false;
      });
    }
    if (++this.turn > this.peakTurn) this.peakTurn = this.turn;
    if (this.turn === this.busyTurn + 1) this.busyTurnCount++;
    return this.turn > this.busyTurn || this.inFlight > this.busyInFlight;
  }
}

/** The process's gate (every node in a process shares the datagram workers). */
export const processCryptoGate = new CryptoGate();
