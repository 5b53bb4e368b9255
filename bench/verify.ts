// Signature checks of transactions from senders this process has not seen (a block of new
// accounts; a sync of a chain with many senders): each needs its public key parsed before the
// verify. Figures: verify.rawPerSec (one key, parsed once: the ceiling; sync.ts measures it),
// verify.newSendersPerSec (every signature from a key never seen, through the crypto face), their
// ratio, and the same checks with each key parsed by OpenSSL's DER decoder (the import used before)
// as the in-run reference for the import's cost. Discovery's datagrams are signed and checked with
// libsodium: verify.datagramVerifyPerSec / datagramSignPerSec against node:crypto's (OpenSSL) on
// the same key and message, in the same run.
import { createPublicKey, verify } from 'node:crypto';
import { rawVerifyRate } from './sync.js';
import { datagramSigningKey, generateKeyPair, signDatagram, signMessage, verifyDatagram, verifySignature } from '../src/crypto/index.js';

const SENDERS = 5000;
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');

function perSec(n: number, run: () => void): number {
  const t0 = performance.now();
  run();
  return n / ((performance.now() - t0) / 1000);
}

export async function benchVerify(): Promise<Record<string, unknown>> {
  const msg = new Uint8Array(110).fill(7);
  // More keys than the crypto face's key cache holds (4,096): every check below parses its key.
  const signed = Array.from({ length: SENDERS }, (_, i) => {
    const k = generateKeyPair();
    const m = Uint8Array.from(msg);
    m[0] = i & 0xff;
    return { key: k.publicKey, msg: m, sig: signMessage(m, k.secretKey) };
  });
  let bad = 0;
  const raw = rawVerifyRate();
  const fresh = perSec(SENDERS, () => {
    for (const s of signed) if (!verifySignature(s.msg, s.sig, s.key)) bad++;
  });
  const der = perSec(SENDERS, () => {
    for (const s of signed) if (!verify(null, s.msg, createPublicKey({ key: Buffer.concat([SPKI, s.key]), format: 'der', type: 'spki' }), s.sig)) bad++;
  });
  const dk = generateKeyPair();
  const dsk = datagramSigningKey(dk.secretKey);
  const dsig = signDatagram(msg, dsk);
  const datagramVerify = perSec(SENDERS, () => {
    for (let i = 0; i < SENDERS; i++) if (!verifyDatagram(msg, dsig, dk.publicKey)) bad++;
  });
  const opensslVerify = perSec(SENDERS, () => {
    for (let i = 0; i < SENDERS; i++) if (!verifySignature(msg, dsig, dk.publicKey)) bad++;
  });
  const datagramSign = perSec(SENDERS, () => {
    for (let i = 0; i < SENDERS; i++) signDatagram(msg, dsk);
  });
  const opensslSign = perSec(SENDERS, () => {
    for (let i = 0; i < SENDERS; i++) signMessage(msg, dk.secretKey);
  });
  if (bad) throw new Error(`${bad} valid signatures did not verify`);
  return {
    'verify.rawPerSec': Math.round(raw),
    'verify.newSendersPerSec': Math.round(fresh),
    'verify.newSendersRatio': Math.round((fresh / raw) * 100) / 100,
    'verify.newSendersDerPerSec': Math.round(der),
    'verify.newSendersVsDer': Math.round((fresh / der) * 100) / 100,
    'verify.datagramVerifyPerSec': Math.round(datagramVerify),
    'verify.datagramVerifyVsOpenssl': Math.round((datagramVerify / opensslVerify) * 100) / 100,
    'verify.datagramSignPerSec': Math.round(datagramSign),
    'verify.datagramSignVsOpenssl': Math.round((datagramSign / opensslSign) * 100) / 100,
  };
}
