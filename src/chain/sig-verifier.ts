// Parallel Ed25519 verification for big blocks: worker threads and the main thread claim
// signatures from one shared counter, so the split balances itself whatever else each thread is
// doing. Signature checks dominate block validation, so sync scales with cores.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { verifySignature } from '../crypto/index.js';
import { TRANSFER_BYTES, TRANSFER_FROM_OFFSET, TRANSFER_SIGNATURE_OFFSET, txBytes, type TransferTx } from '../core/index.js';
import { workOn, verifyItem, VALID, INVALID, READY, type VerifyJob } from './sig-verify-worker.js';

export interface SignatureItem {
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
}

/** Posted jobs `help` may work on (sync preverifies a few blocks ahead). */
const MAX_HELPED_JOBS = 16;

/** Below this many signatures a batch is verified inline: messaging would cost more than it saves. */
const MIN_PARALLEL = 32;

export class SignatureVerifier {
  private workers: Worker[] = [];
  /** Workers that reported ready (warmed up) and have not died since. */
  private readyWorkers = new Set<Worker>();
  /** Jobs posted and not yet finished, oldest first: what `help` may claim from (bounded by callers). */
  private pending: VerifyJob[] = [];
  private state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(private readonly threads = Math.max(0, availableParallelism() - 1)) {}

  /** False when configured with no worker threads (everything is verified inline). */
  get parallel(): boolean {
    return this.threads > 0;
  }

  /** Worker threads alive, and those of them warmed up and taking jobs (diagnostics and tests). */
  get workerCounts(): { spawned: number; ready: number } {
    return { spawned: this.workers.length, ready: this.readyWorkers.size };
  }

  /**
   * Spawns the workers: a node's sync service does it at start (as Core starts its script-check
   * threads at init) so they are up before the first body; `begin` does it on the first big batch
   * otherwise, so opening a chain alone costs no threads.
   */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(new URL('./sig-verify-worker.js', import.meta.url));
      w.unref(); // never keeps the process alive on its own
      // A dead worker stops claiming; whatever it claimed and left unfinished the main thread redoes.
      w.on('error', () => this.drop(w));
      w.on('exit', () => this.drop(w));
      w.on('message', (m: unknown) => {
        if (m === READY && this.workers.includes(w)) this.readyWorkers.add(w);
      });
      this.workers.push(w);
    }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.pending = [];
    const ws = this.workers;
    this.workers = [];
    this.readyWorkers.clear();
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
    // Only well-formed items are packed (fixed-width slots); anything odd is verified inline as given.
    if (items.length < MIN_PARALLEL || this.workers.length === 0 || items.some((x) => x.sig.length !== 64 || x.pub.length !== 32)) return { finish: async () => inline(items) };
    const packed = new PackedJob(items.length, items.reduce((n, x) => n + x.msg.length + 96, 0));
    for (const x of items) packed.add(x.msg, x.sig, x.pub);
    return this.post(packed.job);
  }

  /**
   * Transfers by their canonical bytes (decoded txs carry them): the signed message is the bytes
   * before the signature and the key is the `from` field, so each transfer is one copy into the
   * shared job and nothing is re-encoded.
   */
  beginTransfers(txs: readonly TransferTx[]): PendingVerification {
    if (txs.length >= MIN_PARALLEL) this.start();
    if (txs.length < MIN_PARALLEL || this.workers.length === 0) return { finish: async () => inline(txs.map(transferItem)) };
    const packed = new PackedJob(txs.length, txs.length * TRANSFER_BYTES);
    for (let i = 0; i < txs.length; i++) packed.addTransfer(txBytes(txs[i]!));
    return this.post(packed.job);
  }

  /**
   * Lets this thread verify signatures of posted jobs, oldest first, for up to `ms` milliseconds:
   * for a thread that would otherwise wait (a block's batch being written), so the next block's
   * checks overlap this block's write. Every item claimed is one its finish() no longer waits for.
   */
  help(ms: number): void {
    const deadline = performance.now() + ms;
    while (this.pending.length) {
      if (!workOn(this.pending[0]!, deadline)) return;
      this.pending.shift(); // nothing left to claim in it
    }
  }

  private post(job: VerifyJob): PendingVerification {
    for (const w of this.workers) w.postMessage(job);
    this.pending.push(job);
    // Jobs nobody finishes (a preverified block never submitted) are dropped from the help list.
    if (this.pending.length > MAX_HELPED_JOBS) this.pending.shift();
    return {
      finish: async () => {
        this.pending = this.pending.filter((j) => j !== job);
        workOn(job);
        // Nothing left to claim. Items a worker claimed and has not finished are verified here
        // too rather than waited for: a worker the OS has descheduled (a busy machine) would hold
        // this thread, the one connecting blocks, for a time slice. At most one item per worker is
        // checked twice, to the same answer; a dead worker's items are covered the same way.
        const results = new Uint8Array(job.results);
        const data = new Uint8Array(job.data);
        const layout = new Uint32Array(job.layout);
        for (let i = 0; i < job.count; i++) {
          if (Atomics.load(results, i) === 0) Atomics.store(results, i, verifyItem(data, layout, i) ? VALID : INVALID);
          if (Atomics.load(results, i) === INVALID) return i;
        }
        return -1;
      },
    };
  }

  private drop(w: Worker): void {
    this.workers = this.workers.filter((x) => x !== w);
    this.readyWorkers.delete(w);
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

function transferItem(t: TransferTx): SignatureItem {
  const b = txBytes(t);
  return { msg: b.subarray(0, TRANSFER_SIGNATURE_OFFSET), sig: b.subarray(TRANSFER_SIGNATURE_OFFSET), pub: b.subarray(TRANSFER_FROM_OFFSET, TRANSFER_FROM_OFFSET + 32) };
}

/** Builds one job's shared buffers. */
class PackedJob {
  readonly job: VerifyJob;
  private readonly data: Uint8Array;
  private readonly layout: Uint32Array;
  private pos = 0;
  private n = 0;

  constructor(count: number, bytes: number) {
    this.job = {
      data: new SharedArrayBuffer(bytes), layout: new SharedArrayBuffer(count * 16), count,
      control: new SharedArrayBuffer(4), results: new SharedArrayBuffer(count),
    };
    this.data = new Uint8Array(this.job.data);
    this.layout = new Uint32Array(this.job.layout);
  }

  add(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): void {
    const at = this.pos;
    this.data.set(msg, at);
    this.data.set(sig, at + msg.length);
    this.data.set(pub, at + msg.length + 64);
    this.record(at, msg.length, at + msg.length, at + msg.length + 64);
    this.pos += msg.length + 96;
  }

  addTransfer(bytes: Uint8Array): void {
    const at = this.pos;
    this.data.set(bytes, at);
    this.record(at, TRANSFER_SIGNATURE_OFFSET, at + TRANSFER_SIGNATURE_OFFSET, at + TRANSFER_FROM_OFFSET);
    this.pos += TRANSFER_BYTES;
  }

  private record(msg: number, msgLen: number, sig: number, pub: number): void {
    const o = this.n++ * 4;
    this.layout[o] = msg;
    this.layout[o + 1] = msgLen;
    this.layout[o + 2] = sig;
    this.layout[o + 3] = pub;
  }
}
