// The handshake's edge, from the red-team pass over the state machine and the first frames after it
// (what held without a change is listed in the round's report: a frame before the proof, a second
// hello or helloAck, the same id from a second address). Real sockets on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, type KeyPair } from '../../../src/crypto/index.js';
import { PROTOCOL_VERSION, possibleTip } from '../../../src/p2p/index.js';
import { GENESIS_A, RawPeer, TIP, startNet, within } from './helpers.js';

test('a handshake advertising an impossible tip', async (t) => {
  const net = await startNet();
  t.after(() => net.stop());
  // The codec allows any u32 height and 64-byte work; no chain of blocks can have either of these.
  const impossible = [
    { id: new Uint8Array(32), height: 2 ** 32 - 1, work: (1n << 512n) - 1n },
    { id: new Uint8Array(32), height: 1_000_000, work: 5n },
  ];
  for (const tip of impossible) {
    const raw = await RawPeer.connect(net.port, { tip });
    t.after(() => raw.close());
    const closed = await within<{ code: number; reason: string }>('the refusal', 10_000, (resolve) => void raw.closed.then(resolve));
    assert.deepEqual(closed, { code: 4007, reason: 'bad-tip' }, `refused at the handshake: height ${tip.height}, work ${tip.work}`);
  }
  assert.equal(net.peers().length, 0, 'no peer shows the claim in the peer list');

  // After the handshake, the same claim in a tip message is malformed traffic, and not adopted.
  const ok = await RawPeer.ready(net.port);
  t.after(() => ok.close());
  ok.send({ kind: 'tip', tip: impossible[0]! });
  assert.equal(await ok.roundtrip(), true);
  const [peer] = net.peers();
  assert.equal(peer!.tip!.height, TIP.height, 'the claimed tip is not adopted');
  assert.equal(peer!.score, net.penalties.malformed, 'charged as malformed');
});

test('possible tips: between one unit and 2^256 of work per block', () => {
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 0, work: 0n }), true, 'a genesis tip that leaves out its own work');
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 0, work: 1n << 256n }), true);
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 0, work: (1n << 256n) + 1n }), false);
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 9, work: 9n }), true);
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 9, work: 8n }), false);
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 9, work: 10n << 256n }), true);
  assert.equal(possibleTip({ id: new Uint8Array(32), height: 9, work: (10n << 256n) + 1n }), false);
});

/** Tries to connect with `key` from `localAddress` until the handshake completes or `ms` passes; the refusals seen. */
async function reconnectUntilIn(port: number, key: KeyPair, localAddress: string, ms: number): Promise<{ peer: RawPeer | undefined; refusals: string[] }> {
  const deadline = Date.now() + ms;
  const refusals: string[] = [];
  while (Date.now() < deadline) {
    const raw = await RawPeer.connect(port, { key, localAddress });
    const r = await within<string>('handshake outcome', 10_000, (resolve) => {
      void raw.next('helloAck', () => true, 10_000).then(() => resolve('in'), () => resolve('timeout'));
      void raw.closed.then((c) => resolve(c.reason));
    });
    if (r === 'in' && (await raw.roundtrip())) return { peer: raw, refusals };
    refusals.push(r);
    await raw.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { peer: undefined, refusals };
}

test('the same node id from a second address while its first connection is dead', async (t) => {
  // The idle timeout (120 s) is far past this test's bound: only a probe can free the id in time.
  const net = await startNet({ limits: { handshakeTimeoutMs: 1_000 } });
  t.after(() => net.stop());
  const key = generateKeyPair();
  const first = await RawPeer.ready(net.port, { key, localAddress: '127.0.0.4' });
  t.after(() => first.close());
  // The first connection goes dead without a FIN (the peer moved): it reads and answers nothing.
  first.pauseReading();
  const second = await reconnectUntilIn(net.port, key, '127.0.0.5', 15_000);
  t.after(() => second.peer?.close());
  assert.ok(second.peer, `the peer got back in from its new address (refusals: ${second.refusals.join(', ')})`);
  assert.equal(second.refusals[0], 'duplicate', 'first refused while the old connection still counted');
  const [peer] = net.peers();
  assert.equal(peer!.host, '127.0.0.5');
});

test('the same node id from a second address while its first connection is alive: the first stays', async (t) => {
  const net = await startNet({ limits: { handshakeTimeoutMs: 1_000 } });
  t.after(() => net.stop());
  const key = generateKeyPair();
  const first = await RawPeer.ready(net.port, { key, localAddress: '127.0.0.4' });
  t.after(() => first.close());
  // A claimant of the id (it does not even need the key: it is refused at its hello) only makes the node ping the first.
  for (let i = 0; i < 3; i++) {
    const raw = await RawPeer.connect(net.port, { key: generateKeyPair(), localAddress: '127.0.0.5', silent: true });
    t.after(() => raw.close());
    raw.send({ kind: 'hello', version: PROTOCOL_VERSION, genesis: GENESIS_A, publicKey: key.publicKey, listenPort: 1, challenge: new Uint8Array(32).fill(5), tip: TIP });
    assert.equal((await within<{ reason: string }>('refusal', 10_000, (resolve) => void raw.closed.then(resolve))).reason, 'duplicate');
  }
  // Past the probe's deadline (the handshake timeout) the first, which answers pings, is still there.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(await first.roundtrip(), true);
  assert.deepEqual(net.peers().map((p) => p.host), ['127.0.0.4']);
  assert.ok(first.pingsReceived >= 1, 'it was probed');
});
