// Miner figures: the hot loop's attempts per second on one worker (the default kernel, and the JS
// fallback) and on every core, against OpenSSL's SHA-256 of 64-byte messages on one core,
// measured in the same run. One attempt costs two SHA-256 compressions (the header's tail block
// from the midstate, then the second hash of the 32-byte digest, each padded to one block); one
// OpenSSL hash of a 64-byte message also costs two (the data block and the padding block). So
// attempts/s against OpenSSL's hashes/s compares like with like, per core, without call overhead
// flattering either side. `openssl speed` divides by its CPU user time, not wall time, so the
// one-worker figures are divided by this process's CPU time too (the main thread only sleeps
// meanwhile): on a shared, loaded machine both sides are then per CPU-second. The wall-clock
// figure is printed beside it; the thread speedup is wall-clock by nature.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { PowSearcher, type MinerImpl } from '../src/miner/index.js';
import { encodeHeader, bigIntToTarget } from '../src/core/index.js';
import { testGenesis } from '../test/helpers/fixtures.js';

const WARMUP_MS = 500;
const MEASURE_MS = 3000;
const OPENSSL_SECONDS = 2;

async function searcherRate(threads: number, impl: MinerImpl): Promise<{ hps: number; cpuHps: number; kernel: string }> {
  const s = new PowSearcher({ threads, impl });
  const header = encodeHeader({ ...testGenesis().block.header, target: bigIntToTarget(0n) });
  void s.search(header); // never succeeds: pure hashing
  await new Promise((r) => setTimeout(r, WARMUP_MS)); // JIT / WASM tier-up
  const h0 = s.totalHashes;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpu = process.cpuUsage(cpu0);
  const hashes = Number(s.totalHashes - h0);
  const hps = hashes / ((performance.now() - t0) / 1000);
  await s.stop();
  return { hps, cpuHps: hashes / ((cpu.user + cpu.system) / 1e6), kernel: s.kernel };
}

/** OpenSSL's SHA-256 of 64-byte messages per second on one core, or why there is no figure. */
function opensslRate(): number | string {
  const r = spawnSync('openssl', ['speed', '-seconds', String(OPENSSL_SECONDS), '-bytes', '64', 'sha256'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `openssl not runnable: ${r.error.message}`;
  // The table's last line: "sha256   277670.12k" (thousands of bytes per second for 64-byte blocks).
  const m = /^sha256\s+([\d.]+)k\s*$/m.exec(r.stdout);
  if (!m) return `openssl speed output not understood (exit ${r.status})`;
  return (Number(m[1]) * 1000) / 64;
}

export async function benchMiner(): Promise<Record<string, number | string>> {
  const single = await searcherRate(1, 'wasm');
  const openssl = opensslRate();
  const all = await searcherRate(availableParallelism(), 'wasm');
  const js = await searcherRate(1, 'js');
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  const out: Record<string, number | string> = {
    'miner.impl': single.kernel,
    'miner.singleHps': Math.round(single.cpuHps),
    'miner.jsHps': Math.round(js.cpuHps),
  };
  if (typeof openssl === 'number') {
    out['miner.opensslHps'] = Math.round(openssl);
    out['miner.ofOpenssl'] = round2(single.cpuHps / openssl);
  } else {
    out['miner.opensslMissing'] = openssl; // no reference, so no ratio
  }
  out['miner.singleHpsWall'] = Math.round(single.hps);
  out['miner.allHps'] = Math.round(all.hps);
  out['miner.threadSpeedup'] = round2(all.hps / single.hps);
  out['miner.threads'] = availableParallelism();
  out['miner.ofJs'] = round2(single.cpuHps / js.cpuHps);
  return out;
}
