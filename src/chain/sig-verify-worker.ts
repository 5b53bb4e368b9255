// Worker thread body for SignatureVerifier: verifies a batch of Ed25519 signatures.
import { parentPort } from 'node:worker_threads';
import { verifySignature } from '../crypto/index.js';

export interface VerifyJob {
  id: number;
  msgs: Uint8Array[];
  sigs: Uint8Array[];
  pubs: Uint8Array[];
}

parentPort?.on('message', (job: VerifyJob) => {
  const ok = new Uint8Array(job.msgs.length);
  for (let i = 0; i < job.msgs.length; i++) ok[i] = verifySignature(job.msgs[i]!, job.sigs[i]!, job.pubs[i]!) ? 1 : 0;
  parentPort!.postMessage({ id: job.id, ok }, [ok.buffer]);
});
