// Range-checked codec writers and signTransfer's field checks: fast-check across every boundary.
// Before the checks, DataView wrapped silently: a signature made for nonce 2^64 verified for nonce 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter, ByteReader, signTransfer, txSigningBytes, isCodedError, type TransferTx } from '../../../src/core/index.js';
import { verifySignature } from '../../../src/crypto/index.js';
import { testKey, testAddress } from '../../helpers/fixtures.js';

const U64 = 1n << 64n;
const SEED = 20;
const outOfRange = (e: unknown): boolean => isCodedError(e) && (e.reason === 'out-of-range' || e.reason === 'bad-type');

const widths = [
  { name: 'u8', max: 0xff },
  { name: 'u16', max: 0xffff },
  { name: 'u32', max: 0xffffffff },
] as const;

test('codec: u8/u16/u32 writers round-trip every value in range and throw outside it', () => {
  for (const { name, max } of widths) {
    const write = (v: number) => new ByteWriter(8)[name](v).finish();
    const read = (b: Uint8Array) => new ByteReader(b)[name]();
    fc.assert(fc.property(fc.integer({ min: 0, max }), (v) => assert.equal(read(write(v)), v)), { seed: SEED, numRuns: 300 });
    for (const v of [0, 1, max - 1, max]) assert.equal(read(write(v)), v);
    const bad = fc.oneof(
      fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
      fc.double({ noInteger: true }),
      fc.constantFrom(max + 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 53),
    );
    fc.assert(fc.property(bad, (v) => assert.throws(() => write(v), outOfRange, `${name}(${v})`)), { seed: SEED, numRuns: 300 });
  }
});

test('codec: u64 writer round-trips [0, 2^64-1] and refuses -1, 2^64 and beyond (no wrap)', () => {
  const write = (v: bigint) => new ByteWriter(8).u64(v).finish();
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: U64 - 1n }), (v) => assert.equal(new ByteReader(write(v)).u64(), v)), { seed: SEED, numRuns: 300 });
  for (const v of [0n, 1n, U64 - 2n, U64 - 1n]) assert.equal(new ByteReader(write(v)).u64(), v);
  const bad = fc.oneof(fc.bigInt({ min: U64, max: U64 * U64 }), fc.bigInt({ min: -(U64 * U64), max: -1n }), fc.constantFrom(U64, -1n, U64 + 1n));
  fc.assert(fc.property(bad, (v) => assert.throws(() => write(v), outOfRange, `u64(${v})`)), { seed: SEED, numRuns: 300 });
  assert.throws(() => new ByteWriter(8).u64(5 as unknown as bigint), outOfRange, 'a number where a bigint belongs');
});

test('codec: fixed-length and length-prefixed writers refuse what does not fit', () => {
  assert.throws(() => new ByteWriter().fixed(new Uint8Array(31), 32), (e: unknown) => isCodedError(e) && e.reason === 'bad-length');
  assert.throws(() => new ByteWriter().varBytes16(new Uint8Array(0x10000)), outOfRange);
  assert.equal(new ByteWriter().varBytes16(new Uint8Array(0xffff)).finish().length, 0x10001);
});

const alice = testKey('alice');
const base = { chainId: new Uint8Array(32).fill(7), from: alice.publicKey, to: testAddress('bob'), amount: 5n, fee: 1n, nonce: 0n };

test('signTransfer: nonce 2^64 and -1 are refused (a signature must never cover two nonces)', () => {
  for (const nonce of [U64, -1n, U64 + 5n]) assert.throws(() => signTransfer({ ...base, nonce }, alice.secretKey), outOfRange, `nonce ${nonce}`);
  // In range at both edges, and the signature covers exactly that nonce.
  for (const nonce of [0n, U64 - 1n]) {
    const tx: TransferTx = signTransfer({ ...base, nonce }, alice.secretKey);
    assert.equal(tx.nonce, nonce);
    assert.ok(verifySignature(txSigningBytes(tx), tx.signature, tx.from));
  }
});

test('signTransfer: every field is validated before signing (fast-check across the u64 boundaries)', () => {
  const u64Field = fc.constantFrom('amount', 'fee', 'nonce') as fc.Arbitrary<'amount' | 'fee' | 'nonce'>;
  const outside = fc.oneof(fc.bigInt({ min: U64, max: U64 * 4n }), fc.bigInt({ min: -U64, max: -1n }));
  fc.assert(
    fc.property(u64Field, outside, (field, v) => {
      assert.throws(() => signTransfer({ ...base, [field]: v }, alice.secretKey), outOfRange, `${field}=${v}`);
    }),
    { seed: SEED, numRuns: 200 },
  );
  fc.assert(
    fc.property(u64Field, fc.bigInt({ min: 0n, max: U64 - 1n }), (field, v) => {
      assert.equal(signTransfer({ ...base, [field]: v }, alice.secretKey)[field], v);
    }),
    { seed: SEED, numRuns: 100 },
  );
  const lengthOf = (e: unknown): boolean => isCodedError(e) && e.reason === 'bad-length';
  assert.throws(() => signTransfer({ ...base, chainId: new Uint8Array(31) }, alice.secretKey), lengthOf);
  assert.throws(() => signTransfer({ ...base, to: new Uint8Array(32) }, alice.secretKey), lengthOf);
  assert.throws(() => signTransfer({ ...base, from: new Uint8Array(33) }, alice.secretKey), lengthOf);
  // A `from` that is not the signer's key would make a transaction no node accepts.
  assert.throws(() => signTransfer({ ...base, from: testKey('mallory').publicKey }, alice.secretKey), (e: unknown) => isCodedError(e) && e.reason === 'key-mismatch');
});
