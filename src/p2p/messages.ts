// The p2p wire format: one versioned binary codec. A frame is
//   [protocol version u8][message type u8][payload]
// and each payload is declared once in SCHEMAS below; the encoder, the strict decoder and the
// payload types (`Payloads`, `MessageOf<K>`, `Message`) all derive from that table. Decoding bounds
// every count and length and rejects trailing bytes, so random input gives DecodeError and nothing else.
import { DecodeError, HEADER_BYTES, MAX_BLOCK_BYTES_HARD, MAX_TX_BYTES, ByteReader, ByteWriter } from '../core/index.js';
import { sha256d, toHex } from '../crypto/index.js';
import { P2PError } from './errors.js';
import { enumU8, fixedBytes, list, optional, struct, u16, u32, u64, uintBig, varBytes, varBytes32View, type Infer } from './schema.js';

export const PROTOCOL_VERSION = 2;
/** Entries per inv / getdata / notfound (DESIGN "Limits"). */
export const MAX_INV_ITEMS = 50_000;
/** Locator ids per getblocks: tip, tip-1, tip-2, tip-4, ... genesis stays under this for 2^100 blocks. */
export const MAX_LOCATOR = 101;
/** Blocks per `blocks` reply. */
export const MAX_BLOCKS_PER_MSG = 500;
/** Headers per `headers` message (Bitcoin Core's 2,000). */
export const MAX_HEADERS_PER_MSG = 2_000;
/** Ceilings for one body on the wire: the consensus hard caps of core (policy limits are the node's). */
export const MAX_BLOCK_BYTES = MAX_BLOCK_BYTES_HARD;
export { MAX_TX_BYTES };

const id32 = fixedBytes(32);
const tipSchema = struct({ id: id32, height: u32, work: uintBig(64) });
const invItem = struct({ type: enumU8({ block: 1, tx: 2 }), id: id32 });
const items = struct({ items: list(invItem, MAX_INV_ITEMS, 'u32') });

/** One entry per message kind: its type byte and its payload schema. */
const SCHEMAS = {
  // handshake (see handshake.ts): hello carries identity, chain and tip; helloAck proves the key
  hello: { code: 0x01, schema: struct({ version: u16, genesis: id32, publicKey: id32, listenPort: u16, challenge: id32, tip: tipSchema }) },
  helloAck: { code: 0x02, schema: struct({ signature: fixedBytes(64) }) },
  // announce, then fetch
  inv: { code: 0x10, schema: items },
  getdata: { code: 0x11, schema: items },
  notfound: { code: 0x12, schema: items },
  // a view into the frame: decodeBlock copies the block once (no whole-body copy before it)
  block: { code: 0x13, schema: struct({ bytes: varBytes32View(MAX_BLOCK_BYTES) }) },
  tx: { code: 0x14, schema: struct({ bytes: varBytes('u16', MAX_TX_BYTES) }) },
  // sync
  getblocks: { code: 0x15, schema: struct({ locator: list(id32, MAX_LOCATOR, 'u16'), stop: optional(id32) }) },
  blocks: { code: 0x16, schema: struct({ blocks: list(varBytes('u32', MAX_BLOCK_BYTES), MAX_BLOCKS_PER_MSG, 'u16') }) },
  // headers-first sync: a reply to getheaders, or (a few headers, unasked) a new tip announced
  getheaders: { code: 0x1a, schema: struct({ locator: list(id32, MAX_LOCATOR, 'u16'), stop: optional(id32) }) },
  headers: { code: 0x1b, schema: struct({ headers: list(fixedBytes(HEADER_BYTES), MAX_HEADERS_PER_MSG, 'u16') }) },
  // liveness and tip updates
  ping: { code: 0x17, schema: struct({ nonce: u64 }) },
  pong: { code: 0x18, schema: struct({ nonce: u64 }) },
  tip: { code: 0x19, schema: struct({ tip: tipSchema }) },
} as const;

export type TipInfo = Infer<typeof tipSchema>;
export type InvItem = Infer<typeof invItem>;
export type InvType = InvItem['type'];
/** Payload type of each message kind, derived from SCHEMAS. */
export type Payloads = { [K in keyof typeof SCHEMAS]: Infer<(typeof SCHEMAS)[K]['schema']> };
export type MessageKind = keyof Payloads;
export type MessageOf<K extends MessageKind> = { kind: K } & Payloads[K];
/** The decoded, typed union the `message` event carries (narrow on `kind`). */
export type Message = { [K in MessageKind]: MessageOf<K> }[MessageKind];

export const MESSAGE_KINDS = Object.keys(SCHEMAS) as MessageKind[];
const BY_CODE = new Map<number, MessageKind>(MESSAGE_KINDS.map((k) => [SCHEMAS[k].code, k]));

/** Encodes a message; throws P2PError('invalid-message') for values outside the schema (a local bug). */
export function encodeMessage(m: Message): Uint8Array {
  const entry = SCHEMAS[m.kind] as { code: number; schema: { write(w: ByteWriter, v: unknown): void } } | undefined;
  if (!entry) throw new P2PError('invalid-message', `unknown message kind ${String((m as { kind: unknown }).kind)}`);
  const w = new ByteWriter(encodedSizeHint(m));
  w.u8(PROTOCOL_VERSION).u8(entry.code);
  entry.schema.write(w, m);
  return w.finish();
}

/**
 * The frame's size for the kinds that carry bodies or lists (exact for valid values), so the writer never
 * grows and `finish` hands its buffer over: a body is copied into the frame once, not three times.
 * Only a hint: a wrong one (an invalid value, refused by the schema anyway) costs a copy, not bytes.
 */
function encodedSizeHint(m: Message): number {
  const FRAME = 2;
  const bytesLength = (v: unknown): number => (v instanceof Uint8Array ? v.length : 0);
  switch (m.kind) {
    case 'block':
      return FRAME + 4 + bytesLength(m.bytes);
    case 'tx':
      return FRAME + 2 + bytesLength(m.bytes);
    case 'blocks': {
      let n = FRAME + 2;
      if (Array.isArray(m.blocks)) for (const b of m.blocks) n += 4 + bytesLength(b);
      return n;
    }
    case 'headers':
      return FRAME + 2 + (Array.isArray(m.headers) ? m.headers.length : 0) * HEADER_BYTES;
    case 'inv':
    case 'getdata':
    case 'notfound':
      return FRAME + 4 + (Array.isArray(m.items) ? m.items.length : 0) * 33;
    default:
      return 64;
  }
}

/** Strict decode: DecodeError (reason 'unknown-version', 'bad-kind', 'truncated', 'oversize', ...) on anything malformed. */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new ByteReader(bytes, 'message');
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) throw new DecodeError('unknown-version', `message: expected protocol version ${PROTOCOL_VERSION}, got ${version}`);
  const code = r.u8();
  const kind = BY_CODE.get(code);
  if (!kind) throw new DecodeError('bad-kind', `message: unknown type 0x${code.toString(16).padStart(2, '0')}`);
  const payload = (SCHEMAS[kind].schema as { read(r: ByteReader): object }).read(r);
  r.end();
  return { kind, ...payload } as Message;
}

/**
 * Body ids without a full decode. A block id is SHA-256d of its 116-byte header prefix; a tx id is
 * SHA-256d of its canonical encoding, i.e. of the bytes themselves (core's codec is canonical).
 * For malformed bodies the id is meaningless but harmless: the node rejects the body anyway.
 */
export function bodyId(type: InvType, bytes: Uint8Array): Uint8Array {
  const memo = memoOf(bytes);
  if (type === 'block') return (memo.blockId ??= sha256d(bytes.subarray(0, Math.min(bytes.length, HEADER_BYTES))));
  return (memo.txId ??= sha256d(bytes));
}

/**
 * What is derived from one body (or header) bytes object, computed once: one received message is
 * seen by the router, sync, relay and the propagation record, and one served body is noted per
 * peer it goes to. The wire bytes are never written to after decoding, so nothing can go stale.
 *
 * Kept in a non-enumerable, symbol-keyed slot on the bytes object itself, not in WeakMaps: V8's
 * young-generation GC keeps a WeakMap entry's value alive until a full GC, so every body (and the
 * ~30 KB message encoded per served body) was copied and promoted instead of dying young (the
 * same defect core/block.ts had). One slot holding one fixed-shape record, so a body gains a
 * single hidden-class transition whatever is asked of it, in whatever order.
 */
const DERIVED = Symbol('body-derived');
interface BodyDerived {
  blockId: Uint8Array | undefined;
  txId: Uint8Array | undefined;
  blockIdHex: string | undefined;
  blockMessage: Uint8Array | undefined;
}
type WithDerived = Uint8Array & { readonly [DERIVED]?: BodyDerived };

function memoOf(bytes: Uint8Array): BodyDerived {
  const had = (bytes as WithDerived)[DERIVED];
  if (had) return had;
  const memo: BodyDerived = { blockId: undefined, txId: undefined, blockIdHex: undefined, blockMessage: undefined };
  // A sealed or frozen array cannot hold it: the answer is then recomputed per call, still right.
  if (Object.isExtensible(bytes)) Object.defineProperty(bytes, DERIVED, { value: memo });
  return memo;
}

/**
 * A `block` message encoded once per body object: a new tip is asked for by every peer at once,
 * and serving hands each the same body bytes (Core keeps its most recent block serialized for this).
 */
export function encodeBlockMessage(m: MessageOf<'block'>): Uint8Array {
  const memo = memoOf(m.bytes);
  return (memo.blockMessage ??= encodeMessage(m));
}

/** bodyId('block', bytes) in hex, formatted once per bytes object (see bodyId). */
export function blockIdHexOf(bytes: Uint8Array): string {
  const memo = memoOf(bytes);
  return (memo.blockIdHex ??= toHex(bodyId('block', bytes)));
}
