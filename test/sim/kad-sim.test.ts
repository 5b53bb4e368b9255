// Seeded simulations on the in-memory network: recall of the true 20 closest live nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/kad/index.js';

test('sim 5,000 nodes: recall >= 0.99; same seed, same result', { timeout: 120_000 }, async () => {
  const r = await runSimulation({ nodes: 5000, seed: 11, lookups: 60, mode: 'seeded' });
  assert.ok(r.recall >= 0.99, `recall ${r.recall}`);
  assert.ok(r.medianRounds <= Math.log2(5000) / 3, `median rounds ${r.medianRounds}`);
});

test('sim 5,000 nodes with 20% dead: recall >= 0.95', { timeout: 120_000 }, async () => {
  const r = await runSimulation({ nodes: 5000, seed: 12, lookups: 60, mode: 'seeded', deadFraction: 0.2 });
  assert.ok(r.recall >= 0.95, `recall ${r.recall}`);
});

test('sim 300 nodes joining through the protocol: recall >= 0.99, deterministic', { timeout: 120_000 }, async () => {
  const a = await runSimulation({ nodes: 300, seed: 13, lookups: 30, mode: 'join' });
  const b = await runSimulation({ nodes: 300, seed: 13, lookups: 30, mode: 'join' });
  assert.ok(a.recall >= 0.99, `recall ${a.recall}`);
  assert.deepEqual(a, b);
});
