// Worker thread: searches a nonce range of one header in chunks. Between chunks it checks the
// shared job generation, so a new template replaces stale work within one chunk (~10 ms).
import { parentPort, workerData } from 'node:worker_threads';
import { HeaderHasher } from './sha256-midstate.js';

export interface PowJob {
  gen: number;
  header: Uint8Array;
  target: Uint8Array;
  start: number;
  end: number; // exclusive, <= 2^32
}

export type PowWorkerReply = { gen: number; found: number } | { gen: number; exhausted: true };

interface WorkerInit {
  control: SharedArrayBuffer; // Int32Array[0] = current generation
  counters: SharedArrayBuffer; // BigInt64Array[slot] = hashes done by this worker
  slot: number;
}

const CHUNK = 8192;
const init = workerData as WorkerInit;
const control = new Int32Array(init.control);
const counters = new BigInt64Array(init.counters);
const hasher = new HeaderHasher();

function run(job: PowJob): void {
  hasher.setHeader(job.header);
  hasher.setTarget(job.target);
  for (let n = job.start; n < job.end; n += CHUNK) {
    if (Atomics.load(control, 0) !== job.gen) return; // stale: a newer job is queued
    const count = Math.min(CHUNK, job.end - n);
    const found = hasher.search(n, count);
    Atomics.add(counters, init.slot, BigInt(found < 0 ? count : found - n + 1));
    if (found >= 0) {
      parentPort!.postMessage({ gen: job.gen, found } satisfies PowWorkerReply);
      return;
    }
  }
  parentPort!.postMessage({ gen: job.gen, exhausted: true } satisfies PowWorkerReply);
}

parentPort!.on('message', (job: PowJob) => {
  if (job.gen === Atomics.load(control, 0)) run(job);
});
