// The account-state cache in front of LevelDB (Bitcoin Core's coins cache, write-through): reads of
// touched accounts are served from memory, and every account a committed batch wrote is updated
// here only after that batch is on disk, so the cache never runs ahead of the store. Bounded; the
// oldest entries go first.
import { toHex } from '../crypto/index.js';
import type { AccountRecord } from './records.js';

/** Accounts kept by default: ~150 bytes each, so ~15 MB at most. */
export const DEFAULT_ACCOUNT_CACHE_ENTRIES = 100_000;

export class AccountCache {
  /** Address hex -> account, or null for "no record" (an empty account). */
  private readonly entries = new Map<string, Readonly<AccountRecord> | null>();
  /**
   * Bumped whenever a batch that wrote accounts commits (or the table is cleared): a read that
   * started before cannot tell which value it saw, so it may not fill the cache.
   */
  private epoch = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly max = DEFAULT_ACCOUNT_CACHE_ENTRIES) {
    if (!(max >= 0)) throw new RangeError(`expected max >= 0, got ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The current epoch, taken before a disk read and given back to `fill`. */
  get readEpoch(): number {
    return this.epoch;
  }

  /**
   * Accounts by address: known ones from memory, the rest through `readMany` in one call, kept
   * unless a write committed meanwhile. `bypass` reads every one through `readMany` (the integrity
   * walk checks what is on disk, not what is cached). `knownKeys`: the addresses' hex forms, when the
   * caller has them (a block's connect does), so they are not formatted again.
   */
  async read(
    addresses: Uint8Array[],
    readMany: (missing: Uint8Array[]) => Promise<(AccountRecord | undefined)[]>,
    bypass = false,
    knownKeys?: readonly string[],
  ): Promise<(AccountRecord | undefined)[]> {
    if (knownKeys && knownKeys.length !== addresses.length) throw new RangeError(`expected ${addresses.length} keys, got ${knownKeys.length}`);
    const keys = knownKeys ?? addresses.map(toHex);
    const out: (AccountRecord | undefined)[] = new Array(addresses.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const hit = bypass ? undefined : this.get(keys[i]!);
      if (hit === undefined) missing.push(i);
      else out[i] = hit ?? undefined;
    }
    if (!missing.length) return out;
    const epoch = this.epoch;
    const vals = await readMany(missing.map((i) => addresses[i]!));
    missing.forEach((i, j) => {
      out[i] = vals[j];
      this.fill(keys[i]!, vals[j], epoch);
    });
    return out;
  }

  /** undefined: not cached (read the disk); null: known to have no record. */
  get(key: string): AccountRecord | null | undefined {
    const e = this.entries.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return e && { balance: e.balance, nonce: e.nonce };
  }

  /** A value read from disk, kept only if no account write committed since the read began. */
  fill(key: string, value: AccountRecord | undefined, epoch: number): void {
    if (epoch !== this.epoch) return;
    this.set(key, value);
  }

  /** The accounts a batch wrote (undefined: deleted), once it is on disk. */
  committed(writes: ReadonlyMap<string, AccountRecord | undefined>): void {
    this.epoch++;
    for (const [k, v] of writes) this.set(k, v);
  }

  /** Forget everything (the table was cleared, or written outside typed batches). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  private set(key: string, value: AccountRecord | undefined): void {
    if (this.max === 0) return;
    this.entries.delete(key);
    this.entries.set(key, value ? Object.freeze({ balance: value.balance, nonce: value.nonce }) : null);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
