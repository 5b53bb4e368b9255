// The one coded error class of the p2p layer, and the close codes it puts on the wire.
// A refusal is both a thrown/rejected P2PError (for the caller) and a WebSocket close frame with
// the same reason string (for the remote side), so both ends name the same cause.
import { KadchainError } from '../core/index.js';

/** Stable reason codes: close reasons on the wire, `P2PError.reason` in code. */
export type P2PReason =
  // handshake refusals
  | 'wrong-genesis'
  | 'bad-proof'
  | 'self-connection'
  | 'duplicate'
  | 'bad-version'
  | 'handshake-timeout'
  | 'bad-tip'
  // admission and protection
  | 'banned'
  | 'too-many-peers'
  | 'malformed'
  | 'oversize'
  | 'slow-reader'
  | 'idle-timeout'
  | 'evicted'
  | 'busy'
  | 'shutdown'
  // local failures (reported to callers)
  | 'unreachable'
  | 'closed'
  | 'timeout'
  | 'not-started'
  | 'invalid-message'
  | 'invalid-option';

export class P2PError extends KadchainError<P2PReason> {}

/**
 * Application close codes (4000-4999 are free for applications in RFC 6455). A distinct code per
 * reason lets a peer that ignores the reason text still tell the causes apart.
 */
export const CLOSE_CODES: Readonly<Record<P2PReason, number>> = {
  'wrong-genesis': 4001,
  'bad-proof': 4002,
  'self-connection': 4003,
  duplicate: 4004,
  'bad-version': 4005,
  'handshake-timeout': 4006,
  'bad-tip': 4007,
  banned: 4010,
  'too-many-peers': 4011,
  malformed: 4012,
  oversize: 4013,
  'slow-reader': 4014,
  'idle-timeout': 4015,
  evicted: 4016,
  busy: 4017,
  shutdown: 4020,
  unreachable: 4000,
  closed: 4000,
  timeout: 4000,
  'not-started': 4000,
  'invalid-message': 4000,
  'invalid-option': 4000,
};

/** Close code for any reason string: node-chosen reasons (e.g. 'sync-stalled') get the generic 4000. */
export function closeCodeFor(reason: string): number {
  return (CLOSE_CODES as Record<string, number>)[reason] ?? 4000;
}

const KNOWN = new Set<string>(Object.keys(CLOSE_CODES));

export function isP2PReason(s: string): s is P2PReason {
  return KNOWN.has(s);
}
