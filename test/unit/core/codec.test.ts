// Canonical codec: fast-check round trips for every codec, and hostile bytes produce only DecodeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import {
  encodeTx, decodeTx, encodeHeader, decodeHeader, encodeBlock, decodeBlock, DecodeError, HEADER_BYTES, MAX_COINBASE_EXTRA,
  type Tx, type BlockHeader, type Block,
} from '../../../src/core/index.js';
import { prng } from '../../helpers/fixtures.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const transferArb: fc.Arbitrary<Tx> = fc.record({
  kind: fc.constant('transfer' as const),
  chainId: bytes(32), from: bytes(32), to: bytes(20), amount: u64, fee: u64, nonce: u64, signature: bytes(64),
}).map((r) => ({ ...r }));
const coinbaseArb: fc.Arbitrary<Tx> = fc.record({
  kind: fc.constant('coinbase' as const),
  height: fc.nat({ max: 0xffffffff }), to: bytes(20), amount: u64, extraNonce: u64, extraData: fc.uint8Array({ maxLength: MAX_COINBASE_EXTRA }),
}).map((r) => ({ ...r }));
const txArb = fc.oneof(transferArb, coinbaseArb);
const headerArb: fc.Arbitrary<BlockHeader> = fc.record({
  version: fc.constant(1), height: fc.nat({ max: 0xffffffff }), prevHash: bytes(32), merkleRoot: bytes(32),
  timestamp: fc.nat({ max: Number.MAX_SAFE_INTEGER }), target: bytes(32), nonce: fc.nat({ max: 0xffffffff }),
}).map((r) => ({ ...r }));
const blockArb: fc.Arbitrary<Block> = fc.record({ header: headerArb, txs: fc.array(txArb, { maxLength: 8 }) }).map((r) => ({ ...r }));

test('codec: tx round-trips for random valid values', () => {
  fc.assert(fc.property(txArb, (tx) => assert.deepEqual(decodeTx(encodeTx(tx)), tx)), fcOptions(1, 500));
});
test('codec: header round-trips and is exactly 116 bytes', () => {
  fc.assert(fc.property(headerArb, (h) => {
    const b = encodeHeader(h);
    assert.equal(b.length, HEADER_BYTES);
    assert.deepEqual(decodeHeader(b), h);
  }), fcOptions(2, 500));
});
test('codec: block round-trips for random valid values', () => {
  fc.assert(fc.property(blockArb, (b) => assert.deepEqual(decodeBlock(encodeBlock(b)), b)), fcOptions(3, 200));
});

function onlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.equal(typeof e.reason, 'string');
  }
}

test('codec: random bytes to every decoder give only DecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
    onlyDecodeError(() => decodeTx(b));
    onlyDecodeError(() => decodeHeader(b));
    onlyDecodeError(() => decodeBlock(b));
  }), fcOptions(4, 3000));
});

test('codec: mutated valid encodings give a valid value or only DecodeError', () => {
  const rnd = prng(5);
  const samples = fc.sample(blockArb, fcOptions(6, 100)).map(encodeBlock);
  for (let i = 0; i < 5000; i++) {
    const src = samples[i % samples.length]!;
    const b = Uint8Array.from(src);
    const op = Math.floor(rnd() * 3);
    if (op === 0) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    const cut = op === 1 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
    const extended = op === 2 ? Uint8Array.from([...b, Math.floor(rnd() * 256)]) : cut;
    onlyDecodeError(() => decodeBlock(extended));
    onlyDecodeError(() => decodeTx(extended.subarray(HEADER_BYTES + 6)));
  }
});

test('codec: trailing-bytes is refused', () => {
  const tx = fc.sample(txArb, fcOptions(7, 1))[0]!;
  const b = encodeTx(tx);
  assert.throws(() => decodeTx(Uint8Array.from([...b, 0])), (e: unknown) => e instanceof DecodeError && e.reason === 'trailing-bytes');
});
test('codec: unknown-version is refused', () => {
  const b = encodeTx(fc.sample(txArb, fcOptions(8, 1))[0]!);
  b[0] = 9;
  assert.throws(() => decodeTx(b), (e: unknown) => e instanceof DecodeError && e.reason === 'unknown-version');
  const h = encodeHeader(fc.sample(headerArb, fcOptions(9, 1))[0]!);
  h[3] = 2;
  assert.throws(() => decodeHeader(h), (e: unknown) => e instanceof DecodeError && e.reason === 'unknown-version');
});
test('codec: bad-kind, truncated and bad-length are refused', () => {
  const b = encodeTx(fc.sample(transferArb, fcOptions(10, 1))[0]!);
  const k = Uint8Array.from(b);
  k[1] = 7;
  assert.throws(() => decodeTx(k), (e: unknown) => e instanceof DecodeError && e.reason === 'bad-kind');
  assert.throws(() => decodeTx(b.subarray(0, 50)), (e: unknown) => e instanceof DecodeError && e.reason === 'truncated');
  assert.throws(() => decodeHeader(new Uint8Array(115)), (e: unknown) => e instanceof DecodeError && e.reason === 'bad-length');
});
test('codec: oversize coinbase extraData and absurd tx counts are refused', () => {
  const cb = encodeTx({ kind: 'coinbase', height: 1, to: new Uint8Array(20), amount: 1n, extraNonce: 0n, extraData: new Uint8Array(10) });
  const bad = Uint8Array.from(cb);
  bad[bad.length - 12] = 0xff; // length prefix high byte
  assert.throws(() => decodeTx(bad), (e: unknown) => e instanceof DecodeError && (e.reason === 'oversize' || e.reason === 'truncated'));
  const blk = encodeBlock({ header: fc.sample(headerArb, fcOptions(11, 1))[0]!, txs: [] });
  blk.set([0xff, 0xff, 0xff, 0xff], HEADER_BYTES);
  assert.throws(() => decodeBlock(blk), (e: unknown) => e instanceof DecodeError && e.reason === 'bad-length');
});
