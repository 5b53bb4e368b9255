// The global inbound handshake budget (handshake-budget.ts): a flood of connections from many source
// addresses, each under its own connect rate, must still buy the node a bounded number of handshakes
// (a verification and a signature each) per second, while an honest peer that retries gets in and
// outbound dials and established peers carry on. Real sockets from 64 loopback addresses
// (127.0.0.2-65: every 127/8 address is loopback on Linux), and the bucket under an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, type KeyPair } from '../../../src/crypto/index.js';
import { HandshakeBudget, P2PError, type P2PNetwork, type Peer } from '../../../src/p2p/index.js';
import { RawPeer, nextEvent, startNet, stopAll } from './helpers.js';

const ATTACKERS = 64;
const MAX_ATTEMPTS_PER_ATTACKER = 60;

/** One attacker address reconnecting in a loop; each attempt it answers properly, so the node proves its key (helloAck) unless it refused first. */
async function attackLoop(port: number, localAddress: string, key: KeyPair, stop: () => boolean, tally: { proofs: number; attempts: number }): Promise<void> {
  for (let i = 0; i < MAX_ATTEMPTS_PER_ATTACKER && !stop(); i++) {
    tally.attempts++;
    let raw: RawPeer;
    try {
      raw = await RawPeer.connect(port, { key, localAddress });
    } catch {
      continue;
    }
    try {
      if (await provedOrClosed(raw)) tally.proofs++;
    } finally {
      await raw.close();
    }
  }
}

/** True once the node sent its helloAck on `raw`, false when it closed first (or after 10 s); no timer outlives it. */
function provedOrClosed(raw: RawPeer): Promise<boolean> {
  const proved = (): boolean => raw.messages.some((m) => m.kind === 'helloAck');
  if (proved() || !raw.isOpen) return Promise.resolve(proved());
  return new Promise<boolean>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      raw.ws.off('message', onMessage);
      raw.ws.off('close', finish);
      resolve(proved());
    };
    // RawPeer's own listener ran first, so the message is already in raw.messages.
    const onMessage = (): void => void (proved() && finish());
    const timer = setTimeout(finish, 10_000);
    raw.ws.on('message', onMessage);
    raw.ws.on('close', finish);
  });
}

/** Dials until the handshake completes, pausing after each 'busy' refusal; bounded by `ms`. */
async function dialWithRetry(from: P2PNetwork, port: number, ms: number): Promise<{ peer: Peer; busy: number }> {
  const deadline = Date.now() + ms;
  let busy = 0;
  for (;;) {
    try {
      return { peer: await from.dial('127.0.0.1', port), busy };
    } catch (e) {
      if (!(e instanceof P2PError) || e.reason !== 'busy' || Date.now() > deadline) throw e;
      busy++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('handshake flood from many addresses', async (t) => {
  const rate = 8;
  const burst = 8;
  const target = await startNet({ limits: { inboundHandshakesPerSecond: rate, inboundHandshakeBurst: burst, handshakeHostIntervalMs: 60_000 } });
  const outboundPeer = await startNet();
  const honest = await startNet();
  t.after(() => stopAll(target, outboundPeer, honest));

  // A peer connected before the flood, from its own address.
  const atTarget = nextEvent(target, 'peer:connected');
  const old = await RawPeer.ready(target.port, { localAddress: '127.0.0.100' });
  t.after(() => old.close());
  const [oldAtTarget] = await atTarget;

  const keys = Array.from({ length: ATTACKERS }, () => generateKeyPair());
  const tally = { proofs: 0, attempts: 0 };
  let stopped = false;
  const started = Date.now();
  const flood = keys.map((k, i) => attackLoop(target.port, `127.0.0.${i + 2}`, k, () => stopped, tally));
  try {
    // Under the flood: an honest peer retrying gets in, and the node's own dials are untouched.
    const [honestIn, outbound] = await Promise.all([
      dialWithRetry(honest, target.port, 30_000),
      target.dial('127.0.0.1', outboundPeer.port),
      // Let the flood run for a while whatever the above took.
      new Promise((r) => setTimeout(r, 2_000)),
    ]);
    assert.equal(honestIn.peer.ready, true, 'the honest peer got in while the flood ran');
    assert.equal(outbound.ready, true, 'an outbound dial is not charged to the inbound budget');
  } finally {
    stopped = true;
    await Promise.all(flood);
  }
  const seconds = (Date.now() - started) / 1000;

  // Every handshake the node did for the flood took a token: at most the bucket plus its refill.
  const bound = burst + rate * seconds;
  t.diagnostic(`flood: ${tally.attempts} attempts, ${tally.proofs} handshakes served in ${seconds.toFixed(1)} s (budget ${bound.toFixed(1)}), ${target.stats().handshakesThrottled} refused busy`);
  assert.ok(tally.attempts > 4 * bound, `the flood was a flood: ${tally.attempts} attempts against a budget of ${bound.toFixed(1)}`);
  assert.ok(tally.proofs <= bound, `handshake crypto for the flood: ${tally.proofs} in ${seconds.toFixed(1)} s, budget ${bound.toFixed(1)}`);
  assert.ok(target.stats().handshakesThrottled > 0, 'the excess is counted');

  // The established peer is still there and still talks.
  assert.equal(oldAtTarget.dropped, false);
  assert.equal(target.peers().includes(oldAtTarget), true);
  assert.equal(await old.roundtrip(), true, 'and still answers');
});

test('handshake budget: refused past the bucket, refilled with time, and a host served lately waits while under pressure', () => {
  let now = 0;
  const b = new HandshakeBudget({ perSecond: 2, burst: 4, hostIntervalMs: 10_000, maxHosts: 100 }, () => now);
  assert.equal(b.admits('a'), true, 'looking spends nothing');
  assert.equal(b.admits('a'), true);
  assert.equal(b.take('a'), true);
  assert.equal(b.take('a'), true, 'above half: a host served lately is not held back');
  assert.equal(b.take('a'), true, 'at half still');
  assert.equal(b.take('a'), false, 'below half: a host served lately waits');
  assert.equal(b.take('b'), true, 'a host not served lately is served');
  assert.equal(b.take('c'), false, 'bucket empty: everyone waits');
  assert.equal(b.admits('c'), false, 'and is turned away at the upgrade');
  now += 500;
  assert.equal(b.take('c'), true, 'one token back after 1 / perSecond');
  now += 20_000;
  assert.equal(b.take('a'), true, 'refilled: all served');
  assert.equal(b.refusedCount, 3);
});

test('handshake budget: the map of hosts is capped and forgets grants older than the interval', () => {
  let now = 0;
  const b = new HandshakeBudget({ perSecond: 1_000_000, burst: 1_000_000, hostIntervalMs: 1_000, maxHosts: 8 }, () => now);
  for (let i = 0; i < 1_000; i++) b.take(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(b.hostCount, 8, 'at most maxHosts remembered');
  now += 2_000;
  b.take('x');
  assert.equal(b.hostCount, 1, 'grants older than the interval carry nothing');
});
