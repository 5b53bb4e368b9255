// One kadchain node in its own process, driven by the bench over IPC, as a node on a real network
// runs: its own event loop, its own libuv pool for LevelDB, its own GC. It reports when it is ready
// and each block it connects, stamped with the wall clock shared by every process on the machine
// (performance.timeOrigin + performance.now()), so arrival times compare across processes.
// Usage (fork with IPC): node node-child.js '<ChildConfig as JSON>'
import { startNode, type RunningNode } from '../src/node/index.js';
import { silentLogger } from '../src/log/index.js';
import { blockIdHex } from '../src/core/index.js';
import { childOf, tipEntry } from '../test/helpers/chain-helpers.js';

export interface ChildConfig {
  dataDir: string;
  genesisFile: string;
  /** host:port of peers to bootstrap from (Kademlia and first dials). */
  bootstrap: string[];
}

/** bench -> child */
export type ChildCommand =
  | { cmd: 'mine'; tag: string }
  | { cmd: 'stats' }
  | { cmd: 'stop' };

/** child -> bench */
export type ChildReport =
  | { type: 'ready'; port: number; nodeId: string; tip: string }
  | { type: 'block'; id: string; height: number; at: number }
  | { type: 'mined'; id: string; at: number; status: string }
  | { type: 'stats'; bodiesReceived: number; peers: number; tip: string }
  | { type: 'error'; message: string };

const wallNow = (): number => performance.timeOrigin + performance.now();

function send(r: ChildReport): void {
  process.send?.(r);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const node: RunningNode = await startNode({
    dataDir: config.dataDir, genesisPath: config.genesisFile, host: '127.0.0.1', port: 0, apiHost: '127.0.0.1', apiPort: 0,
    bootstrap: config.bootstrap, mine: false, threads: 1, logLevel: 'silent', logger: silentLogger,
    p2pLimits: { dialIntervalMs: 200 }, kadRefreshIntervalMs: 10_000, // fast enough to build the mesh in seconds, rare enough not to load the cores while measuring
  });
  node.chain.on('block', (e) => send({ type: 'block', id: e.id, height: e.height, at: wallNow() }));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await node.stop().catch(() => undefined);
    process.exit(0);
  };
  // The bench going away (crash or kill) must not leave this node running.
  process.on('disconnect', () => void stop());
  process.on('message', (m: ChildCommand) => {
    void (async () => {
      try {
        if (m.cmd === 'stop') return await stop();
        if (m.cmd === 'stats') {
          return send({ type: 'stats', bodiesReceived: node.gossip.stats.bodiesReceived, peers: node.net.peers().length, tip: node.chain.tip.idHex });
        }
        const block = await childOf(node.chain, await tipEntry(node.chain), [], BigInt(m.tag));
        const at = wallNow();
        const r = await node.chain.submitBlock(block);
        send({ type: 'mined', id: blockIdHex(block), at, status: r.status });
      } catch (e) {
        send({ type: 'error', message: (e as Error).message });
      }
    })();
  });
  send({ type: 'ready', port: node.port, nodeId: node.nodeId, tip: node.chain.tip.idHex });
}

main().catch((e: unknown) => {
  send({ type: 'error', message: (e as Error).message });
  process.exit(1);
});
