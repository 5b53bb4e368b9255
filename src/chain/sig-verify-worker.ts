// Worker thread body for SignatureVerifier: claims signatures of a job one at a time from a shared
// counter (the main thread claims from the same one), so the work balances itself.
import { parentPort } from 'node:worker_threads';
import { verifySignature } from '../crypto/index.js';

export interface VerifyJob {
  msgs: Uint8Array[];
  sigs: Uint8Array[];
  pubs: Uint8Array[];
  /** Int32 [next index to claim, items finished]. */
  control: SharedArrayBuffer;
  /** One byte per item: 0 not done, 1 valid, 2 invalid. */
  results: SharedArrayBuffer;
}

export const CLAIM = 0;
export const DONE = 1;
export const VALID = 1;
export const INVALID = 2;

/** Verifies items of a job until none are left to claim; shared by the workers and the main thread. */
export function workOn(job: Pick<VerifyJob, 'msgs' | 'sigs' | 'pubs' | 'control' | 'results'>): void {
  const control = new Int32Array(job.control);
  const results = new Uint8Array(job.results);
  const n = job.msgs.length;
  for (;;) {
    const i = Atomics.add(control, CLAIM, 1);
    if (i >= n) return;
    results[i] = verifySignature(job.msgs[i]!, job.sigs[i]!, job.pubs[i]!) ? VALID : INVALID;
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

parentPort?.on('message', (job: VerifyJob) => workOn(job));
