// Discovery packets: one compact, versioned binary format, signed by the sender's node key and
// carrying an expiry. Each packet type's body is declared once in BODIES (encoder, decoder and type
// derive from it). Decoding returns a reason instead of throwing: the receive path counts and drops
// bad datagrams, it never raises. `peekPacket` reads the header without the signature check, so
// the receive path can spend its per-source budget before the expensive tier.
import { ByteReader, ByteWriter } from '../core/index.js';
import { datagramSigningKey, nodeIdFromPublicKey, processDatagramPool, signDatagram, toHex, verifyDatagram } from '../crypto/index.js';
import type { CryptoGate } from './crypto-gate.js';
import { internId, same32 } from './id-cache.js';
import { idHead } from './routing-table.js';
import { bool, bytes, ip, list, struct, timeMs, u8, u16, u32, varBytes, type Field, type Infer } from './schema.js';

export const MAX_PACKET_BYTES = 1280;
/** Records per NODES packet: 24 IPv4 records fit one datagram; IPv6 ones are split by size (nodesPackets). */
export const MAX_NODES_PER_PACKET = 24;
export const MAX_VALUE_BYTES = 1000;
export const MAX_VALUES_PER_PACKET = 8;
const MAGIC0 = 0x4b; // 'K'
const MAGIC1 = 0x44; // 'D'
export const PACKET_VERSION = 2;
const HEADER_BYTES = 3 + 8 + 8 + 32;
const SIG_BYTES = 64;

const id32 = bytes(32);
/** A record's node id: the shared copy (id-cache.ts), not one copy per record. */
const recordId: Field<Uint8Array> = { write: (w, v) => id32.write(w, v), read: (r) => internId(r.borrow(32)) };
export const nodeRecordSchema = struct({ id: recordId, host: ip, port: u16 });
export type NodeRecord = Infer<typeof nodeRecordSchema>;

/** One entry per packet type: its type byte and its body schema. */
const BODIES = {
  ping: { code: 1, schema: struct({}) },
  /** `verified`: the responder holds a recent endpoint proof for the pinger's (id, IP). */
  pong: { code: 2, schema: struct({ verified: bool }) },
  'find-node': { code: 3, schema: struct({ target: id32 }) },
  nodes: { code: 4, schema: struct({ total: u8, nodes: list(nodeRecordSchema, MAX_NODES_PER_PACKET) }) },
  store: { code: 5, schema: struct({ key: id32, ttlSec: u32, value: varBytes(MAX_VALUE_BYTES) }) },
  'find-value': { code: 6, schema: struct({ key: id32 }) },
  value: { code: 7, schema: struct({ key: id32, total: u8, values: list(varBytes(MAX_VALUE_BYTES), MAX_VALUES_PER_PACKET, 1) }) },
} as const;

type Bodies = typeof BODIES;
export type BodyType = keyof Bodies;
export type BodyOf<T extends BodyType> = { type: T } & Infer<Bodies[T]['schema']>;
export type Body = { [T in BodyType]: BodyOf<T> }[BodyType];
const BY_CODE = new Map<number, BodyType>((Object.keys(BODIES) as BodyType[]).map((t) => [BODIES[t].code, t]));
/** Responses are matched to a request of ours; everything else is a request and costs budget. */
export const RESPONSE_TYPES: ReadonlySet<BodyType> = new Set<BodyType>(['pong', 'nodes', 'value']);

export interface Packet {
  /** Correlates a response with its request. */
  requestId: bigint;
  /** ms since epoch after which the packet must be ignored. */
  expiry: number;
  senderKey: Uint8Array;
  body: Body;
}

export interface DecodedPacket extends Packet {
  senderId: Uint8Array;
  /** The sender id in hex (computed once per sender key, not per packet). */
  senderHex: string;
}

export type DropReason =
  | 'oversize' | 'malformed' | 'bad-magic' | 'bad-version' | 'bad-signature' | 'expired' | 'unsolicited'
  | 'unverified-endpoint' | 'over-budget' | 'bad-record';

export const DROP_REASONS: readonly DropReason[] = [
  'oversize', 'malformed', 'bad-magic', 'bad-version', 'bad-signature', 'expired', 'unsolicited', 'unverified-endpoint', 'over-budget', 'bad-record',
];

function writeBody(w: ByteWriter, b: Body): void {
  const entry = BODIES[b.type] as { code: number; schema: { write(w: ByteWriter, v: unknown): void } };
  w.u8(entry.code);
  entry.schema.write(w, b);
}

function readBody(r: ByteReader): Body {
  const code = r.u8();
  const type = BY_CODE.get(code);
  if (!type) throw new RangeError(`unknown packet type ${code}`);
  // The fields land on the object that carries the type: no second object spread from the first.
  const body = (BODIES[type].schema as { readInto(r: ByteReader, out: Record<string, unknown>): object }).readInto(r, { type });
  if (type === 'nodes' || type === 'value') {
    const total = (body as { total: number }).total;
    if (total === 0) throw new RangeError('bad packet total');
  }
  return body as Body;
}

/**
 * The whole packet with room for the signature at its end: the signed part (magic, version,
 * request id, expiry, sender key, body) then 64 zero bytes. Sized once for the body's type (a
 * NODES reply grew its buffer three times), and signed in place (no copy to append the signature).
 */
function encodeForSigning(p: Omit<Packet, 'senderKey'>, senderKey: Uint8Array): { packet: Uint8Array; signed: Uint8Array } {
  // Sized for the body: a NODES reply's records are summed (the common big packet), other big bodies get the maximum.
  const b = p.body;
  const w = new ByteWriter(b.type === 'nodes' ? NODES_OVERHEAD + b.nodes.reduce((n, r) => n + nodeRecordBytes(r), 0) : b.type === 'value' || b.type === 'store' ? MAX_PACKET_BYTES : 192);
  w.u8(MAGIC0).u8(MAGIC1).u8(PACKET_VERSION).u64(p.requestId);
  timeMs.write(w, p.expiry);
  w.fixed(senderKey, 32);
  writeBody(w, p.body);
  w.fixed(NO_SIGNATURE, SIG_BYTES);
  const packet = w.finish();
  if (packet.length > MAX_PACKET_BYTES) throw new RangeError(`packet of ${packet.length} bytes exceeds ${MAX_PACKET_BYTES}`);
  return { packet, signed: packet.subarray(0, packet.length - SIG_BYTES) };
}
const NO_SIGNATURE = new Uint8Array(SIG_BYTES);

function withSignature(e: { packet: Uint8Array; signed: Uint8Array }, sig: Uint8Array): Uint8Array {
  e.packet.set(sig, e.signed.length);
  return e.packet;
}

/**
 * A node's signing identity, prepared once: its public key and libsodium's expanded key (for
 * inline signatures and the worker pool alike, crypto/datagram-sign.ts: ~1.7x OpenSSL here).
 */
export interface PacketSigner {
  readonly publicKey: Uint8Array;
  readonly datagramKey: Uint8Array;
}

export function packetSigner(secretKey: Uint8Array, publicKey: Uint8Array): PacketSigner {
  return { publicKey, datagramKey: datagramSigningKey(secretKey) };
}

/** Encodes and signs: magic, version, request id, expiry, sender key, body, then the signature. */
export function encodePacket(p: Omit<Packet, 'senderKey'>, secretKey: Uint8Array, senderKey: Uint8Array): Uint8Array {
  return encodeSigned(p, packetSigner(secretKey, senderKey));
}

export function encodeSigned(p: Omit<Packet, 'senderKey'>, signer: PacketSigner): Uint8Array {
  const e = encodeForSigning(p, signer.publicKey);
  return withSignature(e, signDatagram(e.signed, signer.datagramKey));
}

/** encodeSigned with the signature made where the gate says: inline (bytes now) or on a worker (a promise). */
export function encodeSignedGated(p: Omit<Packet, 'senderKey'>, signer: PacketSigner, gate: CryptoGate): Uint8Array | Promise<Uint8Array> {
  const e = encodeForSigning(p, signer.publicKey);
  return gate.run(
    () => withSignature(e, signDatagram(e.signed, signer.datagramKey)),
    async () => withSignature(e, await processDatagramPool.sign(e.signed, signer.datagramKey)),
  );
}

export interface PacketHeader {
  requestId: bigint;
  type: BodyType;
  senderKey: Uint8Array;
}

/** Cheap tier: framing checks and the header fields, no signature check. */
export function peekPacket(bytes: Uint8Array): PacketHeader | DropReason {
  if (bytes.length > MAX_PACKET_BYTES) return 'oversize';
  if (bytes.length < HEADER_BYTES + 1 + SIG_BYTES) return 'malformed';
  if (bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) return 'bad-magic';
  if (bytes[2] !== PACKET_VERSION) return 'bad-version';
  const type = BY_CODE.get(bytes[HEADER_BYTES]!);
  if (!type) return 'malformed';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { requestId: view.getBigUint64(3), type, senderKey: bytes.subarray(19, 51) };
}

interface ParsedPacket extends Packet {
  sender: Sender;
}

/** Framing and fields (after peekPacket's checks), no signature check yet. */
function parsePacket(bytes: Uint8Array, peek: PacketHeader): ParsedPacket | DropReason {
  try {
    const r = new ByteReader(bytes.subarray(0, bytes.length - SIG_BYTES), 'packet');
    r.borrow(11);
    const expiry = timeMs.read(r);
    // The sender's cached copy of its key (no copy per packet: senders send many).
    const sender = senderOf(r.borrow(32));
    const body = readBody(r);
    r.end();
    return { requestId: peek.requestId, expiry, senderKey: sender.key, body, sender };
  } catch {
    return 'malformed';
  }
}

// Senders by public key: every packet is checked against its sender's key (libsodium takes the raw
// key, inline or on a worker) and, once verified, needs the sender's id (a SHA-256) and its hex; the same few hundred
// keys send nearly all of them. Found by the key's first four bytes (then compared whole, no
// string made per packet). Bounded; cleared when full.
interface Sender {
  key: Uint8Array;
  id: Uint8Array;
  hex: string;
}
const senders = new Map<number, Sender>();
const SENDERS_MAX = 4096;

function senderOf(senderKey: Uint8Array): Sender {
  const tag = idHead(senderKey);
  let s = senders.get(tag);
  if (!s || !same32(s.key, senderKey)) {
    const id = nodeIdFromPublicKey(senderKey);
    // A copy: the packet's key is a view of its datagram, which the cache must not keep alive.
    s = { key: senderKey.slice(), id, hex: toHex(id) };
    if (senders.size >= SENDERS_MAX) senders.clear();
    senders.set(tag, s);
  }
  return s;
}

/** Signature before expiry: an unsigned packet must not even tell us its clock. */
function accept(packet: ParsedPacket, signatureOk: boolean, now: number): DecodedPacket | DropReason {
  if (!signatureOk) return 'bad-signature';
  if (packet.expiry < now) return 'expired';
  const s = packet.sender;
  return { requestId: packet.requestId, expiry: packet.expiry, senderKey: packet.senderKey, body: packet.body, senderId: s.id, senderHex: s.hex };
}

export function decodePacket(bytes: Uint8Array, now: number, header?: PacketHeader): DecodedPacket | DropReason {
  const peek = header ?? peekPacket(bytes);
  if (typeof peek === 'string') return peek;
  const packet = parsePacket(bytes, peek);
  if (typeof packet === 'string') return packet;
  const ok = verifyDatagram(bytes.subarray(0, bytes.length - SIG_BYTES), bytes.subarray(bytes.length - SIG_BYTES), packet.sender.key);
  return accept(packet, ok, now);
}

/**
 * decodePacket with the signature checked where the gate says: inline (the result now) or on a
 * worker (a promise; `now()` is read once the check is done). `header`: peekPacket's answer
 * for these bytes, when the caller already has it.
 */
export function decodePacketGated(bytes: Uint8Array, now: () => number, gate: CryptoGate, header?: PacketHeader): DecodedPacket | DropReason | Promise<DecodedPacket | DropReason> {
  const peek = header ?? peekPacket(bytes);
  if (typeof peek === 'string') return peek;
  const packet = parsePacket(bytes, peek);
  if (typeof packet === 'string') return packet;
  const signed = bytes.subarray(0, bytes.length - SIG_BYTES);
  const sig = bytes.subarray(bytes.length - SIG_BYTES);
  const key = packet.sender.key;
  return gate.run(
    () => accept(packet, verifyDatagram(signed, sig, key), now()),
    async () => accept(packet, await processDatagramPool.verify(signed, sig, key), now()),
  );
}

/** Size of an encoded node record (for splitting replies): id, family, address, port. */
export const nodeRecordBytes = (n: NodeRecord): number => 32 + 1 + (n.host.includes(':') ? 16 : 4) + 2;

/** Bytes of a NODES packet around its records: header, type, total, list length, signature. */
const NODES_OVERHEAD = HEADER_BYTES + 1 + 1 + 1 + SIG_BYTES;

/** Splits records into as few NODES packets as fit MAX_PACKET_BYTES (and MAX_NODES_PER_PACKET) each. */
export function nodesPackets(nodes: NodeRecord[]): NodeRecord[][] {
  const out: NodeRecord[][] = [];
  let cur: NodeRecord[] = [];
  let bytes = NODES_OVERHEAD;
  for (const n of nodes) {
    const b = nodeRecordBytes(n);
    if (cur.length >= MAX_NODES_PER_PACKET || bytes + b > MAX_PACKET_BYTES) {
      out.push(cur);
      cur = [];
      bytes = NODES_OVERHEAD;
    }
    cur.push(n);
    bytes += b;
  }
  if (cur.length || !out.length) out.push(cur);
  return out;
}
