// The penalty table: the one place that says what a refusal costs a peer. A pure function maps a
// reason (from sync, relay, serving or p2p's own wire checks) to points and whether to disconnect;
// `chargePeer` applies it once. DESIGN: consensus-invalid data bans at once (100 points), protocol
// noise scores 20, a ban comes at 100.
import type { P2PNetwork, P2PPenalties, Peer } from '../p2p/index.js';
import type { SyncReason } from '../sync/index.js';

/** Refusals the relay and the p2p layer name, besides sync's. */
export type RelayReason = 'malformed-tx' | 'invalid-tx' | 'junk-tx' | 'unfunded-tx' | 'coinbase-relayed' | 'malformed' | 'unrequested' | 'oversize' | 'rate-limit';
export type RefusalReason = SyncReason | RelayReason;

export interface PeerAction {
  /** Misbehaviour points (a ban at 100). */
  points: number;
  /** Close the connection now, whatever the score. */
  disconnect: boolean;
}

const TABLE: Readonly<Record<RefusalReason, PeerAction>> = {
  // consensus-invalid data: provably hostile, ban at once
  'invalid-header': { points: 100, disconnect: true },
  'invalid-block': { points: 100, disconnect: true },
  'malformed-header': { points: 100, disconnect: true },
  'body-mismatch': { points: 100, disconnect: true },
  // lies about the chain and refusals to serve it
  'work-claim-unproven': { points: 50, disconnect: true },
  'headers-not-connecting': { points: 20, disconnect: true },
  'low-work-headers': { points: 20, disconnect: true },
  'withheld-bodies': { points: 20, disconnect: true },
  'inv-flood': { points: 50, disconnect: true },
  // too slow to be useful: dropped so the window moves, lightly scored
  'headers-timeout': { points: 10, disconnect: true },
  stalling: { points: 10, disconnect: true },
  // may become valid: no blame
  'time-too-new': { points: 0, disconnect: false },
  // wire and relay noise
  'malformed-block': { points: 20, disconnect: false },
  'malformed-tx': { points: 20, disconnect: false },
  'invalid-tx': { points: 10, disconnect: false },
  // cheap-to-refuse spam (rbf-fee-too-low, nonce-too-far, bad-nonce): a point each
  'junk-tx': { points: 1, disconnect: false },
  // a requested tx its sender cannot pay for (a store read and checks each): a point each, so a
  // flood of them ends in a ban while an honest race (funds in a block we lack) costs little
  'unfunded-tx': { points: 1, disconnect: false },
  'coinbase-relayed': { points: 10, disconnect: false },
  malformed: { points: 20, disconnect: false },
  unrequested: { points: 5, disconnect: false },
  oversize: { points: 100, disconnect: true },
  'rate-limit': { points: 10, disconnect: false },
};

export function penaltyFor(reason: RefusalReason): PeerAction {
  return TABLE[reason];
}

/** The points p2p charges by itself for wire faults, taken from the same table. */
export function p2pPenalties(): P2PPenalties {
  return { malformed: TABLE.malformed.points, unrequested: TABLE.unrequested.points, oversize: TABLE.oversize.points, rateLimit: TABLE['rate-limit'].points };
}

/** Charges a refusal once: points (a ban at the threshold), then a disconnect when the table says so. */
export function chargePeer(net: P2PNetwork, peer: Peer, reason: RefusalReason, detail = ''): void {
  const a = penaltyFor(reason);
  if (a.points > 0) net.misbehave(peer, a.points, detail ? `${reason}: ${detail}`.slice(0, 200) : reason);
  if (a.disconnect && !peer.dropped) net.disconnect(peer, reason);
}
