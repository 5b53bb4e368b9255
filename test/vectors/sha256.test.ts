// NIST FIPS 180-4 SHA-256 known answers, through our crypto face.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, sha256d, toHex } from '../../src/crypto/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('sha256: NIST "abc"', () => {
  assert.equal(toHex(sha256(enc('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
test('sha256: NIST empty message', () => {
  assert.equal(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
test('sha256: NIST 448-bit message', () => {
  assert.equal(toHex(sha256(enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
});
test('sha256: NIST 896-bit message', () => {
  assert.equal(
    toHex(sha256(enc('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'))),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  );
});
test('sha256: NIST one million "a"', () => {
  assert.equal(toHex(sha256(new Uint8Array(1_000_000).fill(0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});
test('sha256d: double hash of "abc" (Bitcoin-style)', () => {
  assert.equal(toHex(sha256d(enc('abc'))), toHex(sha256(sha256(enc('abc')))));
  assert.equal(toHex(sha256d(enc('abc'))), '4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358');
});
