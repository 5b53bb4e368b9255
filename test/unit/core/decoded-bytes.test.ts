// A syncing node hashed and re-encoded every received transaction several times (its id over a
// re-encoding, the block re-encoded to be stored, the signed bytes built again for the verify
// workers). Decoded txs now carry the bytes they came in: these tests hold that those bytes are the
// canonical encoding, are used without re-encoding, and can never drift from the tx's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlock, decodeTx, encodeBlock, encodeTx, txBytes, txId, txSigningBytes, type Block, type TransferTx } from '../../../src/core/index.js';
import { sha256, sha256d, Sha256Midstate, toHex } from '../../../src/crypto/index.js';
import { buildBlock, testAddress, testGenesis, transfer } from '../../helpers/fixtures.js';

const g = testGenesis();
function sampleBlock(n: number): Block {
  const txs = Array.from({ length: n }, (_, i) => transfer('alice', testAddress('r' + (i % 7)), 10n + BigInt(i), BigInt(i), g.id, 1n));
  return buildBlock({ parent: { id: g.id, height: 0, timestamp: g.params.timestamp }, target: g.params.initialTarget, params: g.params, txs });
}

test('block re-encoded to be stored: a decoded block encodes back to exactly the bytes it came in, from the carried tx bytes', () => {
  const bytes = encodeBlock(sampleBlock(40));
  const decoded = decodeBlock(bytes);
  assert.deepEqual(encodeBlock(decoded), bytes);
  for (const tx of decoded.txs) {
    // The same array every time (no re-encoding), equal to the canonical encoding of the fields.
    assert.equal(txBytes(tx), txBytes(tx));
    assert.deepEqual(txBytes(tx), encodeTx({ ...tx } as typeof tx));
  }
});

test('tx hashed more than once: a decoded tx id is the double SHA-256 of the received bytes, computed once', () => {
  const decoded = decodeBlock(encodeBlock(sampleBlock(5)));
  for (const tx of decoded.txs) {
    const id = txId(tx);
    assert.equal(txId(tx), id); // same object: not hashed again
    assert.deepEqual(id, sha256d(txBytes(tx)));
  }
});

test('decoded tx drift: a decoded tx cannot be changed so that its carried bytes (and id) no longer match its fields', () => {
  const tx = decodeBlock(encodeBlock(sampleBlock(3))).txs[1] as TransferTx;
  const before = toHex(txId(tx));
  assert.throws(() => {
    (tx as { amount: bigint }).amount = 1n;
  }, TypeError);
  assert.equal(tx.amount, 10n);
  // Byte fields are views into the carried bytes: a change in place is a change of the bytes too,
  // so what the signature is checked over is always what the state rules read.
  tx.to[0] ^= 0xff;
  assert.deepEqual(txBytes(tx), encodeTx({ ...tx }));
  assert.deepEqual(txBytes(tx).subarray(0, txSigningBytes(tx).length), txSigningBytes(tx));
  assert.equal(toHex(txId(tx)), before, 'the id was computed before the change and is cached per object, as for any tx');
});

test('decoded tx bytes: a caller that scribbles on encodeTx or decodeTx input does not change the tx', () => {
  const original = encodeBlock(sampleBlock(2)).slice();
  const input = encodeTx(decodeBlock(original).txs[1]!);
  const tx = decodeTx(input);
  const kept = toHex(txBytes(tx));
  input.fill(0);
  encodeTx(tx).fill(0);
  assert.equal(toHex(txBytes(tx)), kept);
});

test('Sha256Midstate: hashing from a saved prefix state equals hashing the whole message, interleaved with other hashes', () => {
  const prefix = new Uint8Array(128).map((_, i) => i);
  const mid = new Sha256Midstate(prefix);
  for (const len of [0, 1, 32, 55, 56, 64, 100, 200]) {
    const data = new Uint8Array(len).map((_, i) => (i * 7) & 0xff);
    const whole = new Uint8Array(prefix.length + len);
    whole.set(prefix);
    whole.set(data, prefix.length);
    assert.equal(toHex(mid.hash(data)), toHex(sha256(whole)));
    assert.equal(toHex(sha256d(data)), toHex(sha256(sha256(data))));
    assert.equal(toHex(mid.hash(data.subarray(0, len >> 1), data.subarray(len >> 1))), toHex(sha256(whole)));
  }
  assert.throws(() => new Sha256Midstate(new Uint8Array(10)), RangeError);
});
