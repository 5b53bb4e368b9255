// A restarted serving node reads its newest headers into memory at start (one range read), so the
// first getheaders of a syncing peer is answered from memory, with no store read on its path; the
// reply is the same as the store's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_BYTES } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { Serving } from '../../../src/node/index.js';
import { openTestChain, extend } from '../../helpers/chain-helpers.js';
import { waitUntil } from '../../helpers/node-helpers.js';
import { RawPeer, startNet } from '../p2p/helpers.js';

const TIP = 120;

test('first getheaders after a start read the store: the newest headers are cached at start, the reply comes from memory', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  await extend(chain, TIP);
  const expected: string[] = [];
  for (let h = 1; h <= TIP; h++) expected.push(toHex((await chain.getBlockBytes((await chain.store.getMainId(h))!))!.subarray(0, HEADER_BYTES)));
  const store = chain.store;
  const rangeRead = store.mainHeaders.bind(store);
  let reads = 0;
  store.mainHeaders = (...args: Parameters<typeof store.mainHeaders>) => {
    reads++;
    return rangeRead(...args);
  };
  const net = await startNet();
  const serving = new Serving(chain, new Mempool(chain), net);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  await waitUntil('headers cached at start', () => serving.cachedHeaders === TIP + 1, 30_000, 5);
  const readsAtStart = reads;
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  raw.send({ kind: 'getheaders', locator: [(await chain.store.getMainId(0))!] });
  await waitUntil('headers reply', () => raw.messages.some((m) => m.kind === 'headers'), 30_000, 5);
  const reply = raw.messages.find((m) => m.kind === 'headers');
  assert.ok(reply?.kind === 'headers');
  assert.deepEqual(reply.headers.map(toHex), expected, 'every header after genesis, as stored');
  assert.equal(readsAtStart, 1, 'one range read at start');
  assert.equal(reads, readsAtStart, 'the first getheaders read nothing from the store');
});
