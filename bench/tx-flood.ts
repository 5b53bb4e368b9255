// Unfunded transaction flood (issue 15, item 5): what one hostile peer costs a real node on
// 127.0.0.1. The peer announces FLOOD validly signed but unfunded transactions and answers every
// getdata; the node validates at most its admission budget. The reference, measured in the same
// run, is the mempool validating every one of them (what the node did before the budget).
//   txFlood.validated            txs the node handed to the mempool (goal: <= the burst, 500; a
//                                point per unfunded tx bans the peer at 100 first)
//   txFlood.attackerBanned       1 when the flood ended in a ban
//   txFlood.cpuMs                process CPU while the flood is handled (both ends: one process)
//   txFlood.cpuMsValidateAll     CPU of mempool.add on all FLOOD txs on the same chain (reference)
//   txFlood.cpuRatio             cpuMs / cpuMsValidateAll
//   txFlood.honestAcceptMs       an honest peer's tx, announced after the flood, until it is ready
import { performance } from 'node:perf_hooks';
import { encodeTx, txId, type TransferTx } from '../src/core/index.js';
import { toHex } from '../src/crypto/index.js';
import { Mempool } from '../src/mempool/index.js';
import { transfer, testAddress } from '../test/helpers/fixtures.js';
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { ScriptedPeer } from '../test/helpers/scripted-peer.js';

const FLOOD = 2_000;

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

export async function benchTxFlood(): Promise<Record<string, number>> {
  const net = testNet();
  try {
    const node = await net.start();
    const flood: TransferTx[] = Array.from({ length: FLOOD }, (_, i) => transfer(`bench-mallory-${i}`, testAddress('bob'), 10n, 0n, net.genesis.id, 1000n));
    const byId = new Map(flood.map((tx) => [toHex(txId(tx)), encodeTx(tx)]));

    // Reference: every flood tx through admission (a fresh pool on the node's own chain).
    const ref = new Mempool(node.chain);
    const r0 = process.cpuUsage();
    for (const tx of flood) await ref.add(tx);
    const cpuMsValidateAll = cpuMs(process.cpuUsage(r0));

    const attacker = await ScriptedPeer.connect(node.port, {
      genesis: net.genesis.id,
      script: {
        getdata: (p, m) => {
          for (const it of m.items) {
            const bytes = byId.get(toHex(it.id));
            if (bytes) p.send({ kind: 'tx', bytes });
          }
        },
      },
    });
    const c0 = process.cpuUsage();
    for (let i = 0; i < flood.length; i += 500) attacker.send({ kind: 'inv', items: flood.slice(i, i + 500).map((tx) => ({ type: 'tx' as const, id: txId(tx) })) });
    // Done when the peer is banned (a point per unfunded tx) or a full ping round brings no new
    // validation (the flood's fetches have all been answered).
    let last = -1;
    for (let i = 0; i < 500 && attacker.isOpen; i++) {
      const nonce = BigInt(5_000 + i);
      attacker.send({ kind: 'ping', nonce });
      const pong = attacker.next('pong', (m) => m.kind === 'pong' && m.nonce === nonce, 30_000).then(() => true);
      if (!(await Promise.race([pong, attacker.closed.then(() => false)]))) break;
      await node.mempool.idle();
      const seen = node.gossip.stats.txsValidated + node.gossip.stats.txsOverBudget;
      if (seen === last) break;
      last = seen;
    }
    const floodCpu = cpuMs(process.cpuUsage(c0));
    await node.mempool.idle();
    const validated = node.gossip.stats.txsValidated;
    const banned = attacker.isOpen ? 0 : 1;

    const honestTx = transfer('alice', testAddress('bob'), 5n, 0n, net.genesis.id, 1000n);
    const honest = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id, script: { getdata: (p) => p.send({ kind: 'tx', bytes: encodeTx(honestTx) }) } });
    const t0 = performance.now();
    honest.send({ kind: 'inv', items: [{ type: 'tx', id: txId(honestTx) }] });
    await waitUntil('honest tx ready', () => node.mempool.isReady(toHex(txId(honestTx))), 30_000, 1);
    const honestAcceptMs = performance.now() - t0;
    await attacker.close();
    await honest.close();
    return {
      'txFlood.validated': validated,
      'txFlood.attackerBanned': banned,
      'txFlood.cpuMs': Math.round(floodCpu),
      'txFlood.cpuMsValidateAll': Math.round(cpuMsValidateAll),
      'txFlood.cpuRatio': Math.round((floodCpu / cpuMsValidateAll) * 100) / 100,
      'txFlood.honestAcceptMs': Math.round(honestAcceptMs * 10) / 10,
    };
  } finally {
    await net.stopAll();
  }
}
