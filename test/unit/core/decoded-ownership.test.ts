// Who owns decoded bytes, and what they keep alive. A syncing node decodes every block it receives:
// the block message was copied whole out of its frame and then every tx copied again out of that;
// `ByteReader.fixed` claimed to copy but, on a Buffer (a LevelDB value, a socket frame), returned a
// view. Now the block message is a view into its frame, decodeBlock makes one copy its txs share
// (they pin that copy, never the caller's buffer), the stored bytes are that copy, and every
// "copy" is a copy whatever the input's class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import {
  ByteReader, ByteWriter, DecodeError, HEADER_BYTES, blockBytes, decodeBlock, decodeTx, encodeBlock, encodeTx, merkleLeaf, txBytes,
  type Block, type TransferTx,
} from '../../../src/core/index.js';
import { sha256, sha256d, Sha256Midstate, toHex } from '../../../src/crypto/index.js';
import { decodeMessage, encodeMessage } from '../../../src/p2p/index.js';
import { buildBlock, testAddress, testGenesis, transfer } from '../../helpers/fixtures.js';

const g = testGenesis();
function sampleBlock(n: number): Block {
  const txs = Array.from({ length: n }, (_, i) => transfer('alice', testAddress('r' + (i % 7)), 10n + BigInt(i), BigInt(i), g.id, 1n));
  return buildBlock({ parent: { id: g.id, height: 0, timestamp: g.params.timestamp }, target: g.params.initialTarget, params: g.params, txs });
}

test('ByteReader.fixed on a Buffer returned a view: bytes read from a LevelDB value or a socket frame aliased their input', () => {
  const input = Buffer.from([1, 2, 3, 4, 0, 2, 9, 8]);
  const r = new ByteReader(input);
  const fixed = r.fixed(4);
  const varBytes = r.varBytes16(10);
  input.fill(0);
  assert.deepEqual([...fixed], [1, 2, 3, 4]);
  assert.deepEqual([...varBytes], [9, 8]);
  // borrow is the one reader that views its input, and says so.
  const again = Buffer.from([5, 6]);
  const view = new ByteReader(again).borrow(2);
  again[0] = 7;
  assert.equal(view[0], 7);
});

test('decodeTx of a Buffer kept a view: the tx changed when the caller reused its buffer', () => {
  const tx = sampleBlock(2).txs[1] as TransferTx;
  const canonical = encodeTx(tx);
  const buf = Buffer.from(canonical);
  const decoded = decodeTx(buf) as TransferTx;
  buf.fill(0);
  assert.deepEqual(txBytes(decoded), canonical);
  assert.equal(decoded.amount, tx.amount);
  assert.deepEqual(decoded.signature, tx.signature);
});

test('block message copied whole before decoding: the body is a view into the received frame', () => {
  const body = encodeBlock(sampleBlock(20));
  const frame = encodeMessage({ kind: 'block', bytes: body });
  const m = decodeMessage(frame);
  assert.equal(m.kind, 'block');
  if (m.kind !== 'block') return;
  assert.equal(m.bytes.buffer, frame.buffer, 'no copy of the body before it is decoded');
  assert.deepEqual(m.bytes, body);
});

test('decoded tx pinned its input: a block decoded out of a large buffer keeps only a copy of its own bytes alive', () => {
  const body = encodeBlock(sampleBlock(30));
  // A block somewhere inside a 1 MiB read, as a socket or a LevelDB value may hand it over.
  const big = Buffer.alloc(1 << 20, 0xee);
  body.forEach((b, i) => (big[1000 + i] = b));
  const block = decodeBlock(big.subarray(1000, 1000 + body.length));
  const owners = new Set(block.txs.map((t) => txBytes(t).buffer));
  for (const owner of owners) {
    assert.notEqual(owner, big.buffer, 'a tx must not view the caller buffer');
    assert.ok(owner.byteLength <= body.length, `a tx keeps at most its block's bytes alive, got ${owner.byteLength}`);
  }
  big.fill(0);
  assert.deepEqual(encodeBlock(block), body, 'the caller reusing its buffer changes nothing decoded');
  assert.deepEqual(blockBytes(block), body);
});

test('block re-encoded to be stored: blockBytes of a decoded block is its decoded copy, and any change since decoding is encoded afresh', () => {
  const body = encodeBlock(sampleBlock(12));
  const d = decodeBlock(body);
  assert.equal(blockBytes(d), blockBytes(d), 'the same bytes each time: nothing re-encoded');
  assert.deepEqual(blockBytes(d), body);
  // A tx field changed in place changes the shared bytes with it: still one consistent encoding.
  (d.txs[1] as TransferTx).to[0] ^= 0xff;
  assert.deepEqual(blockBytes(d), encodeBlock(d));

  const changes: [string, (b: Block) => void][] = [
    ['nonce', (b) => b.header.nonce++],
    ['timestamp', (b) => (b.header.timestamp += 1)],
    ['prevHash in place', (b) => (b.header.prevHash[3] ^= 1)],
    ['merkleRoot in place', (b) => (b.header.merkleRoot[31] ^= 1)],
    ['target replaced', (b) => (b.header.target = new Uint8Array(32).fill(0xff))],
    ['header replaced', (b) => (b.header = { ...b.header, height: b.header.height + 1 })],
    ['tx dropped', (b) => b.txs.pop()],
    ['txs swapped', (b) => ([b.txs[1], b.txs[2]] = [b.txs[2]!, b.txs[1]!])],
  ];
  for (const [what, change] of changes) {
    const b = decodeBlock(body);
    change(b);
    const got = blockBytes(b);
    assert.deepEqual(got, encodeBlock(b), what);
    assert.notDeepEqual(got, body, what);
  }
});

test('block tx lengths that lie: a tx shorter or longer than its length prefix is refused as a reader of its own would', () => {
  const block = sampleBlock(3);
  const encode = (delta: number, extra: number): Uint8Array => {
    const w = new ByteWriter();
    w.fixed(blockBytes(block).subarray(0, HEADER_BYTES), HEADER_BYTES).u32(block.txs.length);
    block.txs.forEach((t, i) => {
      const raw = txBytes(t);
      const padded = new Uint8Array(raw.length + (i === 1 ? extra : 0));
      padded.set(raw);
      w.u16(padded.length + (i === 1 ? delta : 0)).fixed(padded, padded.length);
    });
    return w.finish();
  };
  const reason = (bytes: Uint8Array): string => {
    try {
      decodeBlock(bytes);
      return 'decoded';
    } catch (e) {
      assert.ok(e instanceof DecodeError);
      return e.reason;
    }
  };
  assert.equal(reason(encode(0, 0)), 'decoded');
  assert.equal(reason(encode(0, 1)), 'trailing-bytes', 'a byte after the tx inside its prefix');
  assert.equal(reason(encode(-1, 0)), 'truncated', 'a prefix one byte short of the tx');
  assert.equal(reason(encode(1, 0)), 'trailing-bytes', 'a prefix one byte long swallows the next prefix byte');
});

test('sha256 state restarted in place: every digest equals node:crypto SHA-256, interleaved with midstate hashes', () => {
  const nodeSha = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();
  const prefix = new Uint8Array(64).fill(0x5a);
  const mid = new Sha256Midstate(prefix);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 80 }), (a, b) => {
      assert.equal(toHex(sha256(a)), toHex(nodeSha(a)));
      const leaf = merkleLeaf(sha256d(b));
      assert.equal(toHex(sha256d(a)), toHex(nodeSha(nodeSha(a))));
      const whole = new Uint8Array(64 + a.length + b.length);
      whole.set(prefix);
      whole.set(a, 64);
      whole.set(b, 64 + a.length);
      assert.equal(toHex(mid.hash(a, b)), toHex(nodeSha(whole)));
      assert.equal(toHex(merkleLeaf(sha256d(b))), toHex(leaf), 'the same leaf whatever ran in between');
      // Results are fresh arrays: a caller writing into one changes no later digest.
      const out = sha256(a);
      out.fill(0);
      assert.equal(toHex(sha256(a)), toHex(nodeSha(a)));
    }),
    fcOptions(61_004, 200),
  );
});
