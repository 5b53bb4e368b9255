// Mempool and miner-under-churn figures (issue 17). One chain with an impossible target (no block
// is ever found, so every template change comes from the mempool) and 5,000 funded senders, each
// with one ready transaction:
//   mempool.templateMs5k   building a block template over 5,000 ready senders (median; goal <= 20)
//   mempool.templateMs5kCold the same without the previous template's merkle tree (a full rebuild)
//   mempool.templateMsEmpty the same with an empty pool (the reference: tip context + coinbase)
//   miner.churnRatio        hash rate while 20 replacements/s arrive, over the idle hash rate
//                           measured just before (goal >= 0.9), with the current search
//   mempool.fullPoolRefuseUs   per transaction, a flood of funded but too-cheap transactions against
//                           the full pool of 5,000 senders (refused mempool-full before the signature)
//   mempool.fullPoolRefuseUs100 the same flood against a full pool of 100 senders (the reference)
//   mempool.fullPoolRefuseRatio the two over each other (goal <= 1.5: refusing is not a scan of
//                           every sender; before the tail heap it was ~4)
//   mempool.reorgReturn*    a reorg returning 5,000 txs into a full pool (mempool-reorg.ts)
import { performance } from 'node:perf_hooks';
import { Mempool } from '../src/mempool/index.js';
import { Miner, buildTemplate, IncrementalMerkle } from '../src/miner/index.js';
import { addressFromPublicKey, type TransferTx } from '../src/core/index.js';
import { testGenesis, testKey, transfer, testAddress } from '../test/helpers/fixtures.js';
import { openTestChain } from '../test/helpers/chain-helpers.js';
import { benchMempoolReorg } from './mempool-reorg.js';

const SENDERS = 5000;
/** Funded senders of the too-cheap flood against the full pool, and rounds of it per pool. */
const FLOODERS = 500;
const FLOOD_ROUNDS = 4;
/** Total time measured per mode (idle, churn), split in alternating windows. */
const MEASURE_MS = 4000;
const REPLACEMENTS_PER_SEC = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchMempool(): Promise<Record<string, number>> {
  const names = Array.from({ length: SENDERS }, (_, i) => `bench-sender-${i}`);
  const flooders = Array.from({ length: FLOODERS }, (_, i) => `bench-flooder-${i}`);
  const g = testGenesis({ initialTarget: 1n, alloc: [...names, ...flooders].map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 10n ** 12n })) });
  const c = await openTestChain(g);
  const empty = new Mempool(c.chain);
  const pool = new Mempool(c.chain);
  pool.start();
  const tx = (i: number, fee: bigint): TransferTx => transfer(names[i]!, testAddress('zed'), 1000n, 0n, g.id, fee);
  const fees = names.map((_, i) => 10_000n + BigInt(i));
  for (let i = 0; i < SENDERS; i++) {
    const r = await pool.add(tx(i, fees[i]!));
    if (!r.accepted) throw new Error(`bench setup: ${r.reason}`);
  }
  // As the miner builds them: each template reuses the previous one's merkle tree (a new
  // coinbase each time, as a rolled extra nonce or a new fee total would give).
  const time = async (p: Mempool, runs: number, incremental = true): Promise<number> => {
    const ms: number[] = [];
    const merkle = new IncrementalMerkle();
    for (let i = 0; i < runs; i++) {
      const opts = { minerAddress: testAddress('miner'), extraNonce: BigInt(i), now: Date.now(), merkle: incremental ? merkle : undefined };
      const t0 = performance.now();
      const tpl = await buildTemplate(c.chain, p, opts);
      ms.push(performance.now() - t0);
      if (p === pool && tpl.block.txs.length !== SENDERS + 1) throw new Error('bench: template does not hold every sender');
    }
    return median(ms);
  };
  await time(pool, 5); // warm-up (JIT)
  const templateMs5k = await time(pool, 31);
  const templateMs5kCold = await time(pool, 11, false);
  const templateMsEmpty = await time(empty, 31);

  // Hash rate idle, then under a steady stream of replacements.
  const miner = new Miner({ chain: c.chain, mempool: pool, minerAddress: testAddress('miner') });
  miner.start();
  await new Promise((r) => miner.once('template', r));
  await sleep(500); // warm-up
  // Idle and churn windows alternate, so drift in the machine's load falls on both alike. The
  // replacements are signed beforehand: signing is the spammer's cost, not the node's.
  const WINDOWS = 8;
  const every = 1000 / REPLACEMENTS_PER_SEC;
  const perWindow = Math.ceil(MEASURE_MS / WINDOWS / every) + 2;
  const replacements: TransferTx[] = [];
  for (let k = 0; k < WINDOWS * perWindow; k++) {
    const i = k % SENDERS;
    fees[i] = (fees[i]! * 11n) / 10n + 1n;
    replacements.push(tx(i, fees[i]!));
  }
  let next = 0;
  let refused = 0;
  const idle = { hashes: 0n, ms: 0 };
  const churn = { hashes: 0n, ms: 0 };
  const windowMs = MEASURE_MS / WINDOWS;
  for (let w = 0; w < WINDOWS; w++) {
    let h0 = miner.totalHashes;
    let t0 = performance.now();
    await sleep(windowMs);
    idle.hashes += miner.totalHashes - h0;
    idle.ms += performance.now() - t0;
    h0 = miner.totalHashes;
    t0 = performance.now();
    for (let due = t0; performance.now() < t0 + windowMs; due += every) {
      const r = await pool.add(replacements[next++]!);
      if (!r.accepted) refused++;
      const wait = due + every - performance.now();
      if (wait > 0) await sleep(wait);
    }
    churn.hashes += miner.totalHashes - h0;
    churn.ms += performance.now() - t0;
  }
  const idleHps = Number(idle.hashes) / (idle.ms / 1000);
  const churnHps = Number(churn.hashes) / (churn.ms / 1000);
  const templates = miner.stats.templates;
  await miner.stop();

  // A too-cheap flood against the full pool (5,000 senders) and against a full pool of 100, rounds
  // alternating so that drift in the machine's load falls on both alike.
  const small = new Mempool(c.chain, { limits: { maxCount: 100 } });
  for (let i = 0; i < 100; i++) if (!(await small.add(tx(i, fees[i]!))).accepted) throw new Error('bench setup: small pool');
  const flood = flooders.map((n) => transfer(n, testAddress('zed'), 1000n, 0n, g.id, 10_000n));
  const floodUs = async (p: Mempool): Promise<number> => {
    const t0 = performance.now();
    for (const f of flood) {
      const r = await p.add(f);
      if (r.accepted || r.reason !== 'mempool-full') throw new Error(`bench: flood tx ${r.accepted ? 'accepted' : r.reason}`);
    }
    return ((performance.now() - t0) * 1000) / flood.length;
  };
  await floodUs(small); // warm-up (JIT)
  const refuse5k: number[] = [];
  const refuse100: number[] = [];
  for (let r = 0; r < FLOOD_ROUNDS; r++) {
    refuse5k.push(await floodUs(pool));
    refuse100.push(await floodUs(small));
  }
  const fullPoolRefuseUs = median(refuse5k);
  const fullPoolRefuseUs100 = median(refuse100);
  pool.stop();
  await c.close();
  if (refused) throw new Error(`bench: ${refused} replacements refused`);
  const reorg = await benchMempoolReorg();
  return {
    ...reorg,
    'mempool.templateMs5k': Math.round(templateMs5k * 100) / 100,
    'mempool.templateMs5kCold': Math.round(templateMs5kCold * 100) / 100,
    'mempool.templateMsEmpty': Math.round(templateMsEmpty * 100) / 100,
    'mempool.fullPoolRefuseUs': Math.round(fullPoolRefuseUs),
    'mempool.fullPoolRefuseUs100': Math.round(fullPoolRefuseUs100),
    'mempool.fullPoolRefuseRatio': Math.round((fullPoolRefuseUs / fullPoolRefuseUs100) * 100) / 100,
    'miner.idleHps': Math.round(idleHps),
    'miner.churnHps': Math.round(churnHps),
    'miner.churnRatio': Math.round((churnHps / idleHps) * 100) / 100,
    'miner.churnReplacements': next,
    'miner.churnTemplates': templates,
  };
}
