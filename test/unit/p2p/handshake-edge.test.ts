// The handshake's edge, from the red-team pass over the state machine and the first frames after it
// (what held without a change is listed in the round's report: a frame before the proof, a second
// hello or helloAck, the same id from a second address). Real sockets on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { possibleTip } from '../../../src/p2p/index.js';
import { RawPeer, TIP, startNet, within } from './helpers.js';

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
