// The wire codec: every message kind round-trips (fast-check), limits hold at their edges, the
// encoding is canonical, and random or mutated bytes give DecodeError and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { ByteWriter, DecodeError } from '../../../src/core/index.js';
import {
  decodeMessage, encodeMessage, MESSAGE_KINDS, MAX_INV_ITEMS, MAX_LOCATOR, MAX_BLOCKS_PER_MSG, MAX_TX_BYTES, P2PError, PROTOCOL_VERSION,
  type InvItem, type Message, type MessageKind, type MessageOf,
} from '../../../src/p2p/index.js';

// Compile-time: payload types follow the schemas.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeChecks: [
  Equal<MessageOf<'inv'>['items'], InvItem[]>,
  Equal<MessageOf<'getblocks'>['stop'], Uint8Array | undefined>,
  Equal<MessageOf<'ping'>['nonce'], bigint>,
  Equal<MessageOf<'blocks'>['blocks'], Uint8Array[]>,
] = [true, true, true, true];
void typeChecks;

// fc.record builds null-prototype objects; the decoder builds plain ones (deepEqual checks prototypes).
const rec = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((x) => ({ ...x }));
const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
const item = rec(fc.record({ type: fc.constantFrom('block' as const, 'tx' as const), id }));
const items = fc.array(item, { maxLength: 30 });
const tip = rec(fc.record({ id, height: fc.nat({ max: 0xffffffff }), work: fc.bigInt({ min: 0n, max: (1n << 512n) - 1n }) }));
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** One arbitrary per message kind: the mapped type makes a missing kind a compile error. */
const ARBS: { [K in MessageKind]: fc.Arbitrary<MessageOf<K>> } = {
  hello: rec(fc.record({ kind: fc.constant('hello' as const), version: fc.nat({ max: 65535 }), genesis: id, publicKey: id, listenPort: fc.nat({ max: 65535 }), challenge: id, tip })),
  helloAck: rec(fc.record({ kind: fc.constant('helloAck' as const), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) })),
  inv: rec(fc.record({ kind: fc.constant('inv' as const), items })),
  getdata: rec(fc.record({ kind: fc.constant('getdata' as const), items })),
  notfound: rec(fc.record({ kind: fc.constant('notfound' as const), items })),
  block: rec(fc.record({ kind: fc.constant('block' as const), bytes: fc.uint8Array({ maxLength: 2000 }) })),
  tx: rec(fc.record({ kind: fc.constant('tx' as const), bytes: fc.uint8Array({ maxLength: 400 }) })),
  getblocks: rec(fc.record({ kind: fc.constant('getblocks' as const), locator: fc.array(id, { maxLength: MAX_LOCATOR }), stop: id }, { requiredKeys: ['kind', 'locator'] })),
  blocks: rec(fc.record({ kind: fc.constant('blocks' as const), blocks: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }) })),
  ping: rec(fc.record({ kind: fc.constant('ping' as const), nonce: u64 })),
  pong: rec(fc.record({ kind: fc.constant('pong' as const), nonce: u64 })),
  tip: rec(fc.record({ kind: fc.constant('tip' as const), tip })),
  getheaders: rec(fc.record({ kind: fc.constant('getheaders' as const), locator: fc.array(id, { maxLength: MAX_LOCATOR }), stop: id }, { requiredKeys: ['kind', 'locator'] })),
  headers: rec(fc.record({ kind: fc.constant('headers' as const), headers: fc.array(fc.uint8Array({ minLength: 116, maxLength: 116 }), { maxLength: 20 }) })),
};
const anyMessage: fc.Arbitrary<Message> = fc.oneof(...MESSAGE_KINDS.map((k) => ARBS[k] as fc.Arbitrary<Message>));

test('codec: every message kind round-trips', () => {
  assert.deepEqual(Object.keys(ARBS).sort(), [...MESSAGE_KINDS].sort());
  for (const kind of MESSAGE_KINDS) {
    fc.assert(
      fc.property(ARBS[kind] as fc.Arbitrary<Message>, (m) => {
        const bytes = encodeMessage(m);
        assert.equal(bytes[0], PROTOCOL_VERSION);
        const back = decodeMessage(bytes);
        assert.deepEqual(back, m);
        assert.deepEqual(encodeMessage(back), bytes, 'canonical: re-encoding gives the same bytes');
      }),
      fcOptions(42, 200),
    );
  }
});

test('codec: limits at their edges (inv 50,000; locator 101; blocks 500; tx 16 KiB)', () => {
  const big: InvItem[] = Array.from({ length: MAX_INV_ITEMS }, (_, i) => ({ type: i % 2 ? 'tx' : 'block', id: new Uint8Array(32).fill(i & 0xff) }));
  const inv = decodeMessage(encodeMessage({ kind: 'getdata', items: big }));
  assert.equal(inv.kind === 'getdata' && inv.items.length, MAX_INV_ITEMS);
  assert.throws(() => encodeMessage({ kind: 'inv', items: [...big, big[0]!] }), (e: unknown) => e instanceof P2PError && e.reason === 'invalid-message');
  // A hand-built frame claiming 50,001 items is refused before any allocation.
  const over = new ByteWriter().u8(PROTOCOL_VERSION).u8(0x10).u32(MAX_INV_ITEMS + 1).finish();
  assert.throws(() => decodeMessage(over), (e: unknown) => e instanceof DecodeError && e.reason === 'oversize');
  const claims = new ByteWriter().u8(PROTOCOL_VERSION).u8(0x10).u32(40_000).finish();
  assert.throws(() => decodeMessage(claims), (e: unknown) => e instanceof DecodeError && e.reason === 'truncated');

  const loc = Array.from({ length: MAX_LOCATOR }, () => new Uint8Array(32));
  assert.equal((decodeMessage(encodeMessage({ kind: 'getblocks', locator: loc })) as MessageOf<'getblocks'>).locator.length, MAX_LOCATOR);
  assert.throws(() => encodeMessage({ kind: 'getblocks', locator: [...loc, loc[0]!] }), P2PError);
  const w = new ByteWriter().u8(PROTOCOL_VERSION).u8(0x15).u16(MAX_LOCATOR + 1);
  for (let i = 0; i <= MAX_LOCATOR; i++) w.fixed(new Uint8Array(32), 32);
  assert.throws(() => decodeMessage(w.u8(0).finish()), (e: unknown) => e instanceof DecodeError && e.reason === 'oversize');

  const blocks = Array.from({ length: MAX_BLOCKS_PER_MSG }, () => new Uint8Array(1));
  assert.equal((decodeMessage(encodeMessage({ kind: 'blocks', blocks })) as MessageOf<'blocks'>).blocks.length, MAX_BLOCKS_PER_MSG);
  assert.throws(() => encodeMessage({ kind: 'blocks', blocks: [...blocks, blocks[0]!] }), P2PError);

  assert.doesNotThrow(() => encodeMessage({ kind: 'tx', bytes: new Uint8Array(MAX_TX_BYTES) }));
  assert.throws(() => encodeMessage({ kind: 'tx', bytes: new Uint8Array(MAX_TX_BYTES + 1) }), P2PError);
  const bigTx = new ByteWriter().u8(PROTOCOL_VERSION).u8(0x14).u16(MAX_TX_BYTES + 1).finish();
  assert.throws(() => decodeMessage(bigTx), (e: unknown) => e instanceof DecodeError && e.reason === 'oversize');
});

test('codec: strict framing (version, type, trailing bytes, canonical numbers and flags)', () => {
  const ping = encodeMessage({ kind: 'ping', nonce: 5n });
  const reason = (b: Uint8Array): string => {
    try {
      decodeMessage(b);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof DecodeError, String(e));
      return e.reason;
    }
  };
  assert.equal(reason(Uint8Array.from([PROTOCOL_VERSION + 1, ...ping.subarray(1)])), 'unknown-version');
  assert.equal(reason(Uint8Array.from([PROTOCOL_VERSION, 0x7f, 0, 0])), 'bad-kind');
  assert.equal(reason(Uint8Array.from([...ping, 0])), 'trailing-bytes');
  assert.equal(reason(ping.subarray(0, ping.length - 1)), 'truncated');
  assert.equal(reason(new Uint8Array(0)), 'truncated');
  // tip work: a leading zero byte would be a second encoding of the same number, so it is refused.
  const t = encodeMessage({ kind: 'tip', tip: { id: new Uint8Array(32), height: 1, work: 0x0102n } });
  const workAt = 2 + 32 + 4;
  assert.equal(t[workAt], 2);
  const padded = Uint8Array.from([...t.subarray(0, workAt), 3, 0, ...t.subarray(workAt + 1)]);
  assert.equal(reason(padded), 'malformed');
  // getblocks stop flag must be 0 or 1.
  const g = encodeMessage({ kind: 'getblocks', locator: [] });
  assert.equal(reason(Uint8Array.from([...g.subarray(0, g.length - 1), 2])), 'malformed');
  // inv item type must be block (1) or tx (2).
  const i = encodeMessage({ kind: 'inv', items: [{ type: 'tx', id: new Uint8Array(32) }] });
  i[6] = 9;
  assert.equal(reason(i), 'bad-kind');
  // Encoding refuses values outside the schema with the one p2p error class.
  assert.throws(() => encodeMessage({ kind: 'ping', nonce: -1n }), (e: unknown) => e instanceof P2PError && e.reason === 'invalid-message');
  assert.throws(() => encodeMessage({ kind: 'hello', version: 1, genesis: new Uint8Array(31), publicKey: new Uint8Array(32), listenPort: 1, challenge: new Uint8Array(32), tip: { id: new Uint8Array(32), height: 0, work: 0n } }), P2PError);
});

test('codec: random bytes give only DecodeError', () => {
  const codes = [0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 255 }), (b, code) => {
      // Half the cases get a valid header so the payload decoders are exercised, not just the envelope.
      const frame = b.length >= 2 && code % 2 ? Uint8Array.from([PROTOCOL_VERSION, codes[code % codes.length]!, ...b.subarray(2)]) : b;
      try {
        decodeMessage(frame);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `unexpected ${String(e)}`);
      }
    }),
    fcOptions(7, 5_000),
  );
});

test('codec: mutated valid frames give DecodeError or a message that re-encodes to the same bytes', () => {
  const mutation = fc.record({ at: fc.nat(), op: fc.nat({ max: 3 }), byte: fc.nat({ max: 255 }), cut: fc.nat() });
  fc.assert(
    fc.property(anyMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, muts) => {
      let b = Uint8Array.from(encodeMessage(m));
      for (const { at, op, byte, cut } of muts) {
        const pos = b.length ? at % b.length : 0;
        if (op === 0 && b.length) b[pos] = byte;
        else if (op === 1) b = b.subarray(0, cut % (b.length + 1));
        else if (op === 2) b = Uint8Array.from([...b.subarray(0, pos), byte, ...b.subarray(pos)]);
        else if (b.length) b = Uint8Array.from([...b.subarray(0, pos), ...b.subarray(pos + 1)]);
      }
      let back: Message;
      try {
        back = decodeMessage(b);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `unexpected ${String(e)}`);
        return;
      }
      assert.deepEqual(encodeMessage(back), b, 'whatever decodes has exactly one encoding');
    }),
    fcOptions(11, 3_000),
  );
});
