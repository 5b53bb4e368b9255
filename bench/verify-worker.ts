// Worker for sync.rawVerifyAllPerSec: verifies one Ed25519 signature in a loop for `ms` and
// posts how many it did. One per core, all at once: the honest verify ceiling of this machine.
import { parentPort, workerData } from 'node:worker_threads';
import { generateKeyPair, signMessage, verifySignature } from '../src/crypto/index.js';

const { ms } = workerData as { ms: number };
const k = generateKeyPair();
const msg = new Uint8Array(110).fill(7);
const sig = signMessage(msg, k.secretKey);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < ms) {
  for (let i = 0; i < 100; i++) verifySignature(msg, sig, k.publicKey);
  n += 100;
}
parentPort!.postMessage(n / ((performance.now() - t0) / 1000));
