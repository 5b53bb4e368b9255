// The bench's side of bench/node-child.ts: starts a kadchain node as a child process (fork, IPC),
// waits for its reports with timeouts, and stops it (SIGKILL after a bound) so no bench leaves a
// node behind.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildConfig, ChildReport } from './node-child.js';
import { processCpuMs } from './sync-threads.js';

const CHILD = fileURLToPath(new URL('./node-child.js', import.meta.url));

export class ChildNode {
  port = 0;
  nodeId = '';
  private readonly listeners = new Set<(r: ChildReport) => void>();
  private stderr = '';

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  /** CPU ms (user + system) the child has used so far, from /proc (undefined off Linux). */
  cpuMs(): number | undefined {
    return this.proc.pid === undefined ? undefined : processCpuMs(this.proc.pid);
  }

  /**
   * Context switches (voluntary and not) so far per thread of the child, the main thread keyed
   * `main` (Linux /proc; empty elsewhere). On a loaded machine a node's CPU follows its wakes.
   */
  switches(): Map<string, number> {
    const out = new Map<string, number>();
    try {
      for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
        const st = readFileSync(`/proc/${this.pid}/task/${tid}/status`, 'utf8');
        const n = Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(st)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(st)?.[1] ?? 0);
        out.set(tid === String(this.pid) ? 'main' : `${/^Name:\s*(.*)$/m.exec(st)?.[1] ?? ''}#${tid}`, n);
      }
    } catch {
      // not Linux, or the child is gone
    }
    return out;
  }

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (r: ChildReport) => {
      for (const l of [...this.listeners]) l(r);
    });
    // Keep only the tail: enough to explain a failure, bounded however chatty the child is.
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
  }

  /** Forks a node; resolves once it listens (its port and node id known). */
  static async start(config: ChildConfig, timeoutMs = 60_000): Promise<ChildNode> {
    // execArgv: [] so a profiler flag on the bench (--cpu-prof) profiles the bench process only;
    // BENCH_CHILD_PROF=<dir> profiles every child node instead.
    const proc = fork(CHILD, [JSON.stringify(config)], { execArgv: process.env.BENCH_CHILD_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CHILD_PROF}`] : [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const c = new ChildNode(proc);
    try {
      const ready = await c.next((r): r is Extract<ChildReport, { type: 'ready' }> => r.type === 'ready', timeoutMs, 'ready');
      c.port = ready.port;
      c.nodeId = ready.nodeId;
      return c;
    } catch (e) {
      c.kill();
      throw e;
    }
  }

  on(l: (r: ChildReport) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The next report matching `match`; a child error or exit or the timeout rejects. */
  next<T extends ChildReport>(match: (r: ChildReport) => r is T, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        this.proc.off('exit', onExit);
      };
      const timer = setTimeout(() => (done(), reject(new Error(`child node: timed out after ${timeoutMs} ms waiting for ${what}\n${this.stderr}`))), timeoutMs);
      const onExit = (code: number | null): void => (done(), reject(new Error(`child node exited (${code}) waiting for ${what}\n${this.stderr}`)));
      const off = this.on((r) => {
        if (match(r)) return done(), resolve(r);
        if (r.type === 'error') return done(), reject(new Error(`child node: ${r.message}`));
      });
      this.proc.once('exit', onExit);
    });
  }

  /** Sends a command and waits for the report it answers with. */
  request<T extends ChildReport>(cmd: ChildCommand, match: (r: ChildReport) => r is T, timeoutMs = 30_000): Promise<T> {
    const p = this.next(match, timeoutMs, cmd.cmd);
    this.proc.send(cmd);
    return p;
  }

  stats(): Promise<Extract<ChildReport, { type: 'stats' }>> {
    return this.request({ cmd: 'stats' }, (r): r is Extract<ChildReport, { type: 'stats' }> => r.type === 'stats');
  }

  /** Graceful stop (the node closes its store), SIGKILL if it takes longer than `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    if (this.proc.connected) this.proc.send({ cmd: 'stop' } satisfies ChildCommand);
    const timer = setTimeout(() => this.kill(), ms);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** Stops every child (all of them, in parallel, even if one fails). */
export async function stopChildren(children: ChildNode[]): Promise<void> {
  await Promise.allSettled(children.map((c) => c.stop()));
}
