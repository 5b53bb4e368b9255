// Child process of the conn-budget bench section, one role per process so each RSS is its own:
//   server-p2p        a P2PNetwork on 127.0.0.1:0 (half-open budget, upgrade deadline)
//   server-http       a plain node:http server, no budgets: the listener before issue 15 (the reference)
//   attack PORT N     opens N silent TCP sockets to PORT, at most 200 connecting at once
//   hog PORT N        holds N silent WebSockets to PORT (never sending hello), reopening each as it closes
// A server prints {port}, then on a "report" line on stdin prints {rssGrowth} (peak RSS over the
// attack, bytes) and exits. The attacker prints {opened, closed} when every socket is settled and
// exits when stdin closes.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { createInterface } from 'node:readline';
import { generateKeyPair } from '../src/crypto/index.js';
import { P2PNetwork } from '../src/p2p/index.js';

const [role, portArg, countArg] = process.argv.slice(2);
const out = (o: unknown): boolean => process.stdout.write(JSON.stringify(o) + '\n');

async function server(): Promise<void> {
  let port: number;
  let stop: () => Promise<void>;
  if (role === 'server-p2p') {
    const net = new P2PNetwork({ secretKey: generateKeyPair().secretKey, genesisHash: new Uint8Array(32).fill(1), host: '127.0.0.1', port: 0, getTip: () => ({ id: new Uint8Array(32), height: 0, work: 0n }) });
    await net.start();
    port = net.port;
    stop = () => net.stop();
  } else {
    const held = new Set<Socket>();
    const srv = createServer((_req, res) => res.end());
    srv.headersTimeout = 5_000;
    srv.on('connection', (s: Socket) => {
      held.add(s);
      s.once('close', () => held.delete(s));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as { port: number }).port;
    stop = async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    };
  }
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  out({ port });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'report') continue;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    out({ rssGrowth: peak - before });
    await stop();
    process.exit(0);
  }
}

async function attack(): Promise<void> {
  const port = Number(portArg);
  const total = Number(countArg);
  const sockets: Socket[] = [];
  let opened = 0;
  let closed = 0;
  const openOne = (): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      s.once('connect', () => (opened++, resolve()));
      s.once('close', () => (closed++, resolve()));
      sockets.push(s);
    });
  for (let i = 0; i < total; i += 200) await Promise.all(Array.from({ length: Math.min(200, total - i) }, () => openOne()));
  out({ opened, closed });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function hog(): void {
  const port = Number(portArg);
  let stopped = false;
  let opens = 0;
  const openOne = (): void => {
    if (stopped || opens >= 100_000) return;
    opens++;
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.on('error', () => {});
    ws.once('close', () => setImmediate(openOne));
  };
  for (let i = 0; i < Number(countArg); i++) openOne();
  out({ started: Number(countArg) });
  process.stdin.on('end', () => {
    stopped = true;
    process.exit(0);
  });
  process.stdin.resume();
}

if (role === 'attack') await attack();
else if (role === 'hog') hog();
else await server();
