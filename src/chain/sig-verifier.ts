// Parallel Ed25519 verification for big blocks: the main thread verifies one share while worker
// threads verify the rest. Signature checks dominate block validation, so sync scales with cores.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { verifySignature } from '../crypto/index.js';
import type { VerifyJob } from './sig-verify-worker.js';

export interface SignatureItem {
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
}

/** Below this many signatures a batch is verified inline: messaging would cost more than it saves. */
const MIN_PARALLEL = 32;

export class SignatureVerifier {
  private workers: Worker[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (ok: Uint8Array) => void>();

  constructor(private readonly threads = Math.max(0, availableParallelism() - 1)) {}

  start(): void {
    if (this.workers.length || this.threads === 0) return;
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(new URL('./sig-verify-worker.js', import.meta.url));
      w.unref(); // never keeps the process alive on its own
      w.on('message', (m: { id: number; ok: Uint8Array }) => {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m.ok);
      });
      w.on('error', () => {
        // A dead worker fails its jobs closed: callers fall back to inline verification.
        for (const [id, done] of this.pending) {
          this.pending.delete(id);
          done(new Uint8Array(0));
        }
      });
      this.workers.push(w);
    }
  }

  async stop(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Index of the first signature that fails, or -1 when all verify. */
  async firstInvalid(items: SignatureItem[]): Promise<number> {
    if (items.length < MIN_PARALLEL || this.workers.length === 0) return inline(items, 0, items.length);
    const shares = this.workers.length + 1;
    const per = Math.ceil(items.length / shares);
    const jobs = this.workers.map((w, i) => {
      const from = (i + 1) * per;
      const slice = items.slice(from, from + per);
      const id = this.nextId++;
      const job: VerifyJob = { id, msgs: slice.map((x) => x.msg), sigs: slice.map((x) => x.sig), pubs: slice.map((x) => x.pub) };
      return new Promise<{ from: number; ok: Uint8Array; n: number }>((resolve) => {
        this.pending.set(id, (ok) => resolve({ from, ok, n: slice.length }));
        w.postMessage(job);
      });
    });
    const mine = inline(items, 0, Math.min(per, items.length));
    const results = await Promise.all(jobs);
    if (mine >= 0) return mine;
    for (const r of results) {
      if (r.ok.length !== r.n) {
        const again = inline(items, r.from, r.from + r.n);
        if (again >= 0) return again;
        continue;
      }
      const bad = r.ok.indexOf(0);
      if (bad >= 0) return r.from + bad;
    }
    return -1;
  }
}

function inline(items: SignatureItem[], from: number, to: number): number {
  for (let i = from; i < to; i++) if (!verifySignature(items[i]!.msg, items[i]!.sig, items[i]!.pub)) return i;
  return -1;
}
