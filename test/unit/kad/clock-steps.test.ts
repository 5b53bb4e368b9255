// Wall-clock steps seen by discovery, over real UDP on 127.0.0.1. Packet expiry and stored records
// are wall time (they travel between machines); round trips, retry timers and the late-answer
// window are durations and must not see a step of `Date.now()`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode } from '../../../src/kad/index.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';
import { ScriptedPeer, kadKey, until } from './kad-helpers.js';

const quick = { host: '127.0.0.1', port: 0, maintenance: false, autoJoin: false, responseTimeoutMs: 300 } as const;

/** The adaptive request timeout (internal: no public face shows it). */
function requestTimeoutMs(n: KadNode): number {
  return (n as unknown as { rpc: { timeoutMs: number } }).rpc.timeoutMs;
}

test('wall clock steps forward an hour: a round trip measured across the step does not stretch discovery timeouts', { timeout: 60_000 }, async (t) => {
  const a = new KadNode({ ...quick, secretKey: kadKey('step-a').secretKey });
  const b = await ScriptedPeer.bind(kadKey('step-b'));
  t.after(async () => {
    b.close();
    await a.stop();
  });
  await a.start();
  let step = false;
  // The peer answers PINGs; the second one is answered after the wall clock stepped: the PING left
  // before the step and its PONG is read after it, so on the wall clock it took an hour.
  b.onPacket = (p, host, port) => {
    if (p.body.type !== 'ping') return;
    if (step) stepWallClock(t, HOUR_MS);
    b.send(port, { type: 'pong', verified: true }, p.requestId, b.key, host);
  };
  assert.ok(await a.ping('127.0.0.1', b.port), 'answered');
  assert.ok(requestTimeoutMs(a) <= 300);
  step = true;
  assert.ok(await a.ping('127.0.0.1', b.port), 'answered across the step');
  assert.ok(requestTimeoutMs(a) <= 300, `request timeout ${requestTimeoutMs(a)} ms`);
});

test('wall clock steps back an hour: table entries are still revalidated', { timeout: 60_000 }, async (t) => {
  const a = new KadNode({ ...quick, maintenance: true, revalidateNewMs: 50, revalidateSettledMs: 150, secretKey: kadKey('reval-a').secretKey });
  const b = await ScriptedPeer.bind(kadKey('reval-b'));
  t.after(async () => {
    b.close();
    await a.stop();
  });
  let pings = 0;
  b.onPacket = (p, host, port) => {
    if (p.body.type !== 'ping') return;
    pings++;
    b.send(port, { type: 'pong', verified: true }, p.requestId, b.key, host);
  };
  await a.start();
  assert.ok(await a.ping('127.0.0.1', b.port), 'bonded');
  assert.equal(a.table.size, 1);
  stepWallClock(t, -HOUR_MS);
  const before = pings;
  // Due every 150 ms of real time; frozen by the step, the next check would be an hour away.
  await until('revalidation PINGs after the step', () => pings >= before + 3, 15_000);
  assert.equal(a.table.size, 1);
});
