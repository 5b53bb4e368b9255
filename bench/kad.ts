// Kademlia figures from the simulator at 1k, 5k and 10k nodes: lookup rounds, messages, recall
// (and recall with 20% of nodes dead). Goal: median rounds <= log2(N)/3, recall >= 0.99.
import { runSimulation } from '../src/kad/index.js';

export async function benchKad(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const n of [1000, 5000, 10000]) {
    const live = await runSimulation({ nodes: n, seed: n, lookups: 100, mode: 'seeded' });
    const dead = await runSimulation({ nodes: n, seed: n + 1, lookups: 100, mode: 'seeded', deadFraction: 0.2 });
    out[`kad.n${n}`] = {
      medianRounds: live.medianRounds,
      p95Rounds: live.p95Rounds,
      messagesPerLookup: live.messagesPerLookup,
      recall: live.recall,
      recallDead20: dead.recall,
      roundsGoal: Math.round((Math.log2(n) / 3) * 100) / 100,
      meanTable: live.meanTable,
    };
  }
  return out;
}
