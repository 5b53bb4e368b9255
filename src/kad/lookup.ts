// Iterative Kademlia lookup: alpha queries in flight over the closest candidates seen, until the k
// closest that have not failed have all answered (queries still out beyond them are not waited for). Contacts learned from replies are candidates
// only: they enter no table here (they must bond themselves first), and a failure against one
// counts against a table entry only when it is that entry's own address (the caller decides).
import { idHex } from './id-cache.js';
import { compareDistance, type Contact } from './routing-table.js';
import type { NodeRecord } from './packet.js';

export interface LookupResult {
  closest: Contact[];
  rounds: number;
  messages: number;
  /** Records found by a FIND_VALUE lookup (empty for FIND_NODE). */
  values: Uint8Array[];
}

export interface QueryAnswer {
  nodes: NodeRecord[];
  values?: Uint8Array[];
}

export interface LookupDeps {
  selfHex: string;
  k: number;
  alpha: number;
  start: Contact[];
  /** Contacts already asked (e.g. the bootstrap during a join) with their answers: not asked again. */
  answered?: { c: Contact; nodes: NodeRecord[] }[];
  /** One query (with its own retries); undefined when the contact never answered. */
  query(c: Contact, round: number): Promise<QueryAnswer | undefined>;
  /** May a relayed record be followed (relay rule, reachable family, a sane port)? */
  acceptRelayed(from: Contact, n: NodeRecord): boolean;
  failed(c: Contact): void;
  running(): boolean;
  /** Stop at the first node that returns values (FIND_VALUE). */
  stopOnValue: boolean;
  /** After this long a query stops holding one of the alpha slots (its answer still counts). */
  slowMs: number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
}

type State = 'new' | 'inflight' | 'done' | 'failed';
interface Cand {
  c: Contact;
  round: number;
  state: State;
}

export async function iterativeLookup(target: Uint8Array, d: LookupDeps): Promise<Omit<LookupResult, 'messages'>> {
  const seen = new Map<string, Cand>();
  for (const c of d.start) if (c.idHex !== d.selfHex) seen.set(c.idHex, { c, round: 1, state: 'new' });
  let rounds = 0;
  const values: Uint8Array[] = [];
  // The candidates kept in distance order: an insertion sort, lists stay short (<= a few hundred).
  const order: Cand[] = [...seen.values()].sort((a, b) => compareDistance(target, a.c.id, b.c.id));
  const insert = (x: Cand): void => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDistance(target, order[mid]!.c.id, x.c.id) < 0) lo = mid + 1;
      else hi = mid;
    }
    order.splice(lo, 0, x);
  };
  const learn = (x: Cand, nodes: NodeRecord[]): void => {
    for (const n of nodes) {
      const h = idHex(n.id);
      if (h === d.selfHex || seen.has(h) || !d.acceptRelayed(x.c, n)) continue;
      const cand: Cand = { c: { id: n.id, idHex: h, host: n.host, port: n.port, lastSeen: 0 }, round: x.round + 1, state: 'new' };
      seen.set(h, cand);
      insert(cand);
    }
  };
  for (const a of d.answered ?? []) {
    if (a.c.idHex === d.selfHex) continue;
    let x = seen.get(a.c.idHex);
    if (!x) {
      x = { c: a.c, round: 1, state: 'done' };
      seen.set(a.c.idHex, x);
      insert(x);
    }
    x.state = 'done';
    rounds = Math.max(rounds, 1);
    learn(x, a.nodes);
  }
  await new Promise<void>((resolve) => {
    // `inflight` holds alpha slots; `outstanding` counts every query not yet answered or failed.
    let inflight = 0;
    let outstanding = 0;
    let finished = false;
    const finish = (): void => {
      if (!finished) {
        finished = true;
        resolve();
      }
    };
    const pump = (): void => {
      if (finished) return;
      if (!d.running() || (d.stopOnValue && values.length)) {
        if (outstanding === 0) finish();
        return;
      }
      let live = 0;
      for (const x of order) {
        if (live >= d.k || inflight >= d.alpha) break;
        if (x.state === 'failed') continue;
        live++;
        if (x.state !== 'new') continue;
        x.state = 'inflight';
        inflight++;
        outstanding++;
        rounds = Math.max(rounds, x.round);
        let holdsSlot = true;
        const release = (): void => {
          if (holdsSlot) {
            holdsSlot = false;
            inflight--;
          }
        };
        // A slow node (dead, or losing our datagrams) gives its slot to the next candidate.
        const slow = d.setTimer(() => {
          release();
          pump();
        }, d.slowMs);
        d.query(x.c, x.round).then(
          (res) => {
            d.clearTimer(slow);
            release();
            outstanding--;
            if (!res) {
              x.state = 'failed';
              d.failed(x.c);
            } else {
              x.state = 'done';
              if (res.values?.length) values.push(...res.values);
              learn(x, res.nodes);
            }
            pump();
          },
          () => {
            d.clearTimer(slow);
            release();
            outstanding--;
            x.state = 'failed';
            pump();
          },
        );
      }
      if (outstanding === 0 || closestSettled()) finish();
    };
    // Done when the k closest candidates that have not failed have all answered: a straggler
    // further out (a dead or slow node still being retried) does not hold the lookup open.
    const closestSettled = (): boolean => {
      let live = 0;
      for (const x of order) {
        if (live >= d.k) break;
        if (x.state === 'failed') continue;
        if (x.state !== 'done') return false;
        live++;
      }
      return live > 0;
    };
    pump();
  });
  const closest = order.filter((x) => x.state === 'done').slice(0, d.k).map((x) => x.c);
  return { closest, rounds, values };
}
