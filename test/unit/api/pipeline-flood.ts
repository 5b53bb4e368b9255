// The pipelining attack of issue 18, shared by its test and `npm run bench api`: connections that
// each pipeline many GETs for the largest answers (the fullest block, the mempool, a page of
// blocks) and never read a byte, against an API server in a child process (flood-child.ts). Samples
// the server's RSS and times /api/status from a well-behaved client meanwhile.
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';

const CHILD = fileURLToPath(new URL('./flood-child.js', import.meta.url));
const MiB = 1024 * 1024;

export interface TargetOptions {
  /** Size limit of blocks, and so of the fullest block the attack asks for. */
  blockBytes: number;
  /** Mempool: senders x transactions each. */
  senders: number;
  perSender: number;
}

export interface AttackOptions {
  connections: number;
  requestsPerConnection: number;
  /** How long the attack is held open while RSS is sampled. */
  holdMs: number;
}

export interface AttackResult {
  /** Server RSS before the attack (MiB). */
  rssBeforeMiB: number;
  /** Highest server RSS sampled during the attack (MiB). */
  rssPeakMiB: number;
  /** Slowest /api/status answer during the attack (ms); -1 if one failed or took over 10 s. */
  statusMaxMs: number;
  statusAnswers: number;
}

export interface FloodTarget {
  port: number;
  fullTxs: number;
  mempool: number;
  attack(opts: AttackOptions): Promise<AttackResult>;
  stop(): Promise<void>;
}

interface ChildHello { port: number; fullHeight: number; fullTxs: number; mempool: number }

function nextMessage<T>(child: ChildProcess, pick: (m: unknown) => T | undefined, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`flood child: no answer within ${ms} ms`)), ms);
    const onMsg = (m: unknown): void => {
      const v = pick(m);
      if (v !== undefined) done(undefined, v);
    };
    const onExit = (code: number | null): void => done(new Error(`flood child exited (${code})`));
    function done(err?: Error, v?: T): void {
      clearTimeout(t);
      child.off('message', onMsg);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(v as T);
    }
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** The child's RSS from /proc (works while its event loop is busy); IPC where /proc is missing. */
async function rssOf(child: ChildProcess): Promise<number> {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  const p = nextMessage(child, (m) => (m && typeof m === 'object' && 'rss' in m && !('port' in m) ? (m as { rss: number }).rss : undefined), 60_000);
  child.send({ rss: true });
  return p;
}

export async function startFloodTarget(opts: TargetOptions): Promise<FloodTarget> {
  const child = fork(CHILD, [String(opts.blockBytes), String(opts.senders), String(opts.perSender)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  let hello: ChildHello;
  try {
    hello = await nextMessage(child, (m) => (m && typeof m === 'object' && 'port' in m ? (m as ChildHello) : undefined), 180_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const base = `http://127.0.0.1:${hello.port}`;
  // Warm the measuring client (fetch loads and compiles undici on first use) so that its start-up
  // is not counted as the server's latency.
  await (await fetch(base + '/api/status', { signal: AbortSignal.timeout(30_000) })).arrayBuffer();
  const paths = [`/api/blocks/${hello.fullHeight}`, '/api/mempool', '/api/blocks?limit=100'];

  async function attack(a: AttackOptions): Promise<AttackResult> {
    const sockets: Socket[] = [];
    try {
      const rssBefore = await rssOf(child);
      for (let c = 0; c < a.connections; c++) {
        const s = connect(hello.port, '127.0.0.1');
        s.on('error', () => {});
        s.pause(); // never read a byte
        let text = '';
        for (let i = 0; i < a.requestsPerConnection; i++) text += `GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: 127.0.0.1:${hello.port}\r\n\r\n`;
        s.write(text);
        sockets.push(s);
      }
      let peak = rssBefore;
      let statusMax = 0;
      let answers = 0;
      const end = performance.now() + a.holdMs;
      const sampler = (async () => {
        while (performance.now() < end) {
          peak = Math.max(peak, await rssOf(child));
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const r = await fetch(base + '/api/status', { signal: AbortSignal.timeout(10_000) });
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          if (statusMax >= 0) statusMax = Math.max(statusMax, performance.now() - t0);
          answers++;
        } catch {
          statusMax = -1;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await sampler;
      return { rssBeforeMiB: Math.round(rssBefore / MiB), rssPeakMiB: Math.round(peak / MiB), statusMaxMs: statusMax < 0 ? -1 : Math.round(statusMax), statusAnswers: answers };
    } finally {
      for (const s of sockets) s.destroy();
    }
  }

  return { port: hello.port, fullTxs: hello.fullTxs, mempool: hello.mempool, attack, stop };
}
