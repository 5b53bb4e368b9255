// Worker thread body for SignatureVerifier: claims signatures of a job one at a time from a shared
// counter (the main thread claims from the same one), so the work balances itself. A job's bytes
// sit in one SharedArrayBuffer: posting it to every worker copies nothing.
import { parentPort } from 'node:worker_threads';
// The one crypto module it needs, not crypto's index: the hashing modules it would load too cost
// each worker's start-up ~15 ms of CPU, paid while the first blocks of a sync wait for it.
import { verifySignature } from '../crypto/ed25519.js';

export interface VerifyJob {
  /** Every item's message, signature and public key, packed (see `layout`). */
  data: SharedArrayBuffer;
  /** Uint32 quadruples per item: message start, message length, signature start, public key start. */
  layout: SharedArrayBuffer;
  count: number;
  /** Int32 [next index to claim]. */
  control: SharedArrayBuffer;
  /** One byte per item: 0 not done, 1 valid, 2 invalid. */
  results: SharedArrayBuffer;
}

export const CLAIM = 0;
export const VALID = 1;
export const INVALID = 2;

/** Verifies item `i` of a packed job (views into the shared bytes, no copies). */
export function verifyItem(data: Uint8Array, layout: Uint32Array, i: number): boolean {
  const o = i * 4;
  const msg = layout[o]!;
  const sig = layout[o + 2]!;
  const pub = layout[o + 3]!;
  return verifySignature(data.subarray(msg, msg + layout[o + 1]!), data.subarray(sig, sig + 64), data.subarray(pub, pub + 32));
}

/**
 * Verifies items of a job until none are left to claim (or until `deadline`, a performance.now()
 * time); shared by the workers and the main thread. False when the deadline stopped it.
 */
export function workOn(job: VerifyJob, deadline = Number.POSITIVE_INFINITY): boolean {
  const control = new Int32Array(job.control);
  const results = new Uint8Array(job.results);
  const data = new Uint8Array(job.data);
  const layout = new Uint32Array(job.layout);
  for (;;) {
    if (deadline !== Number.POSITIVE_INFINITY && performance.now() >= deadline) return false;
    const i = Atomics.add(control, CLAIM, 1);
    if (i >= job.count) return true;
    Atomics.store(results, i, verifyItem(data, layout, i) ? VALID : INVALID);
  }
}

/** The first check of RFC 8032's test 1 (empty message): valid by definition. */
const WARM_UP = {
  msg: new Uint8Array(0),
  sig: Buffer.from('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'hex'),
  pub: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'),
};

/** Posted to the parent once this worker has verified its warm-up signature: it is ready for jobs. */
export const READY = 'ready';

if (parentPort) {
  parentPort.on('message', (job: VerifyJob) => workOn(job));
  // One check before the first job pays the thread's first-use costs (the crypto library's set-up,
  // the key parse path) while the node is idle, not inside the first block a sync connects.
  verifySignature(WARM_UP.msg, WARM_UP.sig, WARM_UP.pub);
  parentPort.postMessage(READY);
}
