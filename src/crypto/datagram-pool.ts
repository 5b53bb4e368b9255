// Discovery's signature work off the event loop, on libsodium (datagram-sign.ts) in worker threads.
// node:crypto's async sign/verify runs OpenSSL on libuv's pool (~1.7x libsodium's cost) and costs
// the loop ~17 us per job just to submit (a job object, a key handle, a callback); libsodium has no
// async call. So jobs are packed into one buffer per loop turn (or per `maxBatch` jobs), the buffer
// is copied to a worker, and the worker sends every result back in one message: one crossing per
// batch, not per datagram. Copied, never transferred: a transfer detaches an ArrayBuffer, and the
// first detach in an isolate invalidates V8's ArrayBufferDetaching protector, which throws away
// every optimised function of the process (measured: ~10% of a four-peer sync's CPU went to
// recompiling); a copy of at most BATCH_BYTES costs microseconds. Workers start on first use (or
// `warm()`) and keep the process alive only while they owe answers. A worker takes ~80-100 ms to
// boot (node's loader and libsodium): `ready` says whether one has, so a caller can keep its work
// inline until then rather than leave its loop idle waiting for the boot (kad/crypto-gate.ts does).
// Bounded: the caller caps jobs in flight (kad/crypto-gate.ts); a batch holds at most `maxBatch`
// jobs and BATCH_BYTES bytes.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

/** Job kinds in a batch buffer (the worker reads the same layout: datagram-worker.ts). */
export const OP_SIGN = 1;
export const OP_VERIFY = 2;
/**
 * One job: op (1), message length (2, little-endian), then for a sign the 64-byte signing key, for
 * a verify the 32-byte public key and the 64-byte signature, then the message.
 */
export const JOB_HEAD = 3;
export const BATCH_BYTES = 64 * 1024;
/** A result slot per job: the signature, or byte 0 = 1 when the signature verified. */
export const RESULT_BYTES = 64;

export interface DatagramPoolOptions {
  /** Worker threads (default: the cores beyond the loop's, 1 to 4). */
  workers?: number;
  /** Jobs per batch at most (default 64): a batch flushes when full, else at the end of the loop turn. */
  maxBatch?: number;
}

export interface DatagramPoolStats {
  workers: number;
  batches: number;
  jobs: number;
  /** Jobs sent to a worker whose results have not come back. */
  pending: number;
}

interface Pending {
  kind: number;
  resolve: (v: Uint8Array | boolean) => void;
  reject: (e: Error) => void;
}

interface Lane {
  worker: Worker;
  /** The worker has booted (its first message): a batch sent now does not wait for the loader. */
  ready: boolean;
  /** Batches sent and not answered, in order (a worker answers in order). */
  inFlight: Pending[][];
  jobs: number;
}

interface BatchReply {
  results: ArrayBuffer;
  error?: string;
}
/** The worker's first message, once libsodium is loaded. */
export const WORKER_READY = 'ready';

export class DatagramCryptoPool {
  private readonly size: number;
  private readonly maxBatch: number;
  private lanes: Lane[] = [];
  private buf = new Uint8Array(BATCH_BYTES);
  private at = 0;
  private batch: Pending[] = [];
  private flushArmed = false;
  private batchCount = 0;
  private jobCount = 0;
  private pendingCount = 0;

  constructor(opts: DatagramPoolOptions = {}) {
    this.size = Math.max(1, opts.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1)));
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  get stats(): DatagramPoolStats {
    return { workers: this.lanes.length, batches: this.batchCount, jobs: this.jobCount, pending: this.pendingCount + this.batch.length };
  }

  /** Whether a worker is up (booted) to take a batch at once. */
  get ready(): boolean {
    for (const l of this.lanes) if (l.ready) return true;
    return false;
  }

  /** Starts a worker now if none is up or booting (idempotent, cheap): a later burst finds it ready. */
  warm(): void {
    if (this.lanes.length === 0) this.start();
  }

  /** A detached signature of `message` (the same bytes signDatagram makes), made on a worker. */
  sign(message: Uint8Array, signingKey: Uint8Array): Promise<Uint8Array> {
    if (signingKey.length !== 64) return Promise.reject(new TypeError(`expected a 64-byte signing key, got ${signingKey.length}`));
    return this.add(OP_SIGN, message, signingKey, undefined, undefined) as Promise<Uint8Array>;
  }

  /** Never rejects for bad input: a malformed key or signature is "does not verify". */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    if (signature.length !== 64 || publicKey.length !== 32) return Promise.resolve(false);
    return this.add(OP_VERIFY, message, undefined, publicKey, signature) as Promise<boolean>;
  }

  /** Stops the workers: signs not answered yet reject, verifies fail closed. Idempotent; a later job starts them again. */
  async close(): Promise<void> {
    this.flush();
    const lanes = this.lanes;
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  private add(kind: number, message: Uint8Array, signingKey: Uint8Array | undefined, publicKey: Uint8Array | undefined, signature: Uint8Array | undefined): Promise<Uint8Array | boolean> {
    const need = JOB_HEAD + (kind === OP_SIGN ? 64 : 96) + message.length;
    if (message.length > 0xffff || need > BATCH_BYTES) return Promise.reject(new RangeError(`message of ${message.length} bytes is too long for a batch`));
    if (this.at + need > BATCH_BYTES || this.batch.length >= this.maxBatch) this.flush();
    const b = this.buf;
    let o = this.at;
    b[o] = kind;
    b[o + 1] = message.length & 0xff;
    b[o + 2] = message.length >>> 8;
    o += JOB_HEAD;
    if (kind === OP_SIGN) {
      b.set(signingKey!, o);
      o += 64;
    } else {
      b.set(publicKey!, o);
      b.set(signature!, o + 32);
      o += 96;
    }
    b.set(message, o);
    this.at = o + message.length;
    const p = new Promise<Uint8Array | boolean>((resolve, reject) => this.batch.push({ kind, resolve, reject }));
    if (this.batch.length >= this.maxBatch) this.flush();
    else if (!this.flushArmed) {
      // End of this loop turn: every job the turn's datagrams made travels in one message.
      this.flushArmed = true;
      setImmediate(() => {
        this.flushArmed = false;
        this.flush();
      });
    }
    return p;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const jobs = this.batch;
    const bytes = this.buf.subarray(0, this.at);
    this.batch = [];
    this.at = 0;
    const lane = this.lane();
    // Ref'd while it owes answers (a waiting job keeps the process alive), unref'd when idle.
    if (lane.jobs === 0) lane.worker.ref();
    lane.inFlight.push(jobs);
    lane.jobs += jobs.length;
    this.pendingCount += jobs.length;
    this.batchCount++;
    this.jobCount += jobs.length;
    // Structured clone copies the view's bytes (no transfer list: see the header).
    lane.worker.postMessage(bytes);
  }

  /**
   * The booted worker with the fewest jobs outstanding. When every booted one is busy, another
   * starts (up to `size`) in the background: this batch does not wait for its boot. With none
   * booted yet (a caller that did not wait for `ready`), the batch goes to a booting one.
   */
  private lane(): Lane {
    let best: Lane | undefined;
    let booting: Lane | undefined;
    for (const l of this.lanes) {
      if (!l.ready) booting ??= l;
      else if (!best || l.jobs < best.jobs) best = l;
    }
    if ((!best || best.jobs > 0) && !booting && this.lanes.length < this.size) booting = this.start();
    return best ?? booting!;
  }

  private start(): Lane {
    const lane: Lane = { worker: new Worker(new URL('./datagram-worker.js', import.meta.url)), ready: false, inFlight: [], jobs: 0 };
    lane.worker.on('message', (m: BatchReply | typeof WORKER_READY) => (m === WORKER_READY ? (lane.ready = true) : this.answer(lane, m)));
    lane.worker.on('error', (e) => this.fail(lane, e));
    lane.worker.on('exit', () => this.fail(lane, new Error('datagram worker exited')));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    lane.worker.unref();
    this.lanes.push(lane);
    return lane;
  }

  private answer(lane: Lane, m: BatchReply): void {
    const jobs = lane.inFlight.shift();
    if (!jobs) return;
    lane.jobs -= jobs.length;
    this.pendingCount -= jobs.length;
    if (lane.jobs === 0) lane.worker.unref();
    const r = new Uint8Array(m.results);
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      if (m.error !== undefined) {
        // The worker could not run the batch: a verify fails closed, a sign is refused.
        if (j.kind === OP_SIGN) j.reject(new Error(`datagram worker: ${m.error}`));
        else j.resolve(false);
      } else if (j.kind === OP_SIGN) j.resolve(r.subarray(i * RESULT_BYTES, (i + 1) * RESULT_BYTES));
      else j.resolve(r[i * RESULT_BYTES] === 1);
    }
  }

  /** A dead worker: its outstanding verifies fail closed, its signs reject; the next batch starts another. */
  private fail(lane: Lane, e: unknown): void {
    const i = this.lanes.indexOf(lane);
    if (i >= 0) this.lanes.splice(i, 1);
    for (const jobs of lane.inFlight) {
      this.pendingCount -= jobs.length;
      for (const j of jobs) {
        if (j.kind === OP_SIGN) j.reject(e instanceof Error ? e : new Error(String(e)));
        else j.resolve(false);
      }
    }
    lane.inFlight = [];
    lane.jobs = 0;
  }
}

/** The process's pool: every discovery node in a process shares its workers (started on first use). */
export const processDatagramPool = new DatagramCryptoPool();
