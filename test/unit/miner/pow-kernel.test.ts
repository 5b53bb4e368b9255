// Mining kernels (WASM SIMD, WASM scalar, JS) against @noble/hashes: the WASM kernels' own
// top-word answers lane by lane, first-nonce searches against a brute force (ranges that wrap
// past 2^32, partial last groups, top-word ties), targets that hit on each lane, progress and
// stop at every poll, and the reference re-check before a nonce is published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256d } from '../../../src/crypto/index.js';
import {
  WasmKernel, JsKernel, createKernel, loadKernelModule, resolveKernel, verifyFound, PowSearcher, SEARCH_EXHAUSTED, SEARCH_STOPPED,
  type KernelKind, type PowKernel,
} from '../../../src/miner/index.js';
import { KERNEL_POLL_NONCES } from '../../../src/miner/wasm/pow-kernel-wat.js';
import { bytesToBigInt } from '../../../src/crypto/index.js';
import { prng } from '../../helpers/fixtures.js';

const WASM_KINDS = ['wasm-simd', 'wasm-scalar'] as const;
const ALL_KINDS: readonly KernelKind[] = [...WASM_KINDS, 'js'];

function wasmKernel(kind: (typeof WASM_KINDS)[number]): WasmKernel {
  const m = loadKernelModule(kind);
  if (m instanceof Error) throw m;
  return new WasmKernel(kind, m);
}

function idAt(header: Uint8Array, nonce: number): Uint8Array {
  const h = Uint8Array.from(header);
  new DataView(h.buffer).setUint32(112, nonce >>> 0);
  return sha256d(h);
}

const topWord = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0);

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The reference answer: the first nonce of the range whose id <= target, or -1. */
function bruteForce(header: Uint8Array, target: Uint8Array, start: number, count: number): number {
  for (let i = 0; i < count; i++) if (compare(idAt(header, start + i), target) <= 0) return (start + i) >>> 0;
  return -1;
}

const header116 = fc.uint8Array({ minLength: 116, maxLength: 116 });
/** Any nonce, or one within a few of 2^32 so groups wrap. */
const startNonce = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffffffe0, max: 0xffffffff }));

for (const kind of WASM_KINDS) {
  test(`${kind}: top word of every lane equals @noble/hashes on random headers and nonces`, () => {
    const k = wasmKernel(kind);
    fc.assert(
      fc.property(header116, startNonce, fc.nat({ max: 7 }), fc.integer({ min: -2, max: 2 }), (header, start, laneSeed, tweak) => {
        const lane = laneSeed % k.lanes;
        const tops = Array.from({ length: k.lanes }, (_, j) => topWord(idAt(header, start + j)));
        // Threshold at, just above or just below this lane's top word: every lane's answer is exact.
        const t0 = Math.min(0xffffffff, Math.max(0, tops[lane]! + tweak));
        const target = new Uint8Array(32).fill(0xff);
        new DataView(target.buffer).setUint32(0, t0);
        k.setJob(header, target);
        const expected = tops.reduce((m, t, j) => (t <= t0 ? m | (1 << j) : m), 0);
        assert.equal(k.topWordMask(start), expected);
      }),
      { seed: 22, numRuns: kind === 'wasm-simd' ? 3000 : 1500 },
    );
  });
}

for (const kind of ALL_KINDS) {
  test(`${kind}: search returns the first nonce a @noble/hashes brute force finds, on ranges that wrap past 2^32`, () => {
    const k = createKernel(kind);
    fc.assert(
      fc.property(header116, startNonce, fc.integer({ min: 1, max: 37 }), fc.integer({ min: 0, max: 0x30 }), (header, start, count, topByte) => {
        const target = new Uint8Array(32).fill(0xff);
        target[0] = topByte; // about (topByte + 1) / 256 of nonces qualify
        k.setJob(header, target);
        assert.equal(k.search(start, count), bruteForce(header, target, start, count));
      }),
      { seed: 2022, numRuns: 300 },
    );
  });

  test(`${kind}: a target that hits exactly on each lane, or ties its top word and loses below, is judged in full`, () => {
    const k = createKernel(kind);
    const rnd = prng(220);
    for (let round = 0; round < 40; round++) {
      const header = Uint8Array.from({ length: 116 }, () => Math.floor(rnd() * 256));
      const start = round % 2 ? (0xfffffff8 + (round % 8)) >>> 0 : Math.floor(rnd() * 0xffffffff);
      for (let lane = 0; lane < 8; lane++) {
        const id = idAt(header, start + lane);
        const justBelow = Uint8Array.from(id);
        for (let i = 31; i >= 4; i--) if (justBelow[i]!-- !== 0) break; // id - 1, same top word (almost always)
        for (const target of [id, justBelow]) {
          k.setJob(header, target);
          assert.equal(k.search(start, 8), bruteForce(header, target, start, 8), `round ${round} lane ${lane}`);
        }
      }
    }
  });

  test(`${kind}: progress is reported at least every ${KERNEL_POLL_NONCES} nonces and a stop is honoured at the next report`, () => {
    const k = createKernel(kind);
    const header = Uint8Array.from({ length: 116 }, (_, i) => i);
    k.setJob(header, new Uint8Array(32)); // impossible target
    const deltas: number[] = [];
    const count = kind === 'js' ? 100_000 : (1 << 20) + 4099; // across the 2^20-nonce call boundary, partial last group
    assert.equal(k.search(0xffff0000, count, (d) => (deltas.push(d), true)), SEARCH_EXHAUSTED);
    assert.equal(deltas.reduce((s, d) => s + d, 0), count, 'every hash is counted once');
    assert.ok(Math.max(...deltas) <= KERNEL_POLL_NONCES, `largest step ${Math.max(...deltas)}`);
    let calls = 0;
    let hashed = 0;
    assert.equal(k.search(0, count, (d) => ((hashed += d), ++calls < 3)), SEARCH_STOPPED);
    assert.equal(calls, 3);
    assert.ok(hashed <= 3 * KERNEL_POLL_NONCES);
  });
}

test('resolveKernel: wasm runs the SIMD kernel on this runtime; js runs the JS loop', () => {
  assert.deepEqual(resolveKernel('wasm').kind, 'wasm-simd');
  assert.equal(resolveKernel('wasm').fallback, undefined);
  assert.deepEqual(resolveKernel('js'), { kind: 'js' });
  assert.ok(createKernel('js') instanceof JsKernel);
});

test('a found nonce is re-verified with the reference hash: a kernel that lies is not published', () => {
  const header = Uint8Array.from({ length: 116 }, (_, i) => (i * 7) & 0xff);
  const target = (1n << 250n) - 1n;
  const k: PowKernel = createKernel('js');
  const t = new Uint8Array(32);
  new DataView(t.buffer).setUint32(0, 0x03ffffff);
  t.fill(0xff, 4);
  k.setJob(header, t);
  const good = k.search(0, 1 << 16);
  assert.ok(good >= 0);
  const ok = verifyFound(header, good, target);
  assert.ok(ok && bytesToBigInt(ok.id) <= target);
  let bad = (good + 1) >>> 0;
  while (bytesToBigInt(idAt(header, bad)) <= target) bad++;
  assert.equal(verifyFound(header, bad, target), undefined);
});

test('PowSearcher: the wasm and js implementations find the same first nonce, verified by the reference hash', async () => {
  const header = Uint8Array.from({ length: 116 }, (_, i) => (i * 13 + 5) & 0xff);
  const target = new Uint8Array(32).fill(0xff);
  target[0] = 0;
  target[1] = 0x3f; // ~1 in 1024
  header.set(target, 80);
  const found: number[] = [];
  for (const impl of ['wasm', 'js'] as const) {
    const s = new PowSearcher({ threads: 1, impl });
    try {
      assert.equal(s.kernel, impl === 'wasm' ? 'wasm-simd' : 'js');
      const r = await s.search(header);
      assert.equal(r.status, 'found');
      if (r.status === 'found') {
        assert.deepEqual(r.id, idAt(header, r.nonce));
        found.push(r.nonce);
      }
    } finally {
      await s.stop();
    }
  }
  assert.equal(found[0], found[1]);
  assert.equal(found[0], bruteForce(header, target, 0, found[0]! + 1));
});
