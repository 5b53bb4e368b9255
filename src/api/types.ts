// The JSON shapes of the HTTP API, shared by the server (which builds them) and the typed client
// (which reads them). u64 values (amounts, nonces, work) are decimal strings so that no JSON
// parser rounds them; hashes, ids and targets are lowercase hex; times are epoch milliseconds.
import type { SyncProgress } from '../sync/index.js';
import type { TxJson } from '../core/index.js';

/** Every error response: a human message and a stable machine reason (e.g. "bad-signature"). */
export interface ErrorJson {
  error: string;
  reason: string;
}

export interface StatusJson {
  network: string;
  /** Genesis block id = chain id (what transactions sign over). */
  genesis: string;
  height: number;
  tip: string;
  /** Tip block timestamp (ms). */
  tipTime: number;
  /** Cumulative work of the tip, decimal. */
  work: string;
  /** Target of the next block, 64 hex digits. */
  target: string;
  /** powLimit / target: 1 at the easiest allowed target. */
  difficulty: number;
  targetBlockTimeMs: number;
  peers: { table: number; connected: number };
  /** Pending transactions. */
  mempool: number;
  mempoolBytes: number;
  orphans: number;
  mining: { enabled: boolean; hashrate: number; address?: string };
  syncing: boolean;
  health: HealthJson;
  /** Headers-first sync progress (absent when the node does not report it). */
  sync?: SyncProgressJson;
}

/** Headers-first sync progress as /api/status shows it: the sync service's own record. */
export type SyncProgressJson = SyncProgress;

/** `ok` is false while any problem lasts; `reason` is stable (`disk-full`, `io-error`). */
export interface HealthJson {
  ok: boolean;
  problems: { reason: string; message: string }[];
}

export interface HeaderJson {
  version: number;
  height: number;
  prevHash: string;
  merkleRoot: string;
  timestamp: number;
  target: string;
  nonce: number;
}

/** A transaction as the API shows it: the core JSON form plus its id, size and sender address. */
export type TxViewJson = TxJson & { id: string; size: number; sender?: string };

export interface BlockSummaryJson {
  id: string;
  height: number;
  prevHash: string;
  timestamp: number;
  target: string;
  nonce: number;
  txCount: number;
  size: number;
  /** Coinbase recipient. */
  miner: string | null;
  /** Coinbase amount (reward + fees), base units. */
  reward: string;
  /** Whether the block is on the main chain. */
  main: boolean;
}

export interface BlockJson extends BlockSummaryJson {
  header: HeaderJson;
  txs: TxViewJson[];
  confirmations: number;
  /** Cumulative chain work up to this block, decimal. */
  work: string;
  /** Next main-chain block id, when there is one. */
  next: string | null;
}

export interface TxLookupJson {
  id: string;
  tx: TxViewJson;
  status: 'pending' | 'confirmed';
  /** Containing block id (null while pending). */
  block: string | null;
  height: number | null;
  index: number | null;
  confirmations: number;
}

export interface AccountJson {
  address: string;
  balance: string;
  nonce: string;
  /** Nonce for the next new transaction: chain nonce plus contiguous pending ones. */
  pendingNonce: string;
}

/** A Kademlia routing-table entry. */
export interface TableEntryJson {
  id: string;
  host: string;
  port: number;
  /** Shared-prefix length with our node id. */
  bucket: number;
  lastSeen: number;
}

/** A connected WebSocket peer (listed only once its handshake proved its key). */
export interface ConnectedPeerJson {
  /** Node id: SHA-256 of the public key the peer proved at the handshake. */
  id: string;
  /** The connection's remote address. */
  host: string;
  /** Its listening port: dialled (outbound) or advertised in its hello (inbound). */
  port: number;
  /** `host:port`, IPv6 in brackets. */
  address: string;
  direction: 'inbound' | 'outbound';
  height: number;
  work: string;
  /** Misbehaviour score now (decays; banned at 100). */
  score: number;
  connectedAt: number;
  /** Last keep-alive round trip; absent until one was answered. */
  latencyMs?: number;
  /** Last delivery of a block / transaction we asked it for (0: never). */
  lastBlockAt: number;
  lastTxAt: number;
}

export interface PeersJson {
  table: TableEntryJson[];
  connected: ConnectedPeerJson[];
  /** Entries per bucket (index = shared-prefix length). */
  buckets: number[];
}

export type MempoolEntryJson = TxViewJson & { feeRate: string; addedAt: number };

export interface SubmitTxJson {
  id: string;
  replaced?: string;
}

/** Messages on the /api/events WebSocket. Each carries `type`; payload fields are also under `data`. */
export type ApiEvent =
  | ({ type: 'hello' } & { data: StatusJson } & StatusJson)
  | ({ type: 'block' } & { data: BlockSummaryJson } & BlockSummaryJson)
  | ({ type: 'tx' } & { data: TxViewJson } & TxViewJson)
  | ({ type: 'reorg' } & { data: ReorgEventJson } & ReorgEventJson)
  | ({ type: 'peer' } & { data: PeerEventJson } & PeerEventJson);

/** GET /api/tips: the active tip and the end of every side branch, most work first. */
export interface ChainTipJson {
  id: string;
  height: number;
  /** Cumulative work, decimal. */
  work: string;
  time: number;
  forkHeight: number;
  branchLength: number;
  status: 'active' | 'fork' | 'invalid';
}

export interface ReorgEventJson {
  forkHeight: number;
  disconnected: string[];
  connected: string[];
  /** Transfers of disconnected blocks that the new branch does not contain. */
  removedTxs: number;
}

/** What the node reports about a peer change; the API forwards it as a `peer` event. */
export interface PeerEventJson {
  event: 'connected' | 'disconnected' | 'banned' | 'discovered';
  id?: string;
  host?: string;
  port?: number;
  reason?: string;
}

/** GET /api/stats: figures the node computes over a window of recent main-chain blocks (stats.ts). */
export interface ChainStatsJson {
  /** Blocks the figures are computed over (the window actually available). */
  window: { blocks: number; fromHeight: number; toHeight: number; intervals: number; excluded: { genesis: number; restarts: number } };
  /** Work per second over the counted intervals (hashes per second for this chain's PoW). */
  networkHashrate: number;
  /** Mean and median of the counted block intervals, ms; null with no interval to count. */
  meanBlockTimeMs: number | null;
  medianBlockTimeMs: number | null;
  targetBlockTimeMs: number;
  difficulty: number;
  /** Target of the next block, 64 hex digits, and its difficulty. */
  nextTarget: string;
  nextDifficulty: number;
  retarget: {
    interval: number;
    /** Height of the next block that recomputes the target. */
    nextHeight: number;
    blocksLeft: number;
    /**
     * Difficulty the retarget would set if the blocks still to come took as long as the counted
     * ones (clamped by maxAdjustment as consensus does); null when no interval was counted.
     */
    estimatedDifficulty: number | null;
  };
  orphans: number;
  reorgs: number;
  sideTips: number;
}

/** GET /api/reorgs: one reorg this node made (newest first; bounded history). */
export interface ReorgJson {
  /** When this node reorganised (ms). */
  time: number;
  forkHeight: number;
  /** Main-chain blocks disconnected. */
  depth: number;
  oldTip: string | null;
  newTip: string | null;
  disconnectedCount: number;
  connectedCount: number;
  /** Ids of disconnected (tip first) and connected (fork side first) blocks; only the ends of a long side. */
  disconnected: string[];
  connected: string[];
  removedTxs: number;
}

/** GET /api/propagation: how one recent block reached this node (newest first; bounded). */
export interface PropagationJson {
  id: string;
  /** Height once connected here; null while only announced. */
  height: number | null;
  /** When this node first heard of the block (ms). */
  firstSeenAt: number;
  /** Node id of the peer it was first seen from, "local" when mined or submitted here. */
  firstFrom: string | null;
  connectedAt: number | null;
  /** One entry per peer that announced (inv) or sent (block) it, in arrival order. */
  announcements: { peer: string; host: string; at: number; via: 'inv' | 'header' | 'block' }[];
}

/** GET /api/lookups: the last Kademlia lookups this node ran, round by round (newest first). */
export interface LookupJson {
  target: string;
  kind: 'find-node' | 'find-value';
  startedAt: number;
  durationMs: number;
  rounds: { round: number; asked: number; replied: number; failed: number; bestPrefixBits: number }[];
  found: number;
  bestPrefixBits: number;
  messages: number;
}
