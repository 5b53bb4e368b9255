// The peer manager: the candidate pool's pick order (id diversity), exponential backoff and
// eviction as pure state; then with real networks: dialling up to maxOutbound, replacing a dead
// peer, reconnecting after a restart, preferring a new id group, never dialling banned nodes,
// and pulling a candidate stream lazily.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, nodeIdFromPublicKey, toHex, type KeyPair } from '../../../src/crypto/index.js';
import { CandidatePool, type Candidate, type P2PNetwork } from '../../../src/p2p/index.js';
import { nextEvent, startNet, stopAll, waitUntil } from './helpers.js';

const hexId = (first: string, n = 0): string => first + n.toString(16).padStart(63, '0');
const all = (): boolean => true;

test('pool: picks ids from groups we are not connected to first', () => {
  const pool = new CandidatePool(100, { baseMs: 1000, maxMs: 8000 }, () => 0.5);
  for (const [i, [g, n]] of ([['a', 1], ['b', 1], ['c', 1], ['b', 2]] as const).entries()) pool.add({ id: hexId(g, n), host: '10.0.0.1', port: 1000 + i });
  pool.add({ host: '10.0.0.9', port: 9 }); // id unknown until the handshake
  const picked = pool.pick(5, 0, all, [hexId('a', 7), hexId('a', 8)]).map((c) => c.id?.[0] ?? '?');
  // b and c are new groups; then the unknown id; then the second b; a (taken twice) last.
  assert.deepEqual(picked, ['b', 'c', '?', 'b', 'a']);
  assert.deepEqual(pool.pick(2, 0, (c) => c.port !== 9, []).length, 2, 'the filter is applied');
});

test('a flood of candidates from one /24 cannot crowd honest candidates out of the pool', () => {
  const pool = new CandidatePool(100, { baseMs: 1000, maxMs: 8000 }, () => 0.5, 16);
  // Twenty honest nodes, each in its own public /24.
  const honest = Array.from({ length: 20 }, (_, i) => ({ host: `5.${i + 1}.1.1`, port: 30420 }));
  for (const c of honest) pool.add(c);
  // One network announces 5,000 addresses (every host and port of 9.9.9.0/24 it likes).
  for (let i = 0; i < 5_000; i++) pool.add({ host: `9.9.9.${i % 256}`, port: 1024 + i });
  for (const c of honest) assert.ok(pool.has(`${c.host}:${c.port}`), `${c.host} is still a candidate`);
  assert.equal(pool.size, 20 + 16, 'the flooding /24 holds its share, no more');
  // Loopback and private addresses are exempt (a local devnet lives on one address).
  for (let i = 0; i < 50; i++) pool.add({ host: '127.0.0.1', port: 2000 + i });
  assert.equal(pool.size, 20 + 16 + 50);
});

test('pool: exponential backoff with a cap; permanent failures never come back; bounded size', () => {
  const pool = new CandidatePool(3, { baseMs: 1000, maxMs: 8000 }, () => 0.5); // 0.5: no jitter
  const c: Candidate = { host: '10.0.0.1', port: 1 };
  const addr = '10.0.0.1:1';
  pool.add(c);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    pool.onFailure(addr, 0);
    delays.push(pool.nextTry(addr)!);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
  assert.equal(pool.pick(1, 7999, all, []).length, 0, 'not before its time');
  assert.equal(pool.pick(1, 8000, all, []).length, 1);
  pool.onConnected(addr, hexId('d'));
  pool.onDisconnected(addr, 10_000, 5_000); // short-lived: counts as a failure
  assert.equal(pool.nextTry(addr), 11_000);
  pool.onFailure(addr, 0, true);
  assert.equal(pool.nextTry(addr), Infinity);
  assert.equal(pool.pick(1, 1e15, all, []).length, 0);
  // Full pool: the dead entry goes first.
  pool.add({ host: '10.0.0.2', port: 2 });
  pool.add({ host: '10.0.0.3', port: 3 });
  pool.add({ host: '10.0.0.4', port: 4 });
  assert.equal(pool.size, 3);
  assert.equal(pool.has(addr), false);
  assert.equal(pool.add({ host: '10.0.0.5', port: 0 }), false, 'port 0 is not dialable');
  assert.equal(pool.add({ host: '10.0.0.5', port: 70_000 }), false);
});

/** Keys whose node ids start with the given hex digit (a few dozen tries at most). */
function keyInGroup(g: string, not?: string): KeyPair {
  for (;;) {
    const k = generateKeyPair();
    const first = toHex(nodeIdFromPublicKey(k.publicKey))[0]!;
    if (not ? first !== not : first === g) return k;
  }
}

const fast = { dialIntervalMs: 30, backoffBaseMs: 30, backoffMaxMs: 200 };
const candidateOf = (n: P2PNetwork): Candidate => ({ id: n.nodeId, host: '127.0.0.1', port: n.port });

test('manager: dials up to maxOutbound and replaces a dead peer', async () => {
  const targets = await Promise.all([0, 1, 2, 3].map(() => startNet()));
  const a = await startNet({ limits: { ...fast, maxOutbound: 2 } });
  try {
    for (const t of targets) a.addCandidate(candidateOf(t));
    await waitUntil('2 outbound', () => a.outboundCount === 2);
    assert.equal(a.stats().outbound, 2, 'no dial beyond the target');
    const victim = targets.find((t) => a.peer(t.nodeId))!;
    const lost = nextEvent(a, 'peer:disconnected');
    await victim.stop();
    await lost;
    await waitUntil('replaced', () => a.outboundCount === 2 && !a.peer(victim.nodeId));
    assert.equal(a.stats().outbound, 2);
  } finally {
    await stopAll(a, ...targets);
  }
});

test('manager: reconnects with backoff when a peer comes back on its address', async () => {
  const key = generateKeyPair();
  let t = await startNet({ key });
  const port = t.port;
  const a = await startNet({ limits: fast });
  try {
    a.addCandidate(candidateOf(t));
    await waitUntil('connected', () => a.peers().length === 1);
    const lost = nextEvent(a, 'peer:disconnected');
    await t.stop();
    await lost;
    t = await startNet({ key, port });
    await waitUntil('reconnected', () => a.peer(t.nodeId) !== undefined, 5_000);
  } finally {
    await stopAll(a, t);
  }
});

test('manager: prefers a node id from a group it is not connected to', async () => {
  const k1 = keyInGroup('0');
  const first = toHex(nodeIdFromPublicKey(k1.publicKey))[0]!;
  const t1 = await startNet({ key: k1 });
  const same = await startNet({ key: keyInGroup(first) });
  const other = await startNet({ key: keyInGroup('', first) });
  const a = await startNet({ limits: { ...fast, maxOutbound: 2 } });
  try {
    a.addCandidate(candidateOf(t1));
    await waitUntil('first peer', () => a.outboundCount === 1);
    // Both offered in the same round, one slot left: the new group wins.
    a.addCandidate(candidateOf(same));
    a.addCandidate(candidateOf(other));
    await waitUntil('second peer', () => a.outboundCount === 2);
    assert.ok(a.peer(other.nodeId), 'the diverse id was chosen');
    assert.equal(a.peer(same.nodeId), undefined);
  } finally {
    await stopAll(a, t1, same, other);
  }
});

test('manager: never dials a banned node', async () => {
  const bad = await startNet();
  const good = await startNet();
  const a = await startNet({ limits: fast });
  try {
    const p = await a.dial('127.0.0.1', bad.port);
    const gone = nextEvent(a, 'peer:disconnected');
    a.misbehave(p, 100, 'invalid-block');
    await gone;
    let attempts = 0;
    bad.on('peer:refused', () => attempts++);
    bad.on('peer:connected', () => attempts++);
    a.addCandidate(candidateOf(bad));
    a.addCandidate(candidateOf(good));
    await waitUntil('good connected', () => a.peer(good.nodeId) !== undefined);
    // The good one was picked in a dial round that would have picked the bad one too (8 slots);
    // let a few more rounds pass for good measure.
    const rounds = Date.now();
    await waitUntil('5 dial rounds', () => Date.now() - rounds > 5 * fast.dialIntervalMs);
    assert.equal(attempts, 0, 'the banned node was never dialled');
    assert.equal(bad.stats().connections, 0);
  } finally {
    await stopAll(a, bad, good);
  }
});

test('manager: a candidate stream is pulled lazily and closed on stop', async () => {
  const targets = await Promise.all([0, 1, 2, 3, 4].map(() => startNet()));
  const a = await startNet({ limits: { ...fast, maxOutbound: 2 } });
  let pulled = 0;
  let closed = false;
  async function* discovery(): AsyncGenerator<Candidate> {
    try {
      for (const t of targets) {
        pulled++;
        yield candidateOf(t);
      }
      await new Promise(() => {}); // a real lookup stream never ends
    } finally {
      closed = true;
    }
  }
  try {
    a.addCandidateSource(discovery());
    await waitUntil('2 outbound', () => a.outboundCount === 2);
    assert.ok(pulled <= 3, `pulled ${pulled}: only as many as free slots need`);
    await a.stop();
    await waitUntil('source closed', () => closed || pulled === targets.length);
  } finally {
    await stopAll(a, ...targets);
  }
});
