// Miner figures: hot-loop hash rate on one worker and on all cores, against a native reference
// (node:crypto SHA-256, one core, as double-hash attempts per second) measured in the same run.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { PowSearcher } from '../src/miner/index.js';
import { encodeHeader, bigIntToTarget } from '../src/core/index.js';
import { testGenesis } from '../test/helpers/fixtures.js';

const MEASURE_MS = 3000;

async function searcherRate(threads: number): Promise<number> {
  const s = new PowSearcher({ threads });
  const header = encodeHeader({ ...testGenesis().block.header, target: bigIntToTarget(0n) });
  void s.search(header); // never succeeds: pure hashing
  await new Promise((r) => setTimeout(r, 300)); // warm-up (JIT)
  const h0 = s.totalHashes;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const rate = Number(s.totalHashes - h0) / ((performance.now() - t0) / 1000);
  await s.stop();
  return rate;
}

function nativeRate(): number {
  const header = encodeHeader(testGenesis().block.header);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MEASURE_MS) {
    for (let i = 0; i < 1000; i++) {
      header[115] = i & 0xff;
      createHash('sha256').update(createHash('sha256').update(header).digest()).digest();
    }
    n += 1000;
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function benchMiner(): Promise<Record<string, number>> {
  const singleHps = await searcherRate(1);
  const allHps = await searcherRate(availableParallelism());
  const nativeHps = nativeRate();
  return {
    'miner.singleHps': Math.round(singleHps),
    'miner.allHps': Math.round(allHps),
    'miner.nativeHps': Math.round(nativeHps),
    'miner.singleRatio': Math.round((singleHps / nativeHps) * 100) / 100,
    'miner.threadSpeedup': Math.round((allHps / singleHps) * 100) / 100,
    'miner.threads': availableParallelism(),
  };
}
