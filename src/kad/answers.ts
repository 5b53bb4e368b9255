// What a node puts in its answers to FIND_NODE / FIND_VALUE: which table entries (those verified
// live recently first), and how value records are split into VALUE packets. Pure: the node sends.
import type { NodeRecord } from './packet.js';
import { MAX_VALUES_PER_PACKET } from './packet.js';
import type { Entry, RoutingTable } from './routing-table.js';

/** Closest entries for a FIND_* reply: those verified live within `liveMs` first; never-verified ones only to fill. */
export function replyNodes(table: RoutingTable, target: Uint8Array, exceptHex: string, n: number, liveMs: number, now: number): NodeRecord[] {
  const isLive = (e: Entry): boolean => e.failures === 0 && e.verifiedAt > 0 && now - e.verifiedAt < liveMs;
  // Usually every close entry is live: one pass over the n + 1 closest, a filtered pass only if not.
  let picked = table.closest(target, n + 1).filter((e) => e.idHex !== exceptHex);
  if (!picked.slice(0, n).every(isLive)) {
    const live = table.closest(target, n + 1, (e) => e.idHex !== exceptHex && isLive(e));
    const have = new Set(live.map((e) => e.idHex));
    picked = [...live, ...picked.filter((e) => !have.has(e.idHex) && e.failures < 2)];
  }
  return picked.slice(0, n).map((c) => ({ id: c.id, host: c.host, port: c.port }));
}

/** Value records split into VALUE packets (at most 4, each under 1,000 bytes of records). */
export function valueParts(recs: Uint8Array[]): Uint8Array[][] {
  const chunks: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let bytes = 0;
  for (const r of recs) {
    if (cur.length >= MAX_VALUES_PER_PACKET || bytes + r.length + 2 > 1000) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.length + 2;
  }
  if (cur.length) chunks.push(cur);
  return chunks.slice(0, 4);
}
