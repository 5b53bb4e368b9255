// Hand-written SHA-256 compression for the mining hot loop. The header's first 64 bytes are
// compressed once per template (the midstate); each attempt then costs one compression of the
// pre-padded tail block plus one for the second SHA-256, with no allocation: every buffer is a
// preallocated Int32Array and all arithmetic stays in 32-bit integers.
import { HEADER_BYTES } from '../core/index.js';

/** SHA-256 round constants and initial state (FIPS 180-4). */
export const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
export const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Compresses the 16 words in w[0..15] into `state` (in place). `w` must have room for 64 words. */
export function compress(state: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0; state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0; state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0;
}

function readWord(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** Per-template state: the midstate and the padded tail words (nonce at word 12). */
export class HeaderHasher {
  readonly midstate = new Int32Array(8);
  readonly tail = new Int32Array(16);
  readonly target = new Int32Array(8);
  private readonly w = new Int32Array(64);
  private readonly s1 = new Int32Array(8);
  private readonly s2 = new Int32Array(8);

  constructor(header?: Uint8Array, target?: Uint8Array) {
    if (header) this.setHeader(header);
    if (target) this.setTarget(target);
  }

  setHeader(header: Uint8Array): void {
    if (header.length !== HEADER_BYTES) throw new RangeError(`expected ${HEADER_BYTES}-byte header, got ${header.length}`);
    const w = this.w;
    for (let i = 0; i < 16; i++) w[i] = readWord(header, i * 4);
    this.midstate.set(IV);
    compress(this.midstate, w);
    for (let i = 0; i < 13; i++) this.tail[i] = readWord(header, 64 + i * 4);
    this.tail[13] = 0x80000000 | 0; // padding bit
    this.tail[14] = 0;
    this.tail[15] = HEADER_BYTES * 8; // message length in bits
  }

  setTarget(target: Uint8Array): void {
    for (let i = 0; i < 8; i++) this.target[i] = readWord(target, i * 4);
  }

  /** Double SHA-256 of the header with this nonce, into `out` (8 words, big-endian order). */
  hashNonce(nonce: number, out: Int32Array = this.s2): Int32Array {
    const w = this.w;
    const s1 = this.s1;
    w.set(this.tail);
    w[12] = nonce | 0;
    s1.set(this.midstate);
    compress(s1, w);
    for (let i = 0; i < 8; i++) w[i] = s1[i]!;
    w[8] = 0x80000000 | 0;
    w[9] = 0; w[10] = 0; w[11] = 0; w[12] = 0; w[13] = 0; w[14] = 0;
    w[15] = 256;
    out.set(IV);
    compress(out, w);
    return out;
  }

  /** True when the double SHA-256 with this nonce is <= the target (unsigned big-endian compare). */
  meetsTarget(nonce: number): boolean {
    const t = this.target;
    const h = this.hashNonce(nonce >>> 0, this.s2);
    for (let i = 0; i < 8; i++) {
      const hv = h[i]! >>> 0;
      const tv = t[i]! >>> 0;
      if (hv !== tv) return hv < tv;
    }
    return true; // equal is valid work
  }

  /** Searches nonces [start, start + count) (mod 2^32) and returns the first whose id <= target, or -1. */
  search(start: number, count: number): number {
    for (let n = start, end = start + count; n < end; n++) {
      if (this.meetsTarget(n >>> 0)) return n >>> 0;
    }
    return -1;
  }
}

/** Id bytes from the 8 output words. */
export function wordsToBytes(words: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = words[i]!;
    out[i * 4] = v >>> 24; out[i * 4 + 1] = (v >>> 16) & 0xff; out[i * 4 + 2] = (v >>> 8) & 0xff; out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

/** Convenience for tests: the block id (double SHA-256) of a 116-byte header via the fast path. */
export function sha256dHeader(header: Uint8Array): Uint8Array {
  const h = new HeaderHasher(header);
  const nonce = ((header[112]! << 24) | (header[113]! << 16) | (header[114]! << 8) | header[115]!) >>> 0;
  return wordsToBytes(h.hashNonce(nonce, new Int32Array(8)));
}
