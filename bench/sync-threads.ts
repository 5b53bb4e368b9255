// Sync diagnostics (sync-profile.ts, sync-four-trace.ts, bench/sync.ts under BENCH_SYNC_PERF):
// per-thread CPU of a process from Linux /proc (which thread of a syncing or serving process used the
// CPU, and which threads started while the sync ran: a worker spawned mid-sync pays its module
// loading then), and Linux perf over a phase (CPU time by function, JIT compiles and GC included).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';

/** CPU ms (user + system, every thread, ended ones too) a process has used so far (Linux /proc; undefined elsewhere). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks: 100 Hz on Linux
  } catch {
    return undefined;
  }
}

/** CPU ms per thread of a process (Linux /proc; empty elsewhere). */
export function threadCpu(pid: number | 'self'): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        out.set(tid, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Per-thread CPU between two snapshots, as us per tx: the main thread (tid = pid), threads started meanwhile, the rest. */
export function threadLine(pid: number, before: Map<string, number>, after: Map<string, number>, txs: number): string {
  const us = (ms: number): number => Math.round((ms * 1000) / txs);
  const parts: string[] = [];
  const others: number[] = [];
  const started: number[] = [];
  for (const [tid, ms] of after) {
    const d = ms - (before.get(tid) ?? 0);
    if (tid === String(pid)) parts.unshift(`main ${us(d)}`);
    else if (!before.has(tid)) started.push(d);
    else if (d > 0) others.push(d);
  }
  started.sort((a, b) => b - a);
  if (started.length) parts.push(`threads started during sync ${started.map(us).join('+')}`);
  others.sort((a, b) => b - a);
  parts.push(`other threads (V8 platform workers: background compiles and GC helpers; libuv pool; LevelDB) ${us(others.reduce((a, b) => a + b, 0))} = ${others.map(us).join('+')}`);
  return parts.join(', ');
}

/**
 * Linux perf sampling CPU time (not wall time, unlike V8's profiler on a loaded machine) in every
 * thread of `pids` until the returned stop() (`-g`: call graphs when `graph`). Run under
 * NODE_OPTIONS="--perf-basic-prof --interpreted-frames-native-stack" so JS frames have names, then
 * `perf report -i <out> --sort pid,sym`. Without perf it measures nothing and stop() resolves.
 */
export async function perfRecord(pids: number[], out: string, graph = false): Promise<() => Promise<void>> {
  const perf = spawn('perf', ['record', '-q', ...(graph ? ['-g'] : []), '-F', '1999', '-o', out, '-p', pids.join(',')], { stdio: 'ignore' });
  const exited = once(perf, 'exit').catch(() => undefined);
  perf.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 500)); // perf attaches
  return async () => {
    perf.kill('SIGINT');
    await exited;
  };
}
