// The peer manager's memory of dialable addresses (fed by discovery or by hand): bounded, with
// per-address exponential backoff, and a pick order that prefers ids unlike the ones we are
// already connected to (different leading bits), so our outbound set does not cluster in one
// region of the id space and an attacker with many nearby ids cannot take every slot. Each public
// /24 (or /64) holds at most a share of the pool, so one network announcing thousands of addresses
// churns within its share instead of crowding out everyone else (Core's addrman buckets by group).
// Pure state with an injected random source, so it is unit-testable without sockets.
import { netGroup } from './bans.js';

/** A dialable node, as discovery reports it. `id` (hex) is optional: it is proved at the handshake anyway. */
export interface Candidate {
  id?: string;
  host: string;
  port: number;
}

interface CandidateState {
  id: string | undefined;
  /** Public /24 or /64 (undefined for loopback and private addresses, which are exempt from the group cap). */
  group: string | undefined;
  host: string;
  port: number;
  fails: number;
  nextTry: number;
  lastTry: number;
  /** Never dial again (wrong network, ourselves). */
  dead: boolean;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const addressOf = (c: { host: string; port: number }): string => `${c.host}:${c.port}`;

/** Leading 4 bits of a hex id: 16 groups is plenty for 8 outbound slots. */
const groupOf = (id: string | undefined): string | undefined => (id ? id[0]!.toLowerCase() : undefined);

export class CandidatePool {
  private readonly entries = new Map<string, CandidateState>();
  /** Candidates per public network group. */
  private readonly perGroup = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly backoff: BackoffPolicy,
    private readonly random: () => number = Math.random,
    /** Candidates one public /24 or /64 may hold; past it that group's least useful is forgotten. */
    private readonly maxPerGroup = Infinity,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(address: string): boolean {
    return this.entries.has(address);
  }

  /** Adds or refreshes a candidate (a newly learned id is kept). Returns false if it is not valid. */
  add(c: Candidate): boolean {
    if (!c.host || !Number.isInteger(c.port) || c.port <= 0 || c.port > 65535) return false;
    const addr = addressOf(c);
    const cur = this.entries.get(addr);
    if (cur) {
      if (c.id && !cur.id) cur.id = c.id.toLowerCase();
      return true;
    }
    const group = netGroup(c.host);
    if (group !== undefined && (this.perGroup.get(group) ?? 0) >= Math.max(1, this.maxPerGroup)) this.evictOne(group);
    if (this.entries.size >= this.max) this.evictOne();
    this.entries.set(addr, { id: c.id?.toLowerCase(), group, host: c.host, port: c.port, fails: 0, nextTry: 0, lastTry: 0, dead: false });
    if (group !== undefined) this.perGroup.set(group, (this.perGroup.get(group) ?? 0) + 1);
    return true;
  }

  remove(address: string): void {
    const e = this.entries.get(address);
    if (!e) return;
    this.entries.delete(address);
    if (e.group === undefined) return;
    const n = (this.perGroup.get(e.group) ?? 1) - 1;
    if (n > 0) this.perGroup.set(e.group, n);
    else this.perGroup.delete(e.group);
  }

  /** Number of candidates that could be dialled now. */
  dialableCount(now: number, allowed: (c: Candidate) => boolean): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.dead && e.nextTry <= now && allowed(this.view(e))) n++;
    return n;
  }

  /**
   * Up to `n` candidates to dial now, best first: fewest connected (or already picked) peers in the
   * same id group, then fewest recent failures, then least recently tried.
   */
  pick(n: number, now: number, allowed: (c: Candidate) => boolean, connectedIds: Iterable<string>): Candidate[] {
    if (n <= 0) return [];
    const groups = new Map<string, number>();
    for (const id of connectedIds) {
      const g = groupOf(id);
      if (g) groups.set(g, (groups.get(g) ?? 0) + 1);
    }
    // Unknown ids rank between "new group" and "group already taken".
    const rank = (e: CandidateState): [number, number, number] => {
      const g = groupOf(e.id);
      return [g ? (groups.get(g) ?? 0) : 0.5, e.fails, e.lastTry];
    };
    const ready = [...this.entries.values()].filter((e) => !e.dead && e.nextTry <= now && allowed(this.view(e)));
    const out: Candidate[] = [];
    while (out.length < n && ready.length) {
      let best = 0;
      let bestRank = rank(ready[0]!);
      for (let i = 1; i < ready.length; i++) {
        const a = rank(ready[i]!);
        if (a[0] < bestRank[0] || (a[0] === bestRank[0] && (a[1] < bestRank[1] || (a[1] === bestRank[1] && a[2] < bestRank[2])))) {
          best = i;
          bestRank = a;
        }
      }
      const e = ready.splice(best, 1)[0]!;
      const g = groupOf(e.id);
      if (g) groups.set(g, (groups.get(g) ?? 0) + 1);
      out.push(this.view(e));
    }
    return out;
  }

  markTried(address: string, now: number): void {
    const e = this.entries.get(address);
    if (e) e.lastTry = now;
  }

  /** Handshake done: the id is now proved; failures reset. */
  onConnected(address: string, id: string): void {
    const e = this.entries.get(address);
    if (!e) return;
    e.id = id;
    e.fails = 0;
  }

  /**
   * A dial failed or was refused. `permanent` (wrong network, ourselves) means never again; else
   * the next try waits base * 2^(fails-1), capped, with +-25% jitter so restarts do not synchronise.
   */
  onFailure(address: string, now: number, permanent = false): void {
    const e = this.entries.get(address);
    if (!e) return;
    if (permanent) {
      e.dead = true;
      return;
    }
    e.fails++;
    e.nextTry = now + this.delay(e.fails);
  }

  /** An established outbound connection ended: retry later; a short-lived one counts as a failure. */
  onDisconnected(address: string, now: number, lastedMs: number): void {
    const e = this.entries.get(address);
    if (!e) return;
    if (lastedMs < 60_000) e.fails++;
    else e.fails = 0;
    e.nextTry = now + this.delay(Math.max(1, e.fails));
  }

  /** Next allowed dial time for an address (Infinity when never again; undefined when unknown). */
  nextTry(address: string): number | undefined {
    const e = this.entries.get(address);
    return e ? (e.dead ? Infinity : e.nextTry) : undefined;
  }

  private delay(fails: number): number {
    const d = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(30, fails - 1));
    return Math.round(d * (0.75 + this.random() * 0.5));
  }

  private view(e: CandidateState): Candidate {
    return e.id ? { id: e.id, host: e.host, port: e.port } : { host: e.host, port: e.port };
  }

  /** Forgets the least useful (within `group` when given): dead first, then the most failures, then the oldest in the table. */
  private evictOne(group?: string): void {
    let victim: string | undefined;
    let worst = -1;
    for (const [k, e] of this.entries) {
      if (group !== undefined && e.group !== group) continue;
      const badness = e.dead ? Infinity : e.fails;
      if (badness > worst) [victim, worst] = [k, badness];
    }
    if (victim !== undefined) this.remove(victim);
  }
}
