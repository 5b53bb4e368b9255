// Node health: turns store write failures (and a free-space floor under the data dir) into one
// `disk-full` / `io-error` problem, pauses the writers (miner, sync) while it lasts, and resumes them
// when a probe write succeeds again. Logs once on entry, then at most once a minute.
import { statfs } from 'node:fs/promises';
import { monotonicNow } from '../core/index.js';
import type { ChainStore, WriteFailureKind } from '../store/index.js';
import type { Logger } from '../log/index.js';

export interface HealthProblem {
  reason: WriteFailureKind | 'store-damaged';
  message: string;
}

export interface HealthOptions {
  store: ChainStore;
  /** Directory whose filesystem the floor applies to. */
  dataDir: string;
  logger: Logger;
  /** Free bytes below which the node acts as if the disk were full (0 disables). */
  freeSpaceFloorBytes?: number;
  /** How often free space is checked and, while unhealthy, a probe write is tried. */
  checkIntervalMs?: number;
  /** Stop the writers (miner, sync); called once per unhealthy spell. */
  pause: () => Promise<void>;
  /** Start them again once writes succeed. */
  resume: () => Promise<void>;
}

export const DEFAULT_FREE_SPACE_FLOOR = 64 * 1024 * 1024;
export const DEFAULT_HEALTH_CHECK_MS = 3000;
const REPEAT_LOG_MS = 60_000;

export class NodeHealth {
  private problem: HealthProblem | undefined;
  /** Damage a read found: stays until a restart heals it (the start-up walk rolls back). */
  private damage: HealthProblem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLog = 0;
  private busy: Promise<void> = Promise.resolve();
  private started = false;
  private readonly log: Logger;
  private readonly floor: number;

  constructor(private readonly opts: HealthOptions) {
    this.log = opts.logger.child({ module: 'health' });
    this.floor = opts.freeSpaceFloorBytes ?? DEFAULT_FREE_SPACE_FLOOR;
  }

  get ok(): boolean {
    return !this.problem && !this.damage;
  }

  problems(): HealthProblem[] {
    const out = this.problem ? [{ ...this.problem }] : [];
    if (this.damage) {
      // The first damage found, and how much has been read damaged since (the chain logs each record once).
      const { reads, records } = this.opts.store.damage.counts();
      const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
      out.push({ ...this.damage, message: `${this.damage.message} (${n(reads, 'damaged read')} of ${n(records, 'record')} since start)` });
    }
    return out;
  }

  /** A read found the store damaged (the chain logs it once per record; the store counts every read). */
  noteDamage(message: string): void {
    this.damage ??= { reason: 'store-damaged', message };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.opts.store.on('write-failed', this.onWriteFailed);
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs ?? DEFAULT_HEALTH_CHECK_MS);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    this.opts.store.off('write-failed', this.onWriteFailed);
    await this.busy;
  }

  private readonly onWriteFailed = (kind: WriteFailureKind, message: string): void => this.enter({ reason: kind, message });

  private enter(p: HealthProblem): void {
    const fresh = !this.problem;
    this.problem = p;
    const now = monotonicNow();
    if (fresh || now - this.lastLog >= REPEAT_LOG_MS) {
      this.lastLog = now;
      this.log.error(fresh ? 'writes failing: mining and sync paused until the disk takes writes again' : 'writes still failing', { reason: p.reason, message: p.message });
    }
    if (fresh) this.serial(() => this.opts.pause());
  }

  /** Pause, resume and probes run one at a time, in order. */
  private serial(fn: () => Promise<void>): void {
    this.busy = this.busy.then(fn).catch((e: unknown) => this.log.warn('health step failed', { err: String(e) }));
  }

  private async freeBytes(): Promise<number | undefined> {
    try {
      const s = await statfs(this.opts.dataDir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return undefined; // statfs unsupported: rely on write failures alone
    }
  }

  private check(): Promise<void> {
    this.serial(async () => {
      if (!this.started) return;
      const free = this.floor > 0 ? await this.freeBytes() : undefined;
      if (free !== undefined && free < this.floor) {
        this.enter({ reason: 'disk-full', message: `free space under ${this.opts.dataDir} is ${free} bytes, below the floor of ${this.floor}` });
        return;
      }
      if (!this.problem || !this.opts.store.isOpen) return;
      if (!(await this.opts.store.probeWrite())) return;
      this.log.info('writes succeed again: resuming mining and sync', { was: this.problem.reason });
      this.problem = undefined;
      await this.opts.resume();
    });
    return this.busy;
  }
}
