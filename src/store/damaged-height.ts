// Damage that reads find at run time, remembered on disk: the lowest main-chain height a read found
// damaged since the last whole walk (meta "damaged"), so the next start checks from there and heals
// however deep it is. The writes are best effort and tracked, so the store's close waits for them.
import { bytesEqual } from '../crypto/index.js';
import { META_DAMAGED, heightFromKey, heightKey } from './layout.js';
import type { IndexRecord } from './records.js';
import type { Sub, WriteBatch } from './write-batch.js';

/** What the tracker needs of its store. */
export interface DamageHost {
  readonly isOpen: boolean;
  batch(): WriteBatch;
  sub(name: 'meta'): Sub;
  getIndex(id: Uint8Array): Promise<IndexRecord | undefined>;
  getMainId(height: number): Promise<Uint8Array | undefined>;
}

export class DamagedHeight {
  private at: number | undefined;
  /** Best-effort writes a read started; `settle` waits for them. */
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly host: DamageHost) {}

  /** Lowest main-chain height a read found damaged since the last whole walk (undefined: none). */
  get height(): number | undefined {
    return this.at;
  }

  /** Reads the recorded height at open; an unreadable record only costs what it would have told. */
  async load(): Promise<void> {
    try {
      const b = await this.host.sub('meta').get(META_DAMAGED);
      this.at = b && b.length === 4 ? heightFromKey(b) : undefined;
    } catch {
      this.at = undefined;
    }
  }

  /** A whole walk (or a rebuild of the main chain) settles what reads had found. */
  async clear(): Promise<void> {
    if (this.at === undefined) return;
    await this.host.batch().del('meta', META_DAMAGED).write();
    this.at = undefined;
  }

  remember(height: number): void {
    if (!this.host.isOpen || (this.at !== undefined && this.at <= height)) return;
    this.at = height;
    this.track(this.host.batch().put('meta', META_DAMAGED, heightKey(height)).write());
  }

  /** Where damaged block bytes sit on the main chain, if they do (side branches need no heal). */
  locateBlock(id: Uint8Array): void {
    this.track((async () => {
      const rec = await this.host.getIndex(id);
      const main = rec && (await this.host.getMainId(rec.height));
      if (rec && main && bytesEqual(main, id)) this.remember(rec.height);
    })());
  }

  /** Waits for the writes started so far (and any they start). */
  async settle(): Promise<void> {
    while (this.writes.size) await Promise.all(this.writes);
  }

  private track(p: Promise<void>): void {
    // A failed write is the health's business; this run still knows the height.
    const w: Promise<void> = p.catch(() => {}).finally(() => this.writes.delete(w));
    this.writes.add(w);
  }
}
