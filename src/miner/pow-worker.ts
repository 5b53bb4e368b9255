// Worker thread: searches a nonce range of one header with its kernel (WASM SIMD, WASM scalar or
// JS). The kernel reports progress every few thousand nonces; the worker counts the hashes and
// answers whether the job is still current, so a new template replaces stale work within ~10 ms.
import { parentPort, workerData } from 'node:worker_threads';
import { createKernel, SEARCH_STOPPED, type KernelKind } from './pow-kernel.js';

export interface PowJob {
  gen: number;
  header: Uint8Array;
  target: Uint8Array;
  start: number;
  end: number; // exclusive, <= 2^32
}

export type PowWorkerReply = { gen: number; found: number } | { gen: number; exhausted: true };

export interface PowWorkerInit {
  control: SharedArrayBuffer; // Int32Array[0] = current generation
  counters: SharedArrayBuffer; // BigInt64Array[slot] = hashes done by this worker
  slot: number;
  kernel: KernelKind;
  module?: WebAssembly.Module;
}

const init = workerData as PowWorkerInit;
const control = new Int32Array(init.control);
const counters = new BigInt64Array(init.counters);
const kernel = createKernel(init.kernel, init.module);

function run(job: PowJob): void {
  kernel.setJob(job.header, job.target);
  const found = kernel.search(job.start, job.end - job.start, (hashes) => {
    Atomics.add(counters, init.slot, BigInt(hashes));
    return Atomics.load(control, 0) === job.gen;
  });
  if (found === SEARCH_STOPPED) return; // stale: a newer job is queued
  parentPort!.postMessage((found >= 0 ? { gen: job.gen, found } : { gen: job.gen, exhausted: true }) satisfies PowWorkerReply);
}

parentPort!.on('message', (job: PowJob) => {
  if (job.gen === Atomics.load(control, 0)) run(job);
});
