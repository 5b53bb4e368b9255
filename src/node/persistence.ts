// LevelDB-backed persistence for the network layers, which may not import the store themselves:
// the Kademlia routing table (`peers` sublevel) and peer bans (`bans` sublevel).
import { ByteReader, ByteWriter } from '../core/index.js';
import { fromHex, toHex } from '../crypto/index.js';
import type { ChainStore } from '../store/index.js';
import type { PeerRecord, TablePersistence } from '../kad/index.js';
import type { BanStore } from '../p2p/index.js';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class LevelTablePersistence implements TablePersistence {
  constructor(private readonly store: ChainStore) {}

  async load(): Promise<PeerRecord[]> {
    const out: PeerRecord[] = [];
    for await (const [k, v] of this.store.entries('peers')) {
      try {
        const r = new ByteReader(v, 'peer record');
        const host = fromUtf8.decode(r.varBytes16(64));
        const port = r.u16();
        const lastSeen = Number(r.u64());
        r.end();
        out.push({ id: toHex(k), host, port, lastSeen });
      } catch {
        // A damaged record is skipped, never fatal: discovery will find the peer again.
      }
    }
    return out;
  }

  async save(records: PeerRecord[]): Promise<void> {
    const batch = this.store.batch();
    const keep = new Set(records.map((r) => r.id));
    for await (const [k] of this.store.entries('peers')) if (!keep.has(toHex(k))) batch.del('peers', k);
    for (const r of records) {
      batch.put('peers', fromHex(r.id, 32), new ByteWriter(32).varBytes16(utf8.encode(r.host)).u16(r.port).u64(BigInt(Math.max(0, Math.floor(r.lastSeen ?? 0)))).finish());
    }
    await batch.write();
  }
}

export class LevelBanStore implements BanStore {
  constructor(private readonly store: ChainStore) {}

  async load(): Promise<{ key: string; until: number }[]> {
    const out: { key: string; until: number }[] = [];
    for await (const [k, v] of this.store.entries('bans')) {
      if (v.length !== 8) continue;
      out.push({ key: fromUtf8.decode(k), until: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0)) });
    }
    return out;
  }

  async save(key: string, until: number): Promise<void> {
    if (!this.store.isOpen) return;
    await this.store.batch().put('bans', utf8.encode(key), new ByteWriter(8).u64(BigInt(until)).finish()).write();
  }
}
