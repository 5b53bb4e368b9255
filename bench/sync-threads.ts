// Per-thread CPU of a process from Linux /proc, for the sync diagnostics (sync-profile.ts,
// sync-four-trace.ts): which thread of a syncing or serving process used the CPU, and which threads
// started while the sync ran (a worker spawned mid-sync pays its module loading then).
import { readFileSync, readdirSync } from 'node:fs';

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
