// Ban what was observed (issue 15 item 2): prefix bans for public addresses (pure functions, public
// addresses fed in directly, no real public traffic), misbehaviour charged to the address as well
// as the identity, scores that decay, and the inbound eviction policy (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log/index.js';
import { BanList, isPublicAddress, netGroup } from '../../../src/p2p/bans.js';
import { inboundSlotFor, selectPeerToEvict, type EvictionCandidate } from '../../../src/p2p/eviction.js';
import { decayedScore } from '../../../src/p2p/peer.js';
import { banKeysFor, isHostBanned } from '../../../src/p2p/scoring.js';
import { CLOSE_CODES } from '../../../src/p2p/index.js';
import { RawPeer, connectPair, flush, nextEvent, startNet, stopAll, waitUntil } from './helpers.js';

test('prefix bans: a public IPv4 address is banned with its /24, an IPv6 one with its /64; loopback and private ranges by id only', () => {
  assert.equal(netGroup('8.8.4.4'), '8.8.4.0/24');
  assert.equal(netGroup('::ffff:8.8.4.4'), '8.8.4.0/24', 'IPv4-mapped IPv6 is the IPv4 address');
  assert.equal(netGroup('2a01:4f8:10:20::1'), '2a01:4f8:10:20::/64');
  assert.equal(netGroup('2a01:04f8:0010:0020:ffff:1:2:3'), '2a01:4f8:10:20::/64', 'one /64 however it is written');
  for (const h of ['127.0.0.1', '::1', '10.1.2.3', '172.20.0.5', '192.168.1.9', '100.64.3.3', '169.254.1.1', 'fd00::1', 'fe80::1', '0.0.0.0', 'unknown']) {
    assert.equal(isPublicAddress(h), false, h);
    assert.equal(netGroup(h), undefined, h);
  }
  assert.deepEqual(banKeysFor('ab', '8.8.4.4', false), ['id:ab', 'ip:8.8.4.4', 'net:8.8.4.0/24']);
  assert.deepEqual(banKeysFor('ab', '2a01:4f8:10:20::1', false), ['id:ab', 'ip:2a01:4f8:10:20::1', 'net:2a01:4f8:10:20::/64']);
  assert.deepEqual(banKeysFor('ab', '127.0.0.1', false), ['id:ab'], 'a devnet on one address: loopback is exempt');
  assert.deepEqual(banKeysFor('ab', '192.168.1.9', false), ['id:ab'], 'private ranges are exempt');
  assert.deepEqual(banKeysFor('ab', '127.0.0.1', true), ['id:ab', 'ip:127.0.0.1'], 'unless configured');

  const bans = new BanList(undefined, silentLogger);
  const until = Date.now() + 60_000;
  for (const k of [...banKeysFor('a1', '8.8.4.4', false), ...banKeysFor('b2', '2a01:4f8:10:20::1', false)]) bans.add(k, until);
  assert.equal(isHostBanned(bans, '8.8.4.200', false), true, 'the next address in the /24');
  assert.equal(isHostBanned(bans, '8.8.5.4', false), false, 'the next /24 is not');
  assert.equal(isHostBanned(bans, '2a01:4f8:10:20:dead:beef:0:1', false), true, 'IPv6 walk: a new interface id in the /64');
  assert.equal(isHostBanned(bans, '2a01:4f8:10:21::1', false), false, 'the next /64 is not');
  assert.equal(isHostBanned(bans, '127.0.0.1', false), false);
  assert.equal(isHostBanned(bans, '8.8.4.200', false, until + 1), false, 'bans end');
});

test('score decay: scores halve every half-life', () => {
  assert.equal(decayedScore(100, 0, 10 * 60_000, 10 * 60_000), 50);
  assert.equal(decayedScore(100, 0, 20 * 60_000, 10 * 60_000), 25);
  assert.equal(decayedScore(100, 5, 5, 10 * 60_000), 100);
  assert.equal(decayedScore(100, 0, 1e12, 0), 100, 'half-life 0: no decay');
});

test('score decay: two faults a few half-lives apart do not add up to a ban', async () => {
  const limits = { scoreHalfLifeMs: 100 };
  const { a, b, ab, ba } = await connectPair({ limits }, { limits });
  try {
    b.misbehave(ba, 60, 'invalid-tx');
    await waitUntil('the score decayed', () => ba.score <= 10);
    b.misbehave(ba, 60, 'invalid-tx');
    assert.ok(ba.score < 100, `score ${ba.score}`);
    await flush(a, ab, b);
    assert.equal(ba.connected, true, 'still connected: an honest peer\'s rare faults do not accumulate forever');
    assert.equal(b.bannedList().length, 0);
  } finally {
    await stopAll(a, b);
  }
});

test('misbehaviour charged to the address: a fresh identity from the same address starts with its score and the address is banned', async () => {
  // Loopback is exempt by default; banLoopbackHosts stands in for a public address here.
  const a = await startNet({ limits: { banLoopbackHosts: true } });
  try {
    const first = await RawPeer.ready(a.port);
    a.misbehave(a.peers()[0]!, 60, 'invalid-tx');
    await first.close();
    await waitUntil('first gone', () => a.peers().length === 0);
    const second = await RawPeer.ready(a.port); // a new key
    assert.equal(a.peers()[0]!.score, 60, 'the address kept its record');
    const banned = nextEvent(a, 'peer:banned', (ban) => ban.key === 'ip:127.0.0.1');
    a.misbehave(a.peers()[0]!, 40, 'invalid-tx');
    await banned;
    assert.equal((await second.closed).code, CLOSE_CODES.banned);
  } finally {
    await a.stop();
  }
});

test('inbound eviction policy: protects low latency, recent block and tx relayers and the longest-connected; evicts the youngest of the biggest group', () => {
  const c = (ref: string, group: string, connectedAt: number, extra: Partial<EvictionCandidate<string>> = {}): EvictionCandidate<string> => ({
    ref, group, connectedAt, latencyMs: undefined, lastBlockAt: 0, lastTxAt: 0, ...extra,
  });
  const protection = { lowestLatency: 1, recentBlocks: 1, recentTxs: 1 };
  const peers = [
    c('fast', 'g1', 50, { latencyMs: 1 }),
    c('miner', 'g1', 60, { lastBlockAt: 5 }),
    c('wallet', 'g1', 70, { lastTxAt: 5 }),
    c('old1', 'g2', 1),
    c('old2', 'g3', 2),
    c('attacker1', 'g9', 80),
    c('attacker2', 'g9', 90),
    c('loner', 'g4', 95),
  ];
  // Protected: fast, miner, wallet, then the older half of the other 5 (old1, old2). Left: attacker1, attacker2, loner:
  // g9 is the biggest group and attacker2 its youngest.
  assert.equal(selectPeerToEvict(peers, protection), 'attacker2');
  assert.equal(selectPeerToEvict(peers.filter((p) => p.group !== 'g9'), protection), 'loner');
  assert.equal(selectPeerToEvict([c('fast', 'g1', 1, { latencyMs: 2 })], protection), undefined, 'all protected: refuse the newcomer');
});

test('inbound caps by address and prefix: a public IP over 4 or a /24 (/64) over 8 is refused; loopback and private hosts are not capped by address', () => {
  const caps = { maxInbound: 32, maxInboundPerIp: 4, maxInboundPerNetGroup: 8 };
  const peer = (host: string, i: number) => ({ ref: `${host}#${i}`, host, group: netGroup(host) ?? host, connectedAt: i, latencyMs: undefined, lastBlockAt: 0, lastTxAt: 0 });
  const fourFromOne = [0, 1, 2, 3].map((i) => peer('8.8.4.4', i));
  assert.deepEqual(inboundSlotFor('8.8.4.4', '8.8.4.0/24', fourFromOne, caps), { refuse: 'too-many-peers' }, 'fifth from one public IP');
  assert.deepEqual(inboundSlotFor('8.8.4.5', '8.8.4.0/24', fourFromOne, caps), { evict: undefined }, 'a neighbour still fits');
  const eightFromOneNet = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => peer(`8.8.4.${i}`, i));
  assert.deepEqual(inboundSlotFor('8.8.4.99', '8.8.4.0/24', eightFromOneNet, caps), { refuse: 'too-many-peers' }, 'ninth from one /24');
  const v6 = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => peer(`2a01:4f8:10:20::${i}`, i));
  assert.deepEqual(inboundSlotFor('2a01:4f8:10:20:abcd::1', '2a01:4f8:10:20::/64', v6, caps), { refuse: 'too-many-peers' }, 'ninth from one /64, however the interface id is chosen');
  assert.deepEqual(inboundSlotFor('2a01:4f8:10:21::1', '2a01:4f8:10:21::/64', v6, caps), { evict: undefined });
  const local = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => peer('127.0.0.1', i));
  assert.deepEqual(inboundSlotFor('127.0.0.1', '127.0.0.1', local, caps), { evict: undefined }, 'a devnet on one address');
  const full = Array.from({ length: 32 }, (_, i) => peer('10.0.0.1', i));
  const r = inboundSlotFor('10.0.0.2', '10.0.0.2', full, caps);
  assert.ok('evict' in r && r.evict !== undefined, 'full: an unprotected peer makes room');
});

test('ban table at its cap drops the ban that ends first, not a re-banned key by its old end time', () => {
  const bans = new BanList(undefined, silentLogger, 3);
  const t = Date.now() + 60_000;
  bans.add('a', t + 500);
  bans.add('b', t + 300);
  bans.add('c', t + 400);
  bans.add('b', t + 900); // re-banned: its old end (t+300) must not pick it for eviction
  bans.add('d', t + 600);
  assert.equal(bans.size, 3);
  assert.deepEqual(bans.list().map((e) => e.key).sort(), ['a', 'b', 'd'], 'c ended first and went');
  for (let i = 0; i < 1_000; i++) bans.add(`flood-${i}`, t + 1_000 + i);
  assert.equal(bans.size, 3, 'a flood of bans stays within the cap');
  assert.deepEqual(bans.list().map((e) => e.key).sort(), ['flood-997', 'flood-998', 'flood-999'], 'the latest-ending bans are kept');
});
