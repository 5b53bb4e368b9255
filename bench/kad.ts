// Kademlia figures. kad.join2k: 2,000 simulated nodes that joined through the protocol (bootstrap,
// bonding, self lookup, refresh; no seeded tables), measured as built, with 10% of nodes replaced
// during the lookups (churn), then with 30% dead; and a second network joined and measured under 2%
// datagram loss. Goals: recall >= 0.99, minTable > 0, median rounds <= 4. kad.n10000: seeded
// tables at 10,000 nodes (routing alone). kad.vsBtdht: kadchain against webtorrent's bittorrent-dht
// on real UDP on 127.0.0.1, each in its own child process with the same harness.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measureLookups, startSimulation, stopSimulation, type SimulationResult } from '../src/kad/index.js';

const pick = (r: SimulationResult): Record<string, number> => ({ recall: r.recall, medianRounds: r.medianRounds, messagesPerLookup: r.messagesPerLookup, minTable: r.minTable });

async function join2k(nodes: number, lookups: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const sim = await startSimulation({ nodes, seed: 2000 });
  const ideal = await measureLookups(sim, { seed: 1, lookups });
  const churn = await measureLookups(sim, { seed: 2, lookups, churnFraction: 0.1 });
  const dead30 = await measureLookups(sim, { seed: 3, lookups, deadFraction: 0.3 });
  await stopSimulation(sim);
  const lossy = await startSimulation({ nodes, seed: 2001, loss: 0.02 });
  const loss2 = await measureLookups(lossy, { seed: 4, lookups });
  await stopSimulation(lossy);
  return {
    ...pick(ideal), p95Rounds: ideal.p95Rounds, meanTable: ideal.meanTable,
    loss2: pick(loss2), dead30: pick(dead30), churn: pick(churn),
    goals: { recall: 0.99, minTableAbove: 0, medianRounds: 4 },
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** One side in its own process; past `capMs` it is asked to report what it has (SIGTERM), then killed. */
function child(impl: string, loss: number, nodes: number, lookups: number, phases: string, capMs = 170_000): Promise<Record<string, unknown>> {
  const script = fileURLToPath(new URL('./kad-vs-child.js', import.meta.url));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, impl, String(loss), String(nodes), String(lookups), phases], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let kill: NodeJS.Timeout | undefined;
    const term = setTimeout(() => {
      p.kill('SIGTERM');
      kill = setTimeout(() => p.kill('SIGKILL'), 5000);
    }, capMs);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>);
      } catch {
        resolve({ error: `no result from ${impl} (exit ${code ?? signal})` });
      }
    });
  });
}

async function vsBtdht(nodes: number, lookups: number): Promise<Record<string, unknown>> {
  const side = async (impl: string): Promise<Record<string, unknown>> => {
    const clean = await child(impl, 0, nodes, lookups, 'ideal,dead30');
    // Under 2% loss (joins and lookups): only recall is read from this run.
    const lossy = await child(impl, 0.02, nodes, lookups, 'ideal');
    const g = (o: Record<string, unknown>, k: string, f: string): unknown => (o[k] as Record<string, unknown> | undefined)?.[f];
    const errors = [clean.error, lossy.error].filter((e) => e !== undefined);
    return {
      joinMs: clean.joinMs, below8AfterJoin: clean.below8,
      recall8: { ideal: g(clean, 'ideal', 'recall'), loss2: g(lossy, 'ideal', 'recall'), dead30: g(clean, 'dead30', 'recall') },
      datagramsPerLookup: g(clean, 'ideal', 'datagramsPerLookup'),
      medianMsPerLookup: g(clean, 'ideal', 'medianMs'),
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  };
  const t0 = performance.now();
  const kadchain = await side('kadchain');
  const btdht = await side('btdht');
  return { nodes, lookups, kadchain, btdht, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

export async function benchKad(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  out['kad.join2k'] = await join2k(2000, 60);
  // One seeded network, measured whole, then with 20% of it dead (building it is most of the cost).
  const t0 = performance.now();
  const seeded = await startSimulation({ nodes: 10000, seed: 10000, mode: 'seeded' });
  const live = await measureLookups(seeded, { seed: 10000, lookups: 50 });
  const dead = await measureLookups(seeded, { seed: 10001, lookups: 50, deadFraction: 0.2 });
  await stopSimulation(seeded);
  out['kad.n10000'] = {
    medianRounds: live.medianRounds, p95Rounds: live.p95Rounds, messagesPerLookup: live.messagesPerLookup,
    recall: live.recall, recallDead20: dead.recall, roundsGoal: Math.round((Math.log2(10000) / 3) * 100) / 100, meanTable: live.meanTable,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  out['kad.vsBtdht'] = await vsBtdht(150, 100);
  return out;
}
