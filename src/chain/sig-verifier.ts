// Parallel Ed25519 verification for big blocks: worker threads and the main thread claim
// signatures from one shared counter, so the split balances itself whatever else each thread is
// doing. Signature checks dominate block validation, so sync scales with cores.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { verifySignature } from '../crypto/index.js';
import { workOn, DONE, VALID, INVALID, type VerifyJob } from './sig-verify-worker.js';

export interface SignatureItem {
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
}

/** Below this many signatures a batch is verified inline: messaging would cost more than it saves. */
const MIN_PARALLEL = 32;

export class SignatureVerifier {
  private workers: Worker[] = [];
  private state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(private readonly threads = Math.max(0, availableParallelism() - 1)) {}

  /** False when configured with no worker threads (everything is verified inline). */
  get parallel(): boolean {
    return this.threads > 0;
  }

  /** Spawns the workers; `begin` does it on the first big batch, so opening a chain costs no threads. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(new URL('./sig-verify-worker.js', import.meta.url));
      w.unref(); // never keeps the process alive on its own
      // A dead worker stops claiming; whatever it claimed and left unfinished the main thread redoes.
      w.on('error', () => this.drop(w));
      w.on('exit', () => this.drop(w));
      this.workers.push(w);
    }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Index of the first signature that fails, or -1 when all verify. */
  firstInvalid(items: SignatureItem[]): Promise<number> {
    return this.begin(items).finish();
  }

  /**
   * Posts the items to the workers now; `finish()` has this thread claim whatever is left. A
   * caller can run other checks in between, or begin the next block while this one is applied.
   */
  begin(items: SignatureItem[]): PendingVerification {
    if (items.length >= MIN_PARALLEL) this.start();
    if (items.length < MIN_PARALLEL || this.workers.length === 0) return { finish: async () => inline(items) };
    const job: VerifyJob = {
      msgs: items.map((x) => x.msg),
      sigs: items.map((x) => x.sig),
      pubs: items.map((x) => x.pub),
      control: new SharedArrayBuffer(8),
      results: new SharedArrayBuffer(items.length),
    };
    const workers = this.workers;
    for (const w of workers) w.postMessage(job);
    return {
      finish: async () => {
        workOn(job);
        const control = new Int32Array(job.control);
        const results = new Uint8Array(job.results);
        // Wait out items a worker claimed and is still verifying (one signature each, well under a
        // millisecond); if a worker died meanwhile, verify its unfinished items here.
        for (let done = Atomics.load(control, DONE); done < items.length; done = Atomics.load(control, DONE)) {
          if (workers.some((w) => !this.workers.includes(w))) break;
          Atomics.wait(control, DONE, done, 20);
        }
        for (let i = 0; i < items.length; i++) {
          if (results[i] === 0) results[i] = verifySignature(items[i]!.msg, items[i]!.sig, items[i]!.pub) ? VALID : INVALID;
          if (results[i] === INVALID) return i;
        }
        return -1;
      },
    };
  }

  private drop(w: Worker): void {
    this.workers = this.workers.filter((x) => x !== w);
  }
}

export interface PendingVerification {
  /** Index of the first signature that fails, or -1 when all verify. */
  finish(): Promise<number>;
}

function inline(items: SignatureItem[]): number {
  for (let i = 0; i < items.length; i++) if (!verifySignature(items[i]!.msg, items[i]!.sig, items[i]!.pub)) return i;
  return -1;
}
