// An idle network smaller than k (a devnet, the 12-node relay bench): every self lookup already
// reaches every node there is, so the background upkeep must not keep asking the same nodes.
// Simulated network on a virtual clock (deterministic, no real time), maintenance timers on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode, SimNetwork } from '../../../src/kad/index.js';
import { kadKey } from './kad-helpers.js';

const NODES = 12;
const REFRESH_MS = 10_000;
const IDLE_MS = 5 * 60_000;

test('a network smaller than k stops looking itself up: one lookup per refresh, no sparse-table lookups', { timeout: 60_000 }, async () => {
  const net = new SimNetwork({ seed: 7, latencyMs: [1, 5] });
  const boot = '10.7.0.1';
  const nodes = Array.from({ length: NODES }, (_, i) => new KadNode({
    secretKey: kadKey(`small-${i}`).secretKey, transport: net.transport(`10.7.0.${i + 1}`, 30500), clock: net.clock, random: () => net.random(),
    bootstrap: i === 0 ? [] : [{ host: boot, port: 30500 }], refreshIntervalMs: REFRESH_MS, randomLookupIntervalMs: REFRESH_MS,
  }));
  try {
    for (const n of nodes) await n.start();
    // Joined and settled: every node knows every other.
    await net.clock.run(net.clock.now() + 60_000);
    for (const n of nodes) assert.equal(n.table.size, NODES - 1, `node ${n.idHex.slice(0, 8)} knows the whole network`);
    const before = nodes.map((n) => n.lookups.totals().lookups);
    await net.clock.run(net.clock.now() + IDLE_MS);
    const refreshes = IDLE_MS / REFRESH_MS;
    for (const [i, n] of nodes.entries()) {
      const lookups = n.lookups.totals().lookups - before[i]!;
      // Before: a self lookup and three random lookups per refresh plus sparse-table self lookups
      // (about 4.3 per refresh interval); now one per refresh (the phase is jittered: allow 1.5).
      assert.ok(lookups <= refreshes * 1.5, `node ${i}: ${lookups} lookups in ${refreshes} refresh intervals`);
      assert.equal(n.table.size, NODES - 1, 'the table stays whole');
    }
  } finally {
    for (const n of nodes) await n.stop();
  }
});

test('a network that grows past what a self lookup found is looked up again (a newcomer is found)', { timeout: 60_000 }, async () => {
  const net = new SimNetwork({ seed: 8, latencyMs: [1, 5] });
  const boot = '10.8.0.1';
  const mk = (i: number): KadNode => new KadNode({
    secretKey: kadKey(`grow-${i}`).secretKey, transport: net.transport(`10.8.0.${i + 1}`, 30500), clock: net.clock, random: () => net.random(),
    bootstrap: i === 0 ? [] : [{ host: boot, port: 30500 }], refreshIntervalMs: REFRESH_MS, randomLookupIntervalMs: REFRESH_MS,
  });
  const nodes = Array.from({ length: 6 }, (_, i) => mk(i));
  try {
    for (const n of nodes) await n.start();
    await net.clock.run(net.clock.now() + 60_000);
    const late = mk(6);
    nodes.push(late);
    await late.start();
    await net.clock.run(net.clock.now() + 3 * REFRESH_MS);
    for (const n of nodes) assert.equal(n.table.size, nodes.length - 1, `node ${n.idHex.slice(0, 8)} knows the newcomer too`);
  } finally {
    for (const n of nodes) await n.stop();
  }
});
