// The options a KadNode takes and the shapes it reports: peers, persistence, events, counters.
import type { Logger } from '../log/index.js';
import type { MaintenanceOptions } from './maintenance.js';
import type { DropReason } from './packet.js';
import type { Clock, Transport } from './transport.js';
import type { CryptoGate } from './crypto-gate.js';
import type { ValueStoreLimits } from './value-store.js';

export interface PeerRecord {
  id: string; // hex
  host: string;
  port: number;
  lastSeen?: number;
}

/** Where the table survives restarts (the node backs it with the `peers` sublevel). */
export interface TablePersistence {
  load(): Promise<PeerRecord[]>;
  save(records: PeerRecord[]): Promise<void>;
}

export interface KadOptions extends MaintenanceOptions {
  secretKey: Uint8Array;
  /** Either a transport, or host/port to bind real UDP on (an IPv6 host binds udp6; `::` is dual-stack). */
  transport?: Transport;
  host?: string;
  port?: number;
  bootstrap?: { host: string; port: number }[];
  logger?: Logger;
  persistence?: TablePersistence;
  clock?: Clock;
  random?: () => number;
  k?: number;
  alpha?: number;
  /**
   * Contacts per NODES reply (default 24, one IPv4 datagram; the margin over k keeps the true k
   * closest within reach when some entries have died unseen).
   */
  replyNodes?: number;
  /** Per attempt, the ceiling (the timeout adapts below it to measured round trips); requests are sent up to `attempts` times. */
  responseTimeoutMs?: number;
  /** Adapt per-attempt timeouts to measured round trips (default on; off: always responseTimeoutMs). */
  adaptiveTimeouts?: boolean;
  attempts?: number;
  /** Packet lifetime (receivers drop older packets). */
  packetTtlMs?: number;
  endpointProofMs?: number;
  valueLimits?: ValueStoreLimits;
  /** Caps of the per-source maps (endpoint proofs, budgets). */
  maxSources?: number;
  /** Requests (each costs a signature check and up to two signatures) per source: burst and per second. */
  requestBudget?: { burst: number; perSecond: number };
  /**
   * Sign and verify discovery packets on the datagram workers while the event loop is busy (default
   * on; real UDP only; crypto-gate.ts); off: always on the loop. The receive tiers (framing,
   * budget, expected reply) run first either way.
   */
  offloadCrypto?: boolean;
  /** The gate that decides (default: the process's; a test may give a node its own). */
  cryptoGate?: CryptoGate;
  /**
   * Endpoint proof before answering FIND_* (default on). Large seeded simulations turn it off to
   * measure routing alone; the proof itself is covered by joins and over real UDP.
   */
  endpointProof?: boolean;
}

export interface KadEvents {
  /** A node entered the routing table. */
  peer: [PeerRecord];
  /** A node of our own network, from a verified network record. */
  'network-peer': [PeerRecord];
}

export interface KadStats {
  received: number;
  sent: number;
  /** PINGs sent to verify an unbonded asker before answering it (the endpoint proof's datagrams). */
  pingBacks: number;
  dropped: Record<DropReason, number>;
}

