// One simulated-network measurement of the kad bench, in its own process so that independent
// simulations use both cores at once. Simulations run on a virtual clock: their figures do not
// depend on CPU speed or on what else runs, only the wall time does.
// Usage: node kad-sim-child.js <join-clean|join-lossy|seeded10k> <nodes> <lookups>; prints one JSON line.
import { measureLookups, startSimulation, stopSimulation, type SimulationResult } from '../src/kad/index.js';

const [job, nodesArg, lookupsArg] = process.argv.slice(2);
const nodes = Number(nodesArg);
const lookups = Number(lookupsArg);
const out: Record<string, SimulationResult | number> = {};
const t0 = performance.now();
if (job === 'join-clean') {
  const sim = await startSimulation({ nodes, seed: 2000 });
  out.ideal = await measureLookups(sim, { seed: 1, lookups });
  out.churn = await measureLookups(sim, { seed: 2, lookups, churnFraction: 0.1 });
  out.dead30 = await measureLookups(sim, { seed: 3, lookups, deadFraction: 0.3 });
  await stopSimulation(sim);
} else if (job === 'join-lossy') {
  const sim = await startSimulation({ nodes, seed: 2001, loss: 0.02 });
  out.loss2 = await measureLookups(sim, { seed: 4, lookups });
  await stopSimulation(sim);
} else if (job === 'seeded10k') {
  // One seeded network, measured whole, then with 20% of it dead (building it is most of the cost).
  const sim = await startSimulation({ nodes, seed: 10000, mode: 'seeded' });
  out.live = await measureLookups(sim, { seed: 10000, lookups });
  out.dead20 = await measureLookups(sim, { seed: 10001, lookups, deadFraction: 0.2 });
  await stopSimulation(sim);
} else {
  throw new Error(`unknown job ${job}`);
}
out.seconds = Math.round((performance.now() - t0) / 100) / 10;
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
