// Discovery's offloaded signatures (crypto/datagram-pool.ts): libsodium on a worker thread, jobs
// batched per loop turn. The same bytes as inline signing (RFC 8032 vectors), answers in job order
// whatever the mix, a dead worker fails closed, and an idle pool never keeps a process alive.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DatagramCryptoPool, datagramSigningKey, fromHex, signDatagram, toHex } from '../../src/crypto/index.js';
import { prng } from '../helpers/fixtures.js';

const RFC8032 = [
  { secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', message: '', signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b' },
  { secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', message: '72', signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
  { secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', message: 'af82', signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a' },
];

test('pool signatures: RFC 8032 vectors byte for byte, and each verifies on the pool; one flipped bit does not', async (t) => {
  const pool = new DatagramCryptoPool({ workers: 1 });
  t.after(() => pool.close());
  for (const v of RFC8032) {
    const key = datagramSigningKey(fromHex(v.secret));
    const sig = await pool.sign(fromHex(v.message), key);
    assert.equal(toHex(sig), v.signature);
    assert.equal(await pool.verify(fromHex(v.message), sig, key.subarray(32)), true);
    const bad = sig.slice();
    bad[0]! ^= 1;
    assert.equal(await pool.verify(fromHex(v.message), bad, key.subarray(32)), false);
  }
});

test('one loop turn of mixed jobs crosses to the worker in one batch and every answer lands on its own job', async (t) => {
  const pool = new DatagramCryptoPool({ workers: 1, maxBatch: 64 });
  t.after(() => pool.close());
  const rand = prng(0x5eed);
  const keys = Array.from({ length: 4 }, (_, i) => datagramSigningKey(Uint8Array.from({ length: 32 }, () => (rand() * 256) | 0 | i)));
  const jobs = Array.from({ length: 48 }, (_, i) => {
    const key = keys[i % keys.length]!;
    const msg = Uint8Array.from({ length: 50 + ((rand() * 1100) | 0) }, () => (rand() * 256) | 0);
    const sig = signDatagram(msg, key);
    if (i % 3 === 0) sig[5]! ^= 0x40; // every third signature damaged
    return { i, key, msg, sig };
  });
  const before = pool.stats.batches;
  const answers = jobs.map((j) => (j.i % 2 === 0 ? pool.verify(j.msg, j.sig, j.key.subarray(32)) : pool.sign(j.msg, j.key)));
  const got = await Promise.all(answers);
  assert.equal(pool.stats.batches - before, 1, '48 jobs of one turn: one message to the worker');
  jobs.forEach((j, n) => {
    if (j.i % 2 === 0) assert.equal(got[n], j.i % 3 !== 0, `verify ${j.i}`);
    else assert.equal(toHex(got[n] as Uint8Array), toHex(signDatagram(j.msg, j.key)), `sign ${j.i}`);
  });
  // Past maxBatch the turn splits into bounded batches.
  const small = new DatagramCryptoPool({ workers: 1, maxBatch: 8 });
  t.after(() => small.close());
  await Promise.all(jobs.slice(0, 20).map((j) => small.verify(j.msg, j.sig, j.key.subarray(32))));
  assert.equal(small.stats.batches, 3, '20 jobs at 8 per batch');
  assert.equal(small.stats.pending, 0);
});

test('a worker that dies owing answers fails closed: its verifies are false, its signs reject', async (t) => {
  const pool = new DatagramCryptoPool({ workers: 1 });
  t.after(() => pool.close());
  const key = datagramSigningKey(new Uint8Array(32).fill(7));
  const msg = new Uint8Array(100).fill(1);
  const sig = signDatagram(msg, key);
  assert.equal(await pool.verify(msg, sig, key.subarray(32)), true, 'the worker is up');
  const v = pool.verify(msg, sig, key.subarray(32));
  const s = pool.sign(msg, key);
  await pool.close();
  assert.equal(await v, false, 'a valid signature the worker never checked does not pass');
  await assert.rejects(s);
  assert.equal(pool.stats.pending, 0);
  // Bad input is refused before it reaches a batch.
  assert.equal(await pool.verify(msg, new Uint8Array(10), key.subarray(32)), false);
  await assert.rejects(pool.sign(msg, new Uint8Array(32)), TypeError);
  // And the next job starts a new worker.
  assert.equal(await pool.verify(msg, sig, key.subarray(32)), true);
});

/** Runs test/helpers/datagram-pool-child under node `flags` with `args`: its exit code and stdout, or `stuck` after 20 s. */
async function runPoolChild(t: TestContext, flags: string[], args: string[], stuck: string): Promise<{ code: number; out: string }> {
  const childScript = fileURLToPath(new URL('../helpers/datagram-pool-child.js', import.meta.url));
  const child = spawn(process.execPath, [...flags, childScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill());
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = once(child, 'exit');
  const bound = new Promise((_, reject) => setTimeout(() => reject(new Error(stuck)), 20_000).unref());
  const [code] = (await Promise.race([exit, bound])) as [number];
  return { code, out };
}

test('an idle pool never keeps a process alive, and a waiting job does', { timeout: 30_000 }, async (t) => {
  // The child awaits a sign and a verify at top level, prints, and then has nothing left (its pool
  // never closed): it must exit 0 (exit 13 = the worker's answer never came because the process
  // exited first). A valid signature must verify: a worker that never ran would fail closed.
  const { code, out } = await runPoolChild(t, [], ['leave-open'], 'the child did not exit: an idle worker held it');
  assert.equal(code, 0);
  assert.equal(out.trim(), 'verified true');
});

test('no ArrayBuffer detached: a batch and its answers are copied, so V8 keeps every optimised function of the process', async (t) => {
  // The first transfer of an ArrayBuffer in an isolate invalidates V8's ArrayBufferDetaching
  // protector and deoptimises the whole process (~10% of a four-peer sync's CPU went to recompiling
  // after discovery's first batch). V8 reports each invalidation under this flag, from any thread.
  const { code, out } = await runPoolChild(t, ['--trace-protector-invalidation'], [], 'the child did not exit');
  assert.equal(code, 0);
  assert.match(out, /verified true/, `expected the pool to sign and verify, got ${out}`);
  assert.doesNotMatch(out, /ArrayBufferDetaching/, `expected no detached ArrayBuffer, got: ${out}`);
});
