// Helpers for end-to-end tests: real nodes (startNode) on 127.0.0.1 with temp data dirs and a
// tiny-work genesis file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, type NodeOptions, type RunningNode } from '../../src/node/index.js';
import { paramsToJson, type ChainParams, type Genesis, buildGenesis } from '../../src/core/index.js';
import { silentLogger } from '../../src/log/index.js';
import { testParams } from './fixtures.js';
import { tempDir, defer, type AfterHook, type TempDir } from './cleanup.js';

export interface StartOpts {
  bootstrap?: RunningNode[];
  mine?: boolean;
  minerAddress?: string;
  dir?: TempDir;
  p2pLimits?: NodeOptions['p2pLimits'];
  syncOptions?: NodeOptions['syncOptions'];
  metrics?: boolean;
  txAdmission?: NodeOptions['txAdmission'];
}

export interface TestNet {
  genesis: Genesis;
  genesisFile: string;
  nodes: RunningNode[];
  dirs: TempDir[];
  start(opts?: StartOpts): Promise<RunningNode>;
  /** Stops every node (all of them, even if one fails) and removes the dirs; idempotent. */
  stopAll(): Promise<void>;
}

export function writeGenesis(dir: string, over: Partial<ChainParams> = {}): { genesis: Genesis; file: string } {
  const params = testParams(over);
  const file = join(dir, 'genesis.json');
  writeFileSync(file, JSON.stringify(paramsToJson(params)));
  return { genesis: buildGenesis(params), file };
}

/** A test network on 127.0.0.1; with `t`, its after hook stops every node even if the test fails. */
export function testNet(over: Partial<ChainParams> = {}, t?: AfterHook): TestNet {
  const root = tempDir('kadchain-net-');
  const { genesis, file } = writeGenesis(root.path, over);
  const net: TestNet = {
    genesis,
    genesisFile: file,
    nodes: [],
    dirs: [root],
    async start(opts = {}) {
      const dir = opts.dir ?? tempDir('kadchain-node-');
      if (!opts.dir) net.dirs.push(dir);
      const node = await startNode({
        dataDir: dir.path, genesisPath: file, host: '127.0.0.1', port: 0, apiHost: '127.0.0.1', apiPort: 0,
        bootstrap: (opts.bootstrap ?? []).map((n) => `127.0.0.1:${n.port}`), mine: opts.mine ?? false, minerAddress: opts.minerAddress, metrics: opts.metrics,
        threads: 1, logLevel: 'silent', logger: silentLogger, p2pLimits: { dialIntervalMs: 200, ...opts.p2pLimits }, kadRefreshIntervalMs: 2000,
        syncOptions: opts.syncOptions, txAdmission: opts.txAdmission,
      });
      net.nodes.push(node);
      return node;
    },
    async stopAll() {
      const nodes = net.nodes;
      net.nodes = [];
      const errors: unknown[] = [];
      for (const n of nodes) await n.stop().catch((err: unknown) => errors.push(err));
      for (const d of net.dirs) d.cleanup();
      if (errors.length) throw errors[0];
    },
  };
  if (t) defer(t, () => net.stopAll());
  return net;
}

/** Polls `cond` until true (generous bound; polling, not a fixed sleep). */
export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000, every = 50): Promise<void> {
  // On the monotonic clock: tests that step Date.now() keep their bounds.
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * Starts `count` nodes that know only the first one (the seed) and waits until every node has at
 * least two gossip peers: the mesh is built by Kademlia discovery alone.
 */
export async function startMesh(net: TestNet, count: number, timeoutMs: number): Promise<RunningNode[]> {
  const seed = await net.start();
  const nodes = [seed];
  for (let i = 1; i < count; i++) nodes.push(await net.start({ bootstrap: [seed] }));
  await waitUntil('mesh', () => nodes.every((n) => n.net.peers().length >= 2), timeoutMs, 100);
  return nodes;
}

/** A node's tip as a handshake or a scripted peer states it. */
export function tipClaimOf(node: RunningNode): { id: Uint8Array; height: number; work: bigint } {
  const t = node.chain.tip;
  return { id: t.id, height: t.height, work: t.work };
}

/** `victim` dials `honest` and reaches its tip; the honest peer is still connected and unpenalised. */
export async function syncsFromHonest(victim: RunningNode, honest: RunningNode, ms: number): Promise<void> {
  await victim.net.dial('127.0.0.1', honest.port);
  const tip = honest.chain.tip.idHex;
  await waitUntil('the victim at the honest tip', () => victim.chain.tip.idHex === tip, ms, 20);
  const h = victim.net.peer(honest.net.nodeId);
  if (!h) throw new Error('expected the honest peer still connected, got none');
  if (h.score !== 0) throw new Error(`expected the honest peer unpenalised, got score ${h.score}`);
}
