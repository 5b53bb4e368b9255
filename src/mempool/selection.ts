// Block template selection by package fee rate (Bitcoin Core's ancestor score, for account
// nonces): a sender's transactions can only be mined in nonce order, so the unit of choice is a
// prefix of its ready queue. Each sender offers its best prefix (highest total fee / total size);
// a max-heap picks the best offer, takes it, and the sender offers its next best. No I/O: the ready
// queues are already checked against the tip's account state.
import { BinaryHeap } from '../core/index.js';
import type { MempoolEntry } from './entry.js';

/** Bytes a transaction adds to a block beyond its own encoding (its length prefix). */
export const TX_FRAMING_BYTES = 2;

interface Offer {
  queue: readonly MempoolEntry[];
  /** First entry not yet taken. */
  from: number;
  /** Last entry of the best prefix (inclusive). */
  to: number;
  fee: bigint;
  bytes: number;
  score: number;
}

/** The best prefix of queue[from..] by fee rate; undefined when nothing (worth mining) is left. */
function bestOffer(queue: readonly MempoolEntry[], from: number, minFeeRate: bigint): Offer | undefined {
  let fee = 0n;
  let bytes = 0;
  let best: Offer | undefined;
  for (let i = from; i < queue.length; i++) {
    const e = queue[i]!;
    // Nothing under the floor is ever mined, and nothing after it (nonce order).
    if (e.feeRate < minFeeRate) break;
    fee += e.tx.fee;
    bytes += e.size + TX_FRAMING_BYTES;
    // Exact comparison of fee/bytes against the best so far; on ties the longer prefix wins.
    if (!best || fee * BigInt(best.bytes) >= best.fee * BigInt(bytes)) best = { queue, from, to: i, fee, bytes, score: Number(fee) / bytes };
  }
  return best;
}


/**
 * Picks transactions for a block of at most `maxBytes` (transactions + framing) from ready queues.
 * An offer that does not fit is retried as the longest prefix of it that does; a sender whose next
 * transaction cannot fit is done (its later nonces cannot skip it).
 */
export function selectPackages(queues: Iterable<readonly MempoolEntry[]>, maxBytes: number, minFeeRate: bigint): MempoolEntry[] {
  // Best offer first: the highest fee per byte.
  const heap = new BinaryHeap<Offer>((x, y) => x.score > y.score);
  for (const q of queues) {
    const o = bestOffer(q, 0, minFeeRate);
    if (o) heap.push(o);
  }
  const out: MempoolEntry[] = [];
  let used = 0;
  while (heap.size) {
    const o = heap.pop()!;
    if (used + o.bytes > maxBytes) {
      // Shrink to what fits and offer that again (at its own, possibly lower, rate).
      let to = o.from - 1;
      let room = maxBytes - used;
      while (to + 1 <= o.to && o.queue[to + 1]!.size + TX_FRAMING_BYTES <= room) room -= o.queue[++to]!.size + TX_FRAMING_BYTES;
      if (to < o.from) continue;
      const shrunk = bestOffer(o.queue.slice(0, to + 1), o.from, minFeeRate);
      if (shrunk) heap.push({ ...shrunk, queue: o.queue });
      continue;
    }
    for (let i = o.from; i <= o.to; i++) out.push(o.queue[i]!);
    used += o.bytes;
    const next = bestOffer(o.queue, o.to + 1, minFeeRate);
    if (next) heap.push(next);
  }
  return out;
}
