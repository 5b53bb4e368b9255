// Simulations on the in-memory network, seeded: tables built by joins through the protocol (the
// default), with datagram loss, churn and dead nodes; seeded tables only for the 5,000-node
// routing check. Recall is against the true 20 closest live nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDistance, measureLookups, runSimulation, startSimulation, stopSimulation } from '../../src/kad/index.js';


test('sim 2,000 nodes (seeded tables): recall >= 0.99 in few rounds', { timeout: 600_000 }, async () => {
  const r = await runSimulation({ nodes: 2000, seed: 11, lookups: 30, mode: 'seeded' });
  assert.ok(r.recall >= 0.99, `recall ${r.recall}`);
  assert.ok(r.medianRounds <= Math.log2(2000) / 3, `median rounds ${r.medianRounds}`);
});

test('sim 120 nodes joined through the protocol under 2% loss: recall >= 0.99 as built, with 10% churn and with 30% dead; no empty table', { timeout: 600_000 }, async () => {
  const sim = await startSimulation({ nodes: 120, seed: 13, loss: 0.02 });
  try {
    // 60 lookups a leg: with 20, one missed contact of the 400 moves a leg by 0.0025, and the churn leg
    // scored under 0.99 on two of six seeds while the 2,000-node bench gave 0.9975. About a second more.
    const built = await measureLookups(sim, { seed: 1, lookups: 60 });
    assert.ok(built.recall >= 0.99, `recall ${built.recall}`);
    assert.ok(built.minTable > 0, `min table ${built.minTable}`);
    assert.ok(built.medianRounds <= 4, `median rounds ${built.medianRounds}`);
    const churn = await measureLookups(sim, { seed: 2, lookups: 60, churnFraction: 0.1 });
    assert.ok(churn.recall >= 0.99, `churn recall ${churn.recall}`);
    assert.ok(churn.minTable > 0, `churn min table ${churn.minTable}`);
    const dead = await measureLookups(sim, { seed: 3, lookups: 60, deadFraction: 0.3 });
    assert.ok(dead.recall >= 0.97, `dead recall ${dead.recall}`);
  } finally {
    await stopSimulation(sim);
  }
});

test('sim joins are deterministic: same seed, same result', { timeout: 600_000 }, async () => {
  const a = await runSimulation({ nodes: 50, seed: 21, lookups: 10, loss: 0.02 });
  const b = await runSimulation({ nodes: 50, seed: 21, lookups: 10, loss: 0.02 });
  assert.deepEqual(a, b);
  assert.ok(a.recall >= 0.95, `recall ${a.recall}`);
});

// A joiner whose bond with its bootstrap lost one datagram got no answer to its self lookup (the
// held FIND_NODE waited on a ping-back that was never re-sent), joined from its far buckets only,
// and stayed unknown to its own neighbourhood: lookups for ids near it missed it (kad.join2k.loss2).
test('sim 500 nodes joined under 2% loss: a held request lost with its ping-back leaves no node unknown to its own neighbourhood', { timeout: 600_000 }, async () => {
  const sim = await startSimulation({ nodes: 500, seed: 2001, loss: 0.02 });
  try {
    const unknown = sim.nodes.filter((n) => {
      const near = sim.nodes.filter((x) => x !== n).sort((a, b) => compareDistance(n.id, a.id, b.id)).slice(0, 20);
      return near.every((x) => !x.table.has(n.idHex));
    });
    assert.deepEqual(unknown.map((n) => n.idHex.slice(0, 12)), [], 'nodes none of their 20 nearest know');
  } finally {
    await stopSimulation(sim);
  }
});
