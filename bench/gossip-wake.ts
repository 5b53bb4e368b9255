// Diagnostics for the gossip bench (not a figure of `npm run bench`): what one wake of a node costs
// in CPU, for the message a block flood sends most, a redundant header announcement (a tip the
// node already has, from a peer it already announced it to), against the cheapest wake there is (a
// ping answered with a pong) and a redundant header that is dropped by the bookkeeping only. One
// node in its own process; a scripted peer on the real wire sends one message per wake, spaced so
// each is its own wake; the node's CPU is read from /proc and its quiet background removed.
// Usage: node dist/bench/gossip-wake.js [messages per kind, default 2000]
import { testNet } from '../test/helpers/node-helpers.js';
import { tempDir } from '../test/helpers/cleanup.js';
import { ScriptedPeer } from '../test/helpers/scripted-peer.js';
import type { Message } from '../src/p2p/index.js';
import type { ChildReport } from './node-child.js';
import { ChildNode } from './child-nodes.js';

const N = Number(process.argv[2] ?? 2000);
/** Spacing between messages: each its own wake, and under the node's 200 messages/s rate limit. */
const GAP_MS = 6;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Context switches per message by thread name, over the last perWake (background not removed). */
const switchesPerMessage: Record<string, Record<string, number>> = {};

/** CPU the node used per message of `send`, its background (same duration, no messages) removed. */
async function perWake(node: ChildNode, name: string, send: (i: number) => void): Promise<number> {
  const sw0 = node.switches();
  const cpu0 = node.cpuMs()!;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    send(i);
    await sleep(GAP_MS);
  }
  const busy = node.cpuMs()! - cpu0;
  const sw = node.switches();
  switchesPerMessage[name] = Object.fromEntries([...sw].map(([k, v]) => [k, Math.round(((v - (sw0.get(k) ?? 0)) / N) * 100) / 100]).filter(([, v]) => (v as number) > 0));
  const wall = performance.now() - t0;
  const q0 = node.cpuMs()!;
  await sleep(wall);
  const quiet = node.cpuMs()! - q0;
  return Math.round(((busy - quiet) / N) * 1000);
}

async function main(): Promise<void> {
  const net = testNet();
  const dir = tempDir('kadchain-wake-');
  net.dirs.push(dir);
  const node = await ChildNode.start({ dataDir: dir.path, genesisFile: net.genesisFile, bootstrap: [] });
  let peer: ScriptedPeer | undefined;
  try {
    peer = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id });
    // A tip the node connected and announced to this peer: its header is what a redundant announcement carries.
    await node.request({ cmd: 'mine', tag: '1' }, (r): r is Extract<ChildReport, { type: 'mined' }> => r.type === 'mined');
    const announced = (await peer.next('headers', (m) => m.kind === 'headers' && m.headers.length === 1, 10_000)) as Extract<Message, { kind: 'headers' }>;
    const p = peer;
    const us = {
      ping: await perWake(node, 'ping', (i) => p.send({ kind: 'ping', nonce: BigInt(1000 + i) })),
      redundantHeader: await perWake(node, 'redundantHeader', () => p.send({ kind: 'headers', headers: announced.headers })),
    };
    process.stdout.write(`${JSON.stringify({ 'wake.messages': N, 'wake.pingUs': us.ping, 'wake.redundantHeaderUs': us.redundantHeader, 'wake.headerOverPingUs': us.redundantHeader - us.ping })}\n`);
    process.stdout.write(`context switches per message, by thread: ${JSON.stringify(switchesPerMessage)}\n`);
  } finally {
    await peer?.close();
    await node.stop();
    await net.stopAll();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
