// Serving getheaders / getblocks per peer: one request at a time from a bounded queue (found in the
// p2p hardening follow-up: each of a peer's getblocks was answered at once, so a burst of them held
// one reply's store reads and up to 4 MiB of bodies each, concurrently, without bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mempool } from '../../../src/mempool/index.js';
import { Serving } from '../../../src/node/index.js';
import type { LogFields, Logger } from '../../../src/log/index.js';
import { openTestChain, extend } from '../../helpers/chain-helpers.js';
import { RawPeer, startNet, waitUntil } from './helpers.js';

/** A logger that keeps every line (message and fields), for evidence the test can count. */
function capturingLogger(lines: { msg: string; fields?: LogFields }[]): Logger {
  const log: Logger = {
    debug: (msg, fields) => void lines.push({ msg, fields }),
    info: (msg, fields) => void lines.push({ msg, fields }),
    warn: (msg, fields) => void lines.push({ msg, fields }),
    error: (msg, fields) => void lines.push({ msg, fields }),
    child: () => log,
  };
  return log;
}

test('a getblocks flood from one peer is answered one request at a time from a bounded queue, not all at once', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  await extend(chain, 12);
  const lines: { msg: string; fields?: LogFields }[] = [];
  const net = await startNet();
  const serving = new Serving(chain, new Mempool(chain), net, capturingLogger(lines), undefined, { maxQueuedExchanges: 2 });
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  // Store reads in flight at once, across every request being answered.
  let reading = 0;
  let maxReading = 0;
  const read = chain.getBlockBytes.bind(chain);
  chain.getBlockBytes = async (id) => {
    maxReading = Math.max(maxReading, ++reading);
    try {
      return await read(id);
    } finally {
      reading--;
    }
  };
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  const FLOOD = 40;
  for (let i = 0; i < FLOOD; i++) raw.send({ kind: 'getblocks', locator: [] });
  const dropped = (): number => lines.filter((l) => l.msg === 'request dropped: queue full' && l.fields?.kind === 'getblocks').length;
  const replies = (): number => raw.messages.filter((m) => m.kind === 'blocks').length;
  await waitUntil('every getblocks answered or dropped', () => replies() + dropped() === FLOOD);
  assert.equal(maxReading, 1, 'one request, one read at a time');
  assert.ok(dropped() > 0, `the queue is bounded: ${replies()} answered, ${dropped()} dropped`);
  for (const m of raw.messages) if (m.kind === 'blocks') assert.equal(m.blocks.length, 13, 'each answer is whole');
  assert.equal(await raw.roundtrip(), true, 'the peer is not charged for it');
});
