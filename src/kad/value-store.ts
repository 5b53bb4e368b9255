// Bounded key/value store behind STORE and FIND_VALUE: count, bytes and TTL all capped.
import { toHex } from '../crypto/index.js';

export interface ValueStoreLimits {
  maxCount: number;
  maxBytes: number;
  maxTtlSec: number;
}

export const DEFAULT_VALUE_LIMITS: ValueStoreLimits = { maxCount: 1024, maxBytes: 1024 * 1024, maxTtlSec: 3600 };

export class ValueStore {
  private readonly items = new Map<string, { value: Uint8Array; expires: number }>();
  private bytes = 0;
  constructor(private readonly limits: ValueStoreLimits = DEFAULT_VALUE_LIMITS) {}

  get size(): number {
    return this.items.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }

  put(key: Uint8Array, value: Uint8Array, ttlSec: number, now: number): boolean {
    this.expire(now);
    const k = toHex(key);
    this.delete(k);
    if (value.length > this.limits.maxBytes) return false;
    while (this.items.size >= this.limits.maxCount || this.bytes + value.length > this.limits.maxBytes) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
    this.items.set(k, { value: Uint8Array.from(value), expires: now + Math.min(ttlSec, this.limits.maxTtlSec) * 1000 });
    this.bytes += value.length;
    return true;
  }

  get(key: Uint8Array, now: number): Uint8Array | undefined {
    const k = toHex(key);
    const v = this.items.get(k);
    if (!v) return undefined;
    if (v.expires <= now) {
      this.delete(k);
      return undefined;
    }
    return v.value;
  }

  private delete(k: string): void {
    const v = this.items.get(k);
    if (!v) return;
    this.items.delete(k);
    this.bytes -= v.value.length;
  }

  private expire(now: number): void {
    for (const [k, v] of this.items) if (v.expires <= now) this.delete(k);
  }
}
