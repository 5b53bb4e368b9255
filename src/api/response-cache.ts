// Encoded answers shared between requests: a large answer (a full block, a page of blocks, the
// mempool) is produced once per chain or mempool state and the same Buffer is written to every
// client that asks, instead of one JSON copy per request. Keys carry the state they depend on (tip
// id, mempool version), so a stale entry is never found again and ages out by LRU. Concurrent
// misses of one key share the one computation.

export class ResponseCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly pending = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  async get(key: string, produce: () => Promise<unknown> | unknown): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => Buffer.from(JSON.stringify(await produce())))();
      this.pending.set(key, p);
      p.then(
        (body) => this.store(key, body),
        () => {},
      ).finally(() => this.pending.delete(key));
    }
    return p;
  }

  private store(key: string, body: Buffer): void {
    // An answer larger than a quarter of the cache is still shared by concurrent requests, not kept.
    if (body.length > this.maxBytes / 4) return;
    this.entries.set(key, body);
    this.bytes += body.length;
    for (const [k, b] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= b.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
