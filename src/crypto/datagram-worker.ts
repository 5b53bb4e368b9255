// The worker side of datagram-pool.ts: reads a batch of sign/verify jobs from one copied buffer,
// runs each on libsodium (datagram-sign.ts) and answers with one buffer of 64-byte result slots,
// copied back (never transferred: see datagram-pool.ts on V8's detaching protector). A job it
// cannot read ends the batch with `error` (never a throw: the pool would lose the batch's order).
// Its first message says it has booted (libsodium loaded).
import { parentPort } from 'node:worker_threads';
import sodium from 'sodium-native';
import { JOB_HEAD, OP_SIGN, OP_VERIFY, RESULT_BYTES, WORKER_READY } from './datagram-pool.js';

parentPort?.on('message', (b: Uint8Array) => {
  // Jobs counted first: the result buffer is sized once.
  let count = 0;
  for (let o = 0; o + JOB_HEAD <= b.length; count++) o += JOB_HEAD + (b[o] === OP_SIGN ? 64 : 96) + (b[o + 1]! | (b[o + 2]! << 8));
  const results = new ArrayBuffer(count * RESULT_BYTES);
  const r = new Uint8Array(results);
  let error: string | undefined;
  let o = 0;
  for (let i = 0; i < count; i++) {
    const op = b[o]!;
    const len = b[o + 1]! | (b[o + 2]! << 8);
    o += JOB_HEAD;
    if (op === OP_SIGN && o + 64 + len <= b.length) {
      sodium.crypto_sign_detached(r.subarray(i * RESULT_BYTES, (i + 1) * RESULT_BYTES), b.subarray(o + 64, o + 64 + len), b.subarray(o, o + 64));
      o += 64 + len;
    } else if (op === OP_VERIFY && o + 96 + len <= b.length) {
      r[i * RESULT_BYTES] = sodium.crypto_sign_verify_detached(b.subarray(o + 32, o + 96), b.subarray(o + 96, o + 96 + len), b.subarray(o, o + 32)) ? 1 : 0;
      o += 96 + len;
    } else {
      error = `job ${i} of ${count} is malformed`;
      break;
    }
  }
  parentPort!.postMessage(error === undefined ? { results } : { results, error });
});

parentPort?.postMessage(WORKER_READY);
