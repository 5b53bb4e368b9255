// What the Chain tells the rest of the node: submit results, tips, and the events it emits.
import type { Block, TransferTx } from '../core/index.js';
import type { IndexRecord } from '../store/index.js';

/**
 * held: too far in the future for now; kept (bounded) and retried when its time comes.
 * low-work: a side block too far behind the tip (work distance or fork depth, see side-branches.ts):
 * not stored, not checked further, and no fault of the sender (`reason` says which limit).
 */
export type SubmitStatus = 'connected' | 'side' | 'orphan' | 'held' | 'duplicate' | 'invalid' | 'low-work';

export interface SubmitResult {
  status: SubmitStatus;
  id: string;
  height: number;
  /** Rule code when status is 'invalid' (e.g. 'bad-pow'). */
  reason?: string;
  message?: string;
  /** For orphans: the ancestor id to fetch. */
  missing?: string;
}

/** Who handed a block over (a peer id, "miner", "api"); used only to bound per-source pools. */
export interface SubmitOptions {
  source?: string;
  /**
   * Work of a checked header chain this block leads to (sync's best header). When it beats the
   * tip, a side block is stored however far behind it is: the headers proved the branch.
   */
  provenWork?: bigint;
}

export interface IndexEntry extends IndexRecord {
  id: Uint8Array;
  idHex: string;
}

/** A chain tip (Bitcoin Core's getchaintips): the active tip, and the end of every side branch. */
export interface ChainTip {
  id: string;
  height: number;
  work: bigint;
  timestamp: number;
  /** Height of the main-chain block the branch grows from (the tip's own height when active). */
  forkHeight: number;
  /** Blocks from the fork point to the tip; 0 for the active tip. */
  branchLength: number;
  /**
   * active: the connected tip. fork: a side branch with checked bodies (its state rules are checked
   * only if it ever has the most work). invalid: the branch contains a block that broke a rule.
   */
  status: 'active' | 'fork' | 'invalid';
}

export interface TipInfo {
  id: Uint8Array;
  idHex: string;
  height: number;
  work: bigint;
  timestamp: number;
  target: bigint;
}

export interface ConnectedBlockEvent {
  block: Block;
  id: string;
  height: number;
  /** The block's canonical bytes when the connect had them at hand (a new block): listeners that keep the body keep these, not the decoded object graph. */
  bytes?: Uint8Array;
}

export interface ReorgEvent {
  forkHeight: number;
  disconnected: string[];
  connected: string[];
  /**
   * Transfers from disconnected blocks that the new branch does not contain, oldest first; capped
   * (MAX_REORG_RETURNED_TXS) so a deep reorg cannot hold every body in memory.
   */
  removedTxs: TransferTx[];
}

export interface ChainEvents {
  block: [ConnectedBlockEvent];
  reorg: [ReorgEvent];
  'tx-removed': [TransferTx[]];
  /** A read found the store damaged (once per kind of damage); the next start heals it. */
  'store-damaged': [message: string];
}

export interface NextBlockContext {
  height: number;
  prevHash: Uint8Array;
  target: bigint;
  /** Earliest valid timestamp (median-time-past + 1). */
  minTimestamp: number;
}
