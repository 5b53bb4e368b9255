// Child of bench/wake-floor.ts: the barest echo server of its kind, to measure what one wake of a
// Node process costs on this machine with nothing of kadchain in it. `net`: a TCP socket echoing
// each chunk; `ws`: the ws library (as kadchain uses it, no compression) echoing each message.
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
const send = (port: number): void => void process.send?.(port);
if (kind === 'net') {
  const server = createServer((c) => c.on('data', (d) => c.write(d)));
  server.listen(0, '127.0.0.1', () => send((server.address() as { port: number }).port));
} else if (kind === 'ws') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (s) => s.on('message', (d: Buffer) => s.send(d)));
  wss.on('listening', () => send((wss.address() as { port: number }).port));
} else {
  throw new Error(`expected net or ws, got ${String(kind)}`);
}
// The parent's disconnect (or its death) ends this child.
process.on('disconnect', () => process.exit(0));
