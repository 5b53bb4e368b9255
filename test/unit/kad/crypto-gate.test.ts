// Where discovery's signature work runs (crypto-gate.ts): inline on an idle loop, on the thread
// pool when the loop is busy, and never more than the cap on the pool at once.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramCryptoPool, type KeyPair } from '../../../src/crypto/index.js';
import { CryptoGate, DEFAULT_MAX_IN_FLIGHT, KadNode, decodePacket, encodePacket, type CryptoGateOptions, type Datagram, type OffloadPool, type Transport } from '../../../src/kad/index.js';
import { kadKey } from './kad-helpers.js';

/** A pool that counts as booted: these tests are about where work goes, not about the worker's boot. */
const booted: OffloadPool = { ready: true, warm: () => {} };

/** A 'signed' transport in memory: the test hands datagrams to the node and reads what it sends. */
class MemoryTransport implements Transport {
  readonly host = '127.0.0.1';
  readonly port = 30500;
  readonly wire = 'signed' as const;
  readonly sent: { host: string; port: number; data: Uint8Array }[] = [];
  handler: ((data: Datagram, host: string, port: number) => void) | undefined;
  send(host: string, port: number, data: Datagram): void {
    if (data instanceof Uint8Array) this.sent.push({ host, port, data });
  }
  canReach(): boolean {
    return true;
  }
  onReceive(handler: (data: Datagram, host: string, port: number) => void): void {
    this.handler = handler;
  }
  async close(): Promise<void> {}
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A started discovery node on a MemoryTransport whose signature work goes through `gate` (stopped after the test). */
async function gatedNode(t: TestContext, name: string, gate: CryptoGate): Promise<{ node: KadNode; transport: MemoryTransport }> {
  const transport = new MemoryTransport();
  const node = new KadNode({ secretKey: kadKey(name).secretKey, transport, maintenance: false, autoJoin: false, cryptoGate: gate });
  await node.start();
  t.after(() => node.stop());
  return { node, transport };
}

/** A PING signed by `key`, valid for 20 s. */
const pingFrom = (key: KeyPair, requestId: number): Uint8Array =>
  encodePacket({ requestId: BigInt(requestId), expiry: Date.now() + 20_000, body: { type: 'ping' } }, key.secretKey, key.publicKey);

test('an idle loop signs and verifies inline (no thread-pool hop); a busy turn offloads', async () => {
  const gate = new CryptoGate({ busyTurn: 2, busyInFlight: 0, pool: booted });
  await turn();
  assert.equal(gate.run(() => 1, async () => 2), 1);
  assert.equal(gate.run(() => 1, async () => 2), 1);
  // A third job in the same loop turn: the loop is busy, the pool takes it.
  const third = gate.run(() => 1, async () => 2);
  assert.ok(third instanceof Promise);
  assert.equal(await third, 2);
  await turn();
  assert.equal(gate.stats.inFlight, 0);
  assert.equal(gate.run(() => 1, async () => 2), 1, 'a new, quiet turn works inline again');
});

test('sustained busy turns before the datagram worker has booted run inline and start the worker (no loop left idle waiting for its boot)', async (t) => {
  const pool = new DatagramCryptoPool({ workers: 1 });
  t.after(() => pool.close());
  const opts: CryptoGateOptions = { busyTurn: 0, busyInFlight: 0, pool, warmAfter: 20 };
  const gate = new CryptoGate(opts);
  const key = kadKey('gate-boot');
  const msg = new Uint8Array(100);
  const job = (): 'inline' | 'pool' | Promise<'inline' | 'pool'> => gate.run<'inline' | 'pool'>(() => 'inline', () => pool.verify(msg, new Uint8Array(64), key.publicKey).then(() => 'pool' as const));
  await turn();
  const burst = Array.from({ length: 20 }, job);
  assert.deepEqual(burst, Array(20).fill('inline'), 'nothing waited for a worker that was still booting');
  assert.equal(pool.stats.workers, 1, 'the pressure started the worker');
  for (let i = 0; i < 1000 && !pool.ready; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(pool.ready, true);
  const later = job();
  assert.ok(later instanceof Promise, 'once booted, a busy turn offloads');
  assert.equal(await later, 'pool');
});

test('a serving node answering a newcomer\'s burst of discovery does not boot the datagram worker; a flood does', async (t) => {
  // A newcomer bonding with a serving node (the four-peer sync bench) gave it 3-5 busy turns of
  // 10-20 jobs: the first one booted the worker (~140 ms of the serving process's CPU) mid-sync.
  const pool = new DatagramCryptoPool({ workers: 1 });
  t.after(() => pool.close());
  const gate = new CryptoGate({ pool });
  const { transport } = await gatedNode(t, 'gate-server', gate);
  const key = kadKey('gate-newcomer');
  let id = 0;
  const pings = (n: number, port: number): void => {
    for (let i = 0; i < n; i++) transport.handler!(pingFrom(key, ++id), '127.0.0.1', port + i);
  };
  // Five loop turns of 10 PINGs (a verify and a signed PONG each: 20 jobs a turn, past busyTurn).
  for (let b = 0; b < 5; b++) {
    await turn();
    pings(10, 42_000 + 10 * b);
  }
  assert.ok(gate.stats.busyTurns >= 5, `the turns were busy (${gate.stats.busyTurns})`);
  assert.equal(gate.stats.offloaded, 0);
  assert.equal(pool.stats.workers, 0, 'no worker started for a burst');
  // A flood (300 PINGs in one turn from as many sources) is what the worker is for.
  await turn();
  pings(300, 43_000);
  assert.equal(pool.stats.workers, 1, 'the flood started the worker');
});

test('the 512 in-flight verify cap holds: past it verification runs inline, nothing unbounded queues', async (t) => {
  const gate = new CryptoGate({ pool: booted });
  const { transport } = await gatedNode(t, 'gate-victim', gate);
  const senders = 600;
  const key = kadKey('gate-flooder');
  // 600 signed PINGs from 600 loopback ports (each its own budget), all in one loop turn: no pool
  // job can finish in between, so the pool holds exactly what the gate let through.
  const pings = Array.from({ length: senders }, (_, i) => pingFrom(key, i + 1));
  for (let i = 0; i < senders; i++) transport.handler!(pings[i]!, '127.0.0.1', 40_000 + i);
  const s = gate.stats;
  assert.equal(s.maxInFlight, DEFAULT_MAX_IN_FLIGHT);
  assert.equal(s.peakInFlight, DEFAULT_MAX_IN_FLIGHT, 'the pool filled up to the cap');
  assert.ok(s.inFlight <= DEFAULT_MAX_IN_FLIGHT);
  assert.ok(s.inline >= senders - DEFAULT_MAX_IN_FLIGHT, `past the cap the work ran inline (${s.inline} inline)`);
  // Every PING is answered once the pool drains (bounded wait on the event, not a sleep).
  const pongs = (): number => transport.sent.filter((d) => {
    const p = decodePacket(d.data, Date.now());
    return typeof p !== 'string' && p.body.type === 'pong';
  }).length;
  for (let i = 0; i < 2000 && (gate.stats.inFlight > 0 || pongs() < senders); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(pongs(), senders);
  assert.equal(gate.stats.inFlight, 0);
  assert.ok(gate.stats.peakInFlight <= DEFAULT_MAX_IN_FLIGHT, `never more than the cap on the pool (peak ${gate.stats.peakInFlight})`);
});

test('a busy turn of forged PINGs offloaded to the datagram worker is refused as bad-signature, the genuine ones answered', async (t) => {
  const gate = new CryptoGate({ busyTurn: 0, busyInFlight: 0, pool: booted });
  const { node, transport } = await gatedNode(t, 'gate-forgery-victim', gate);
  const key = kadKey('gate-forger');
  const n = 40;
  for (let i = 0; i < n; i++) {
    const ping = pingFrom(key, i + 1);
    if (i % 2 === 1) ping[ping.length - 1]! ^= 1; // every other signature damaged
    transport.handler!(ping, '127.0.0.1', 41_000 + i);
  }
  assert.equal(gate.stats.inline, 0, 'every verification went to the worker');
  const pongs = (): Set<bigint> => new Set(transport.sent.flatMap((d) => {
    const p = decodePacket(d.data, Date.now());
    return typeof p !== 'string' && p.body.type === 'pong' ? [p.requestId] : [];
  }));
  for (let i = 0; i < 2000 && (gate.stats.inFlight > 0 || pongs().size < n / 2); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(gate.stats.inFlight, 0);
  assert.equal(node.stats.dropped['bad-signature'], n / 2);
  assert.deepEqual([...pongs()].sort((a, b) => Number(a - b)), Array.from({ length: n / 2 }, (_, i) => BigInt(2 * i + 1)), 'exactly the genuine PINGs were answered');
});
