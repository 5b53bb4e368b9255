// Kademlia over real UDP on 127.0.0.1: 30 nodes from one seed, seed loss, restart from saved table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode, type PeerRecord, type TablePersistence } from '../../../src/kad/index.js';
import { sha256 } from '../../../src/crypto/index.js';

const key = (i: number) => sha256(new Uint8Array([0x4b, i, i >> 8]));
class MemoryTable implements TablePersistence {
  records: PeerRecord[] = [];
  async load() { return this.records; }
  async save(r: PeerRecord[]) { this.records = r; }
}
const node = (i: number, bootstrap: { host: string; port: number }[], persistence?: TablePersistence) =>
  new KadNode({ secretKey: key(i), host: '127.0.0.1', port: 0, bootstrap, persistence, maintenance: false });

async function until(what: string, cond: () => boolean | Promise<boolean>, tick: () => Promise<unknown>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await tick();
  }
}

test('30 nodes from one seed fill their tables and find every other node; seed loss; restart from saved table', { timeout: 180_000 }, async () => {
  const seed = node(0, []);
  await seed.start();
  const boot = [{ host: '127.0.0.1', port: seed.port }];
  const tables = new Map<number, MemoryTable>();
  const nodes: KadNode[] = [seed];
  try {
    for (let i = 1; i < 30; i++) {
      tables.set(i, new MemoryTable());
      const n = node(i, boot, tables.get(i));
      await n.start();
      await n.join();
      nodes.push(n);
    }
    await until('every table >= 20', () => nodes.every((n) => n.table.size >= 20), () => Promise.all(nodes.filter((n) => n.table.size < 20).map((n) => n.refreshBuckets(0, 8))));
    for (const n of nodes) assert.ok(n.table.size >= 20, `table of ${n.idHex.slice(0, 8)} has ${n.table.size}`);
    // Every node's lookup for other nodes' ids returns them (5 seeded picks per node keep it quick).
    let found = 0;
    for (const [ai, a] of nodes.entries()) {
      const picks = [1, 7, 11, 17, 23].map((d) => nodes[(ai + d) % nodes.length]!);
      const results = await Promise.all(picks.map(async (b) => (await a.lookup(b.id)).closest.some((c) => c.idHex === b.idHex)));
      found += results.filter(Boolean).length;
    }
    assert.equal(found, 30 * 5);

    // The seed stops; a newcomer bootstraps from any live node.
    await seed.stop();
    const newcomer = node(100, [{ host: '127.0.0.1', port: nodes[7]!.port }]);
    await newcomer.start();
    await newcomer.join();
    await until('newcomer table', () => newcomer.table.size >= 20, () => newcomer.refreshBuckets(0, 8));
    const target = nodes[19]!;
    assert.ok((await newcomer.lookup(target.id)).closest.some((c) => c.idHex === target.idHex));
    await newcomer.stop();

    // A node restarts with only its saved table (no bootstrap) and rejoins.
    const idx = 12;
    await nodes[idx]!.stop(); // saves
    assert.ok(tables.get(idx)!.records.length >= 20);
    const restarted = node(idx, [], tables.get(idx));
    await restarted.start();
    await restarted.join();
    assert.ok(restarted.table.size >= 10, `rejoined with ${restarted.table.size} entries`);
    assert.ok((await restarted.lookup(nodes[3]!.id)).closest.some((c) => c.idHex === nodes[3]!.idHex));
    nodes[idx] = restarted;
  } finally {
    for (const n of nodes) await n.stop();
  }
});
