// The p2p wire format: one versioned binary codec, a type byte then the payload. Each message kind
// maps to one payload type (`MessageOf<K>`). Decoding is strict: bounds on every count and length,
// no trailing bytes, DecodeError on anything else.
import { ByteReader, ByteWriter, DecodeError } from '../core/index.js';
import { bigIntToBytes, bytesToBigInt } from '../crypto/index.js';

export const PROTOCOL_VERSION = 1;
export const MAX_INV_ITEMS = 50_000;
export const MAX_LOCATOR = 101;
export const MAX_BLOCKS_PER_MSG = 500;
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024;
export const MAX_TX_BYTES = 16 * 1024;

export type InvType = 'block' | 'tx';
export interface InvItem {
  type: InvType;
  id: Uint8Array;
}
export interface TipInfo {
  id: Uint8Array;
  height: number;
  work: bigint;
}

export interface Payloads {
  hello: { version: number; genesis: Uint8Array; publicKey: Uint8Array; listenPort: number; challenge: Uint8Array; tip: TipInfo };
  helloAck: { signature: Uint8Array };
  inv: { items: InvItem[] };
  getdata: { items: InvItem[] };
  notfound: { items: InvItem[] };
  block: { bytes: Uint8Array };
  tx: { bytes: Uint8Array };
  getblocks: { locator: Uint8Array[] };
  blocks: { blocks: Uint8Array[] };
  ping: { nonce: bigint };
  pong: { nonce: bigint };
  tip: { tip: TipInfo };
}

export type MessageKind = keyof Payloads;
export type MessageOf<K extends MessageKind> = { kind: K } & Payloads[K];
export type Message = { [K in MessageKind]: MessageOf<K> }[MessageKind];

const CODES: Record<MessageKind, number> = {
  hello: 0x01, helloAck: 0x02, inv: 0x10, getdata: 0x11, notfound: 0x12, block: 0x13, tx: 0x14, getblocks: 0x15, blocks: 0x16, ping: 0x17, pong: 0x18, tip: 0x19,
};
const KINDS = new Map<number, MessageKind>(Object.entries(CODES).map(([k, v]) => [v, k as MessageKind]));

function writeTip(w: ByteWriter, t: TipInfo): void {
  w.fixed(t.id, 32).u32(t.height).fixed(bigIntToBytes(t.work, 32), 32);
}
function readTip(r: ByteReader): TipInfo {
  return { id: r.fixed(32), height: r.u32(), work: bytesToBigInt(r.fixed(32)) };
}
function writeItems(w: ByteWriter, items: InvItem[]): void {
  if (items.length > MAX_INV_ITEMS) throw new RangeError(`expected at most ${MAX_INV_ITEMS} items, got ${items.length}`);
  w.u32(items.length);
  for (const it of items) w.u8(it.type === 'block' ? 1 : 2).fixed(it.id, 32);
}
function readItems(r: ByteReader): InvItem[] {
  const n = r.u32();
  if (n > MAX_INV_ITEMS) throw new DecodeError('oversize', `expected at most ${MAX_INV_ITEMS} items, got ${n}`);
  if (n * 33 > r.remaining) throw new DecodeError('truncated', `${n} items cannot fit in ${r.remaining} bytes`);
  const out: InvItem[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = r.u8();
    if (t !== 1 && t !== 2) throw new DecodeError('bad-kind', `inv item: expected type 1 or 2, got ${t}`);
    out[i] = { type: t === 1 ? 'block' : 'tx', id: r.fixed(32) };
  }
  return out;
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(PROTOCOL_VERSION).u8(CODES[m.kind]);
  switch (m.kind) {
    case 'hello':
      w.u16(m.version).fixed(m.genesis, 32).fixed(m.publicKey, 32).u16(m.listenPort).fixed(m.challenge, 32);
      writeTip(w, m.tip);
      break;
    case 'helloAck':
      w.fixed(m.signature, 64);
      break;
    case 'inv':
    case 'getdata':
    case 'notfound':
      writeItems(w, m.items);
      break;
    case 'block':
      w.varBytes32(m.bytes);
      break;
    case 'tx':
      w.varBytes16(m.bytes);
      break;
    case 'getblocks':
      if (m.locator.length > MAX_LOCATOR) throw new RangeError(`expected at most ${MAX_LOCATOR} locator ids`);
      w.u16(m.locator.length);
      for (const id of m.locator) w.fixed(id, 32);
      break;
    case 'blocks':
      if (m.blocks.length > MAX_BLOCKS_PER_MSG) throw new RangeError(`expected at most ${MAX_BLOCKS_PER_MSG} blocks`);
      w.u16(m.blocks.length);
      for (const b of m.blocks) w.varBytes32(b);
      break;
    case 'ping':
    case 'pong':
      w.u64(m.nonce);
      break;
    case 'tip':
      writeTip(w, m.tip);
      break;
  }
  return w.finish();
}

export function decodeMessage(bytes: Uint8Array): Message {
  const r = new ByteReader(bytes, 'message');
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) throw new DecodeError('unknown-version', `message: expected version ${PROTOCOL_VERSION}, got ${version}`);
  const code = r.u8();
  const kind = KINDS.get(code);
  if (!kind) throw new DecodeError('bad-kind', `message: unknown type 0x${code.toString(16)}`);
  let m: Message;
  switch (kind) {
    case 'hello':
      m = { kind, version: r.u16(), genesis: r.fixed(32), publicKey: r.fixed(32), listenPort: r.u16(), challenge: r.fixed(32), tip: readTip(r) };
      break;
    case 'helloAck':
      m = { kind, signature: r.fixed(64) };
      break;
    case 'inv':
    case 'getdata':
    case 'notfound':
      m = { kind, items: readItems(r) };
      break;
    case 'block':
      m = { kind, bytes: r.varBytes32(MAX_BLOCK_BYTES) };
      break;
    case 'tx':
      m = { kind, bytes: r.varBytes16(MAX_TX_BYTES) };
      break;
    case 'getblocks': {
      const n = r.u16();
      if (n > MAX_LOCATOR) throw new DecodeError('oversize', `locator: expected at most ${MAX_LOCATOR} ids, got ${n}`);
      const locator: Uint8Array[] = [];
      for (let i = 0; i < n; i++) locator.push(r.fixed(32));
      m = { kind, locator };
      break;
    }
    case 'blocks': {
      const n = r.u16();
      if (n > MAX_BLOCKS_PER_MSG) throw new DecodeError('oversize', `blocks: expected at most ${MAX_BLOCKS_PER_MSG}, got ${n}`);
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < n; i++) blocks.push(r.varBytes32(MAX_BLOCK_BYTES));
      m = { kind, blocks };
      break;
    }
    case 'ping':
    case 'pong':
      m = { kind, nonce: r.u64() };
      break;
    case 'tip':
      m = { kind, tip: readTip(r) };
      break;
  }
  r.end();
  return m;
}
