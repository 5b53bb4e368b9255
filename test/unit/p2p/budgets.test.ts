// Connection budgets against slot hogging (issue 15 item 3): silent TCP sockets before the
// WebSocket upgrade and silent WebSockets after it, reopened as they are closed, must not keep an
// honest peer out, and 2,000 silent sockets must not cost the server more than a stated RSS bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket } from 'ws';
import { HalfOpenBudget, SILENT_SOCKETS_RSS_BOUND, type P2PNetwork } from '../../../src/p2p/index.js';
import { spawnTracked } from '../../helpers/cleanup.js';
import { RawPeer, startNet, waitUntil, within } from './helpers.js';

/** Keeps `target` connections open, opening a new one whenever one closes, up to `maxOpens` in all. */
class Hogger {
  private readonly live = new Set<{ close(): void }>();
  opens = 0;
  closedByServer = 0;
  private stopped = false;

  constructor(private readonly open: (onClose: () => void) => { close(): void }, private readonly target: number, private readonly maxOpens: number) {}

  start(): void {
    for (let i = 0; i < this.target; i++) this.openOne();
  }

  get liveCount(): number {
    return this.live.size;
  }

  private openOne(): void {
    if (this.stopped || this.opens >= this.maxOpens) return;
    this.opens++;
    let closed = false;
    const c = this.open(() => {
      if (closed) return;
      closed = true;
      this.live.delete(c);
      if (this.stopped) return;
      this.closedByServer++;
      // Reopen on the next turn, as an attacker holding slots would.
      setImmediate(() => this.openOne());
    });
    this.live.add(c);
  }

  stop(): void {
    this.stopped = true;
    for (const c of [...this.live]) c.close();
    this.live.clear();
  }
}

function silentTcp(port: number): (onClose: () => void) => { close(): void } {
  return (onClose) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    s.once('close', onClose);
    return { close: () => s.destroy() };
  };
}

function silentWebSocket(port: number): (onClose: () => void) => { close(): void } {
  return (onClose) => {
    // Upgrades, then never answers the hello.
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.on('error', () => {});
    ws.once('close', onClose);
    return { close: () => ws.terminate() };
  };
}

test('half-open budget: over a source\'s cap its oldest goes, over the total the oldest overall; a step forward makes a connection the youngest', () => {
  const evicted: string[] = [];
  const b = new HalfOpenBudget<string>(3, 2);
  const admit = (k: string, source: string): void => b.admit(k, source, () => evicted.push(k));
  admit('a1', 'A');
  admit('a2', 'A');
  admit('a3', 'A');
  assert.deepEqual(evicted, ['a1'], 'source A over its cap of 2: its oldest');
  admit('b1', 'B');
  b.advance('a2'); // a2 upgraded: now the youngest
  admit('c1', 'C');
  assert.deepEqual(evicted, ['a1', 'a3'], 'total over 3: the one that stepped forward least recently');
  b.release('b1');
  admit('d1', 'D');
  assert.equal(b.size, 3);
  assert.deepEqual(evicted, ['a1', 'a3'], 'a released slot is reused without eviction');
  b.clear();
  assert.equal(b.size, 0);
  assert.deepEqual(evicted.slice(2), ['a2', 'c1', 'd1'], 'shutdown closes the rest');
});

test('slot hogging before the upgrade: silent TCP sockets are held per source only up to the half-open cap and dropped within seconds; an honest peer still connects', async (t) => {
  const net = await startNet({ limits: { maxHalfOpen: 16, maxHalfOpenPerSource: 8, upgradeTimeoutMs: 1_000 } });
  const hog = new Hogger(silentTcp(net.port), 64, 2_000);
  t.after(async () => {
    hog.stop();
    await net.stop();
  });
  hog.start();
  // Over the per-source cap the oldest are closed at once: the attacker never holds more than 8.
  await waitUntil('the server closed the surplus sockets', () => hog.closedByServer >= 56, 10_000);
  assert.ok(net.stats().halfOpen <= 8, `half-open held: ${net.stats().halfOpen}`);
  const honest = await RawPeer.ready(net.port);
  assert.equal(await honest.roundtrip(), true, 'the honest peer is connected while the attack goes on');
  assert.equal(net.peers().length, 1);
  await honest.close();
  // Sockets that stay silent are closed by the upgrade deadline, not by the 30 s sweep.
  hog.stop();
  const stillOpen = new Set<Socket>();
  for (let i = 0; i < 8; i++) {
    const s = connect({ host: '127.0.0.1', port: net.port });
    s.on('error', () => {});
    stillOpen.add(s);
    s.once('close', () => stillOpen.delete(s));
  }
  t.after(() => {
    for (const s of stillOpen) s.destroy();
  });
  await waitUntil('silent sockets closed by the upgrade deadline', () => stillOpen.size === 0, 10_000);
});

test('slot hogging after the upgrade: WebSockets that never send hello, reopened as they time out, do not keep an honest peer out', async (t) => {
  // The attacker holds more silent WebSockets than there are inbound slots (32).
  const net = await startNet({ limits: { handshakeTimeoutMs: 1_000 } });
  const hog = new Hogger(silentWebSocket(net.port), 40, 1_000);
  t.after(async () => {
    hog.stop();
    await net.stop();
  });
  hog.start();
  await waitUntil('the attack is under way', () => hog.opens >= 40 && hog.closedByServer >= 1, 10_000);
  // The honest peer must complete its handshake within 5 s (a generous bound; no timing asserted inside it).
  const honest = await within<RawPeer>('honest peer connected', 5_000, (resolve, reject) => {
    RawPeer.ready(net.port).then(resolve, reject);
  });
  assert.equal(await honest.roundtrip(), true);
  assert.equal(net.peers().length, 1, 'the honest peer holds an established slot');
  assert.ok(net.stats().halfOpen <= net.limits.maxHalfOpen, `half-open within its budget: ${net.stats().halfOpen}`);
  await honest.close();
});

test(`silent sockets: ${SILENT_SOCKETS_RSS_BOUND.sockets} silent TCP sockets grow the server's RSS by less than ${SILENT_SOCKETS_RSS_BOUND.bytes / 2 ** 20} MiB and leave under ${SILENT_SOCKETS_RSS_BOUND.heldBytes / 2 ** 20} MiB of heap held`, async (t) => {
  const net: P2PNetwork = await startNet();
  t.after(() => net.stop());
  // Warm the accept path so one-off allocations are not counted as growth.
  const warm = await RawPeer.ready(net.port);
  await warm.close();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const before = process.memoryUsage().rss;
  let peak = before;
  let halfOpenPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    halfOpenPeak = Math.max(halfOpenPeak, net.stats().halfOpen);
  }, 10);
  t.after(() => clearInterval(sampler));
  const script = fileURLToPath(new URL('./silent-sockets-child.js', import.meta.url));
  const child = spawnTracked(script, [String(net.port), String(SILENT_SOCKETS_RSS_BOUND.sockets)], { t });
  const line = await within<string>('attacker done', 60_000, (resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`attacker exited ${code}`)));
  });
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  const report = JSON.parse(line) as { opened: number; closedByServer: number };
  assert.ok(report.opened + report.closedByServer >= SILENT_SOCKETS_RSS_BOUND.sockets, `all ${SILENT_SOCKETS_RSS_BOUND.sockets} attempted: ${line}`);
  assert.ok(halfOpenPeak <= net.limits.maxHalfOpen, `half-open peak ${halfOpenPeak}`);
  const growth = peak - before;
  // What the attacker still holds once its sockets are all open: only the half-open budget's few.
  gc();
  const held = process.memoryUsage().heapUsed - heapBefore;
  t.diagnostic(`rss growth ${(growth / 2 ** 20).toFixed(1)} MiB, heap held ${(held / 2 ** 20).toFixed(2)} MiB for ${SILENT_SOCKETS_RSS_BOUND.sockets} silent sockets (half-open peak ${halfOpenPeak})`);
  assert.ok(growth < SILENT_SOCKETS_RSS_BOUND.bytes, `rss grew by ${growth} bytes`);
  assert.ok(held < SILENT_SOCKETS_RSS_BOUND.heldBytes, `heap held ${held} bytes`);
});
