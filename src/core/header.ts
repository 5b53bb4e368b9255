// Block header: fixed 116-byte canonical form. The nonce sits last so the first 64 bytes are
// constant per template (the miner's midstate). Block id = SHA-256(SHA-256(header bytes)).
import { sha256d, toHex, bytesToBigInt, bigIntToBytes } from '../crypto/index.js';
import { ByteReader, ByteWriter } from './codec.js';
import { DecodeError } from './errors.js';

export const HEADER_VERSION = 1;
export const HEADER_BYTES = 116;
export const NONCE_OFFSET = 112;
/** Where the 32-byte fields start in the canonical form. */
export const PREV_OFFSET = 8;
export const MERKLE_OFFSET = 40;
export const TARGET_OFFSET = 80;

export interface BlockHeader {
  version: number;
  height: number;
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** 256-bit target, big-endian; valid work has id <= target. */
  target: Uint8Array;
  nonce: number;
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return new ByteWriter(HEADER_BYTES)
    .u32(h.version)
    .u32(h.height)
    .fixed(h.prevHash, 32)
    .fixed(h.merkleRoot, 32)
    .u64(BigInt(h.timestamp))
    .fixed(h.target, 32)
    .u32(h.nonce)
    .finish();
}

export function readHeader(r: ByteReader): BlockHeader {
  const version = r.u32();
  if (version !== HEADER_VERSION) throw new DecodeError('unknown-version', `header: expected version ${HEADER_VERSION}, got ${version}`);
  const height = r.u32();
  const prevHash = r.fixed(32);
  const merkleRoot = r.fixed(32);
  const ts = r.u64();
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('malformed', `header: timestamp out of range, got ${ts}`);
  return { version, height, prevHash, merkleRoot, timestamp: Number(ts), target: r.fixed(32), nonce: r.u32() };
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_BYTES) throw new DecodeError('bad-length', `header: expected ${HEADER_BYTES} bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes, 'header');
  const h = readHeader(r);
  r.end();
  return h;
}

export function headerId(h: BlockHeader): Uint8Array {
  return sha256d(encodeHeader(h));
}

export function headerIdHex(h: BlockHeader): string {
  return toHex(headerId(h));
}

export function targetToBigInt(target: Uint8Array): bigint {
  return bytesToBigInt(target);
}

export function bigIntToTarget(value: bigint): Uint8Array {
  return bigIntToBytes(value, 32);
}

const TWO_256 = 1n << 256n;

/** Expected hashes to find a block at this target: 2^256 / (target + 1). */
export function workForTarget(target: Uint8Array | bigint): bigint {
  const t = typeof target === 'bigint' ? target : bytesToBigInt(target);
  return TWO_256 / (t + 1n);
}
