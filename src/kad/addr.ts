// IP addresses for discovery: parsing IPv4 and IPv6 to bytes and back, the RFC 6890 special-purpose
// classes (loopback, private, special, public), the subnet that per-prefix limits count (/24 for
// IPv4, /48 for IPv6) and the relay rule (geth's CheckRelayIP): which addresses a sender may hand us.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;
/** loopback: 127/8, ::1. private: RFC 1918 and fc00::/7 (a LAN); link-local is special. special: everything else in
 * the IANA special-purpose registries, plus unspecified, multicast and broadcast. public: the rest. */
export type IpClass = 'loopback' | 'private' | 'special' | 'public';

/** `::ffff:1.2.3.4` (what a dual-stack socket reports) to `1.2.3.4`; anything else unchanged. */
export function normaliseIp(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(h);
  return m ? m[1]! : h.toLowerCase();
}

export function ipFamily(host: string): IpFamily | undefined {
  const h = normaliseIp(host);
  if (isIPv4(h)) return 4;
  if (isIPv6(h) && !h.includes('%')) return 6;
  return undefined;
}

// Every NODES reply encodes up to 24 addresses, nearly always the same few hundred: parsed once
// each (bounded; cleared when full). Callers get a copy, never the cached bytes.
const bytesCache = new Map<string, Uint8Array | undefined>();

/** 4 or 16 bytes, or undefined for anything that is not a literal IP address. */
export function ipToBytes(host: string): Uint8Array | undefined {
  return ipBytesShared(host)?.slice();
}

/**
 * ipToBytes without the copy: the cached bytes themselves, which the caller only reads (the packet
 * writer copies them into the datagram; a copy first was one more allocation per record sent).
 */
export function ipBytesShared(host: string): Uint8Array | undefined {
  let b = bytesCache.get(host);
  if (b === undefined && !bytesCache.has(host)) {
    b = parseIp(host);
    if (bytesCache.size >= 8192) bytesCache.clear();
    bytesCache.set(host, b);
  }
  return b;
}

function parseIp(host: string): Uint8Array | undefined {
  const h = normaliseIp(host);
  if (isIPv4(h)) return Uint8Array.from(h.split('.').map(Number));
  if (!isIPv6(h) || h.includes('%')) return undefined;
  let text = h;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    text = text.slice(0, -v4[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [headText, tailText] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const words = (s: string | undefined): number[] => (s ? s.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : []);
  const head = words(headText);
  const rest = [...words(tailText), ...tail];
  const fill = tailText === undefined ? 0 : 8 - head.length - rest.length;
  const all = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...rest];
  if (all.length !== 8) return undefined;
  const out = new Uint8Array(16);
  all.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 255; });
  return out;
}

// And back: a NODES reply carries up to 24 IPv4 addresses, nearly always the same few hundred; each
// text is made once (bounded; cleared when full), not a new string per record.
const v4Text = new Map<number, string>();

/** Canonical text (RFC 5952 for IPv6: lower case, longest zero run as `::`). */
export function ipFromBytes(b: Uint8Array): string {
  if (b.length === 4) {
    const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    let t = v4Text.get(n);
    if (t === undefined) {
      t = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
      if (v4Text.size >= 8192) v4Text.clear();
      v4Text.set(n, t);
    }
    return t;
  }
  if (b.length !== 16) throw new RangeError(`expected 4 or 16 address bytes, got ${b.length}`);
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

type Range = [bytes: number[], bits: number];
const V4_LOOPBACK: Range[] = [[[127], 8]];
const V4_PRIVATE: Range[] = [[[10], 8], [[172, 16], 12], [[192, 168], 16]];
// RFC 6890 and successors: this network, shared address space (CGN), IETF protocol assignments,
// documentation, 6to4 relay, benchmarking, multicast, reserved and broadcast.
const V4_SPECIAL: Range[] = [
  [[0], 8], [[100, 64], 10], [[169, 254], 16], [[192, 0, 0], 24], [[192, 0, 2], 24], [[192, 88, 99], 24], [[198, 18], 15],
  [[198, 51, 100], 24], [[203, 0, 113], 24], [[224], 4], [[240], 4],
];
const V6_PRIVATE: Range[] = [[[0xfc], 7]];
// Unspecified, IPv4-mapped/compatible, NAT64, discard, IETF protocol assignments (incl. Teredo and
// documentation), 6to4, ORCHIDv2, site-local (deprecated), multicast.
const V6_SPECIAL: Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96], [[0, 0x64, 0xff, 0x9b], 32], [[1, 0, 0, 0, 0, 0, 0, 0], 64], [[0x20, 0x01, 0x00], 23],
  [[0x20, 0x01, 0x0d, 0xb8], 32], [[0x20, 0x02], 16], [[0xfe, 0x80], 10], [[0xfe, 0xc0], 10], [[0xff], 8],
];

function inRange(b: Uint8Array, [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

const classCache = new Map<string, IpClass>();

/** The address's class (memoised: the table asks for every update). */
export function ipClass(host: string): IpClass {
  let c = classCache.get(host);
  if (c === undefined) {
    c = classify(host);
    if (classCache.size >= 8192) classCache.clear();
    classCache.set(host, c);
  }
  return c;
}

function classify(host: string): IpClass {
  const b = ipBytesShared(host);
  if (!b) return 'special';
  if (b.length === 4) {
    if (V4_LOOPBACK.some((r) => inRange(b, r))) return 'loopback';
    if (V4_PRIVATE.some((r) => inRange(b, r))) return 'private';
    if (V4_SPECIAL.some((r) => inRange(b, r))) return 'special';
    return 'public';
  }
  if (b.every((x, i) => x === (i === 15 ? 1 : 0))) return 'loopback';
  if (V6_PRIVATE.some((r) => inRange(b, r))) return 'private';
  if (V6_SPECIAL.some((r) => inRange(b, r))) return 'special';
  // Global unicast is 2000::/3; anything else is unassigned.
  return (b[0]! & 0xe0) === 0x20 ? 'public' : 'special';
}

export const isPublicIp = (host: string): boolean => ipClass(host) === 'public';
/** Kept for callers of the IPv4-only name. */
export const isPublicIPv4 = isPublicIp;

/** The subnet per-prefix limits count: /24 for IPv4, /48 for IPv6. */
export function subnetKey(host: string): string {
  const b = ipBytesShared(host);
  if (!b) return host;
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}/24` : `${Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join('')}/48`;
}

/**
 * May `sender` hand us `relayed` in a NODES reply? Special addresses never; loopback only from
 * loopback; LAN addresses only from a LAN or loopback sender (geth's CheckRelayIP).
 */
export function relayAllowed(sender: string, relayed: string): boolean {
  const r = ipClass(relayed);
  if (r === 'public') return true;
  if (r === 'special') return false;
  const s = ipClass(sender);
  if (r === 'loopback') return s === 'loopback';
  return s === 'private' || s === 'loopback';
}

/** `[v6]:port` or `v4:port`. */
export function endpointString(host: string, port: number): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
