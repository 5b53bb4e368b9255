// A bounded record of the last lookups this node ran, round by round, for operators and the
// explorer's lookup view: how many contacts each round asked, how many answered, and how close
// (shared-prefix bits with the target) the best answer got. Fixed size; the oldest is dropped.
import { toHex } from '../crypto/index.js';
import { sharedPrefixLength } from './routing-table.js';

export const LOOKUP_HISTORY_SIZE = 32;
/** Rounds kept per lookup (a lookup converges in O(log n) rounds; more is noise). */
export const LOOKUP_ROUNDS_KEPT = 32;

export interface LookupRoundRecord {
  round: number;
  asked: number;
  replied: number;
  failed: number;
  /** Most leading bits any replying contact of this round shares with the target (higher = closer). */
  bestPrefixBits: number;
}

export interface LookupRecord {
  target: string;
  kind: 'find-node' | 'find-value';
  startedAt: number;
  durationMs: number;
  rounds: LookupRoundRecord[];
  /** Contacts in the result and the best shared-prefix length among them. */
  found: number;
  bestPrefixBits: number;
  messages: number;
}

/** Collects one lookup's rounds while it runs. */
export class LookupTrace {
  private readonly rounds = new Map<number, LookupRoundRecord>();

  constructor(readonly target: Uint8Array, readonly kind: LookupRecord['kind'], readonly startedAt: number) {}

  private at(round: number): LookupRoundRecord | undefined {
    let r = this.rounds.get(round);
    if (!r && this.rounds.size < LOOKUP_ROUNDS_KEPT) this.rounds.set(round, (r = { round, asked: 0, replied: 0, failed: 0, bestPrefixBits: 0 }));
    return r;
  }

  asked(round: number): void {
    const r = this.at(round);
    if (r) r.asked++;
  }

  answered(round: number, contact: Uint8Array | undefined): void {
    const r = this.at(round);
    if (!r) return;
    if (!contact) return void r.failed++;
    r.replied++;
    r.bestPrefixBits = Math.max(r.bestPrefixBits, sharedPrefixLength(this.target, contact));
  }

  finish(now: number, closest: Uint8Array[], messages: number): LookupRecord {
    return {
      target: toHex(this.target),
      kind: this.kind,
      startedAt: this.startedAt,
      durationMs: Math.max(0, now - this.startedAt),
      rounds: [...this.rounds.values()].sort((a, b) => a.round - b.round),
      found: closest.length,
      bestPrefixBits: closest.reduce((m, id) => Math.max(m, sharedPrefixLength(this.target, id)), 0),
      messages,
    };
  }
}

export class LookupHistory {
  private readonly items: LookupRecord[] = [];
  private count = 0;
  private roundsTotal = 0;

  constructor(private readonly capacity = LOOKUP_HISTORY_SIZE) {}

  add(r: LookupRecord): void {
    this.count++;
    this.roundsTotal += r.rounds.length;
    this.items.push(r);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Newest first. */
  list(): LookupRecord[] {
    return [...this.items].reverse();
  }

  /** Lookups and rounds since start, including those the history has dropped. */
  totals(): { lookups: number; rounds: number } {
    return { lookups: this.count, rounds: this.roundsTotal };
  }
}
