// Which established inbound peer makes room for a new one when the inbound slots are full: Bitcoin
// Core's policy (net.cpp SelectNodeToEvict), as a pure function. Peers an attacker cannot cheaply
// imitate are protected first: the lowest-latency, those that most recently delivered blocks and
// transactions we asked for, then the longer-connected half of the rest. Of what remains, the
// network group with the most connections loses its youngest member. Nothing left: refuse.
// Before any of that, a public address over its per-IP or per-/24|/64 cap is refused outright.
import { isPublicAddress } from './bans.js';

/** What eviction looks at for one established inbound peer. */
export interface EvictionCandidate<T = unknown> {
  ref: T;
  /** Network group: a public address's /24 or /64, else the host. */
  group: string;
  /** When it connected; this and the delivery times below are monotonic (only their order counts). */
  connectedAt: number;
  /** Last keep-alive round trip; undefined sorts as the slowest. */
  latencyMs: number | undefined;
  /** Last delivery of a requested block / tx; 0 for never. */
  lastBlockAt: number;
  lastTxAt: number;
}

export interface EvictionProtection {
  lowestLatency: number;
  recentBlocks: number;
  recentTxs: number;
}

export const DEFAULT_EVICTION_PROTECTION: Readonly<EvictionProtection> = { lowestLatency: 8, recentBlocks: 4, recentTxs: 4 };

/** Removes up to `n` entries from `list`, best first by `better` (among those `eligible`). */
function protect<T>(list: EvictionCandidate<T>[], n: number, better: (a: EvictionCandidate<T>, b: EvictionCandidate<T>) => number, eligible: (c: EvictionCandidate<T>) => boolean = () => true): void {
  const chosen = new Set(list.filter(eligible).sort(better).slice(0, n));
  for (let i = list.length - 1; i >= 0; i--) if (chosen.has(list[i]!)) list.splice(i, 1);
}

export interface InboundCaps {
  maxInbound: number;
  maxInboundPerIp: number;
  maxInboundPerNetGroup: number;
}

/**
 * Whether a newcomer from `host` (network group `group`) may take an established inbound slot
 * among `peers` (each with its host): room, room once `evict` is gone, or refused.
 */
export function inboundSlotFor<T>(
  host: string, group: string, peers: readonly (EvictionCandidate<T> & { host: string })[], caps: InboundCaps, protection?: EvictionProtection,
): { refuse: 'too-many-peers' } | { evict: T | undefined } {
  if (isPublicAddress(host)) {
    const sameHost = peers.filter((p) => p.host === host).length;
    const sameGroup = peers.filter((p) => p.group === group).length;
    if (sameHost >= caps.maxInboundPerIp || sameGroup >= caps.maxInboundPerNetGroup) return { refuse: 'too-many-peers' };
  }
  if (peers.length < caps.maxInbound) return { evict: undefined };
  const victim = selectPeerToEvict(peers, protection);
  return victim === undefined ? { refuse: 'too-many-peers' } : { evict: victim };
}

/** The peer to evict, or undefined when every one is protected (then the newcomer is refused). */
export function selectPeerToEvict<T>(peers: readonly EvictionCandidate<T>[], protection: EvictionProtection = DEFAULT_EVICTION_PROTECTION): T | undefined {
  const left = [...peers];
  protect(left, protection.lowestLatency, (a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity) || a.connectedAt - b.connectedAt, (c) => c.latencyMs !== undefined);
  protect(left, protection.recentBlocks, (a, b) => b.lastBlockAt - a.lastBlockAt, (c) => c.lastBlockAt > 0);
  protect(left, protection.recentTxs, (a, b) => b.lastTxAt - a.lastTxAt, (c) => c.lastTxAt > 0);
  protect(left, Math.floor(left.length / 2), (a, b) => a.connectedAt - b.connectedAt);
  if (!left.length) return undefined;
  const groups = new Map<string, EvictionCandidate<T>[]>();
  for (const c of left) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  let victims: EvictionCandidate<T>[] = [];
  for (const g of groups.values()) {
    const newest = (xs: EvictionCandidate<T>[]): number => Math.max(...xs.map((x) => x.connectedAt));
    if (g.length > victims.length || (g.length === victims.length && newest(g) > newest(victims))) victims = g;
  }
  return victims.reduce((a, b) => (b.connectedAt > a.connectedAt ? b : a)).ref;
}
