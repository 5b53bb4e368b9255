// Discovery packets: one compact, versioned binary format, signed by the sender's node key and
// carrying an expiry. Decoding returns a reason instead of throwing: the receive path counts and
// drops bad datagrams, it never raises.
import { ByteReader, ByteWriter } from '../core/index.js';
import { nodeIdFromPublicKey, signMessage, verifySignature } from '../crypto/index.js';

export const MAX_PACKET_BYTES = 1280;
export const MAX_NODES_PER_PACKET = 12;
export const MAX_VALUE_BYTES = 1000;
const MAGIC0 = 0x4b; // 'K'
const MAGIC1 = 0x44; // 'D'
export const PACKET_VERSION = 1;

export interface NodeRecord {
  id: Uint8Array;
  host: string; // IPv4 dotted quad
  port: number;
}

export type Body =
  | { type: 'ping' }
  /** `verified`: the responder holds a recent endpoint proof for the pinger (no ping-back needed). */
  | { type: 'pong'; verified: boolean }
  | { type: 'find-node'; target: Uint8Array }
  | { type: 'nodes'; total: number; nodes: NodeRecord[] }
  | { type: 'store'; key: Uint8Array; value: Uint8Array; ttlSec: number }
  | { type: 'find-value'; key: Uint8Array }
  | { type: 'value'; key: Uint8Array; value: Uint8Array };

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
}

export type DropReason = 'oversize' | 'malformed' | 'bad-magic' | 'bad-version' | 'bad-signature' | 'expired' | 'unsolicited' | 'unverified-endpoint';

const TYPE_CODES = { ping: 1, pong: 2, 'find-node': 3, nodes: 4, store: 5, 'find-value': 6, value: 7 } as const;

export function ipv4ToBytes(host: string): Uint8Array | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!/^\d{1,3}$/.test(parts[i]!) || n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function writeBody(w: ByteWriter, b: Body): void {
  w.u8(TYPE_CODES[b.type]);
  switch (b.type) {
    case 'ping':
      break;
    case 'pong':
      w.u8(b.verified ? 1 : 0);
      break;
    case 'find-node':
      w.fixed(b.target, 32);
      break;
    case 'nodes':
      if (b.nodes.length > MAX_NODES_PER_PACKET) throw new RangeError(`expected at most ${MAX_NODES_PER_PACKET} nodes, got ${b.nodes.length}`);
      w.u8(b.total).u8(b.nodes.length);
      for (const n of b.nodes) w.fixed(n.id, 32).fixed(ipv4ToBytes(n.host) ?? new Uint8Array(4), 4).u16(n.port);
      break;
    case 'store':
      w.fixed(b.key, 32).u32(b.ttlSec).varBytes16(b.value);
      break;
    case 'find-value':
      w.fixed(b.key, 32);
      break;
    case 'value':
      w.fixed(b.key, 32).varBytes16(b.value);
      break;
  }
}

function readBody(r: ByteReader): Body {
  const t = r.u8();
  switch (t) {
    case 1:
      return { type: 'ping' };
    case 2: {
      const v = r.u8();
      if (v > 1) throw new RangeError('bad pong flag');
      return { type: 'pong', verified: v === 1 };
    }
    case 3:
      return { type: 'find-node', target: r.fixed(32) };
    case 4: {
      const total = r.u8();
      const n = r.u8();
      if (n > MAX_NODES_PER_PACKET || total === 0) throw new RangeError('bad nodes count');
      const nodes: NodeRecord[] = [];
      for (let i = 0; i < n; i++) {
        const id = r.fixed(32);
        const ip = r.fixed(4);
        nodes.push({ id, host: `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`, port: r.u16() });
      }
      return { type: 'nodes', total, nodes };
    }
    case 5:
      return { type: 'store', key: r.fixed(32), ttlSec: r.u32(), value: r.varBytes16(MAX_VALUE_BYTES) };
    case 6:
      return { type: 'find-value', key: r.fixed(32) };
    case 7:
      return { type: 'value', key: r.fixed(32), value: r.varBytes16(MAX_VALUE_BYTES) };
    default:
      throw new RangeError(`unknown packet type ${t}`);
  }
}

/** Encodes and signs: magic, version, request id, expiry, sender key, body, then the signature. */
export function encodePacket(p: Omit<Packet, 'senderKey'>, secretKey: Uint8Array, senderKey: Uint8Array): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(MAGIC0).u8(MAGIC1).u8(PACKET_VERSION).u64(p.requestId).u64(BigInt(p.expiry)).fixed(senderKey, 32);
  writeBody(w, p.body);
  const unsigned = w.finish();
  const sig = signMessage(unsigned, secretKey);
  const out = new Uint8Array(unsigned.length + 64);
  out.set(unsigned, 0);
  out.set(sig, unsigned.length);
  if (out.length > MAX_PACKET_BYTES) throw new RangeError(`packet of ${out.length} bytes exceeds ${MAX_PACKET_BYTES}`);
  return out;
}

export function decodePacket(bytes: Uint8Array, now: number): DecodedPacket | DropReason {
  if (bytes.length > MAX_PACKET_BYTES) return 'oversize';
  if (bytes.length < 3 + 8 + 8 + 32 + 1 + 64) return 'malformed';
  if (bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) return 'bad-magic';
  if (bytes[2] !== PACKET_VERSION) return 'bad-version';
  let packet: Packet;
  try {
    const r = new ByteReader(bytes.subarray(0, bytes.length - 64), 'packet');
    r.fixed(3);
    const requestId = r.u64();
    const expiry = Number(r.u64());
    const senderKey = r.fixed(32);
    const body = readBody(r);
    r.end();
    packet = { requestId, expiry, senderKey, body };
  } catch {
    return 'malformed';
  }
  // Signature before expiry: an unsigned packet must not even tell us its clock.
  if (!verifySignature(bytes.subarray(0, bytes.length - 64), bytes.subarray(bytes.length - 64), packet.senderKey)) return 'bad-signature';
  if (packet.expiry < now) return 'expired';
  return { ...packet, senderId: nodeIdFromPublicKey(packet.senderKey) };
}
