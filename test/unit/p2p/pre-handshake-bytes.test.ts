// Bytes before the handshake: ws buffers a frame up to maxPayload (4 MiB) before the node sees any
// of it, so a socket that never says hello could make the node hold 4 MiB per half-open slot. Both
// directions are cut off at `preHandshakeBytes`; an honest handshake, and the large frames that
// may follow its proof at once, still pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { P2PError } from '../../../src/p2p/index.js';
import { RawPeer, nextEvent, startNet, stopAll } from './helpers.js';

const FRAME_PAYLOAD = 4 * 1024 * 1024 - 64; // under maxPayload: ws would wait for all of it
const SENT = 320 * 1024; // over the 256 KiB default

/** The header of one binary WebSocket frame of `length` bytes (masked, as a client must). */
function frameHeader(length: number, masked: boolean): Buffer {
  const h = Buffer.alloc(masked ? 14 : 10);
  h[0] = 0x82;
  h[1] = (masked ? 0x80 : 0) | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h; // a zero mask key: the payload goes as written
}

/** Writes `n` bytes in 16 KiB pieces while the socket is open. */
async function trickle(socket: Socket, n: number): Promise<void> {
  const piece = Buffer.alloc(16 * 1024, 0x41);
  for (let sent = 0; sent < n && !socket.destroyed; sent += piece.length) {
    if (!socket.write(piece)) await new Promise((r) => setTimeout(r, 5));
  }
}

test('pre-handshake oversize: a silent dialler announcing a 4 MiB frame is cut off at preHandshakeBytes (before: held until the handshake timeout)', async () => {
  const a = await startNet();
  try {
    const c = await RawPeer.connect(a.port, { silent: true });
    const refused = nextEvent(a, 'peer:refused');
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.write(frameHeader(FRAME_PAYLOAD, true));
    await trickle(socket, SENT);
    const [info] = await refused;
    assert.equal(info.reason, 'oversize', `expected the node to refuse the flood as oversize, got ${info.reason}`);
    assert.equal(a.peers().length, 0);
    await c.close();
  } finally {
    await a.stop();
  }
});

test('pre-handshake oversize: a listener that answers our dial with a 4 MiB frame is cut off at preHandshakeBytes', async () => {
  // A bare TCP server that completes the WebSocket upgrade and then streams one huge frame.
  const server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', (req) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(req.toString())?.[1] ?? '';
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      s.write(frameHeader(FRAME_PAYLOAD, false));
      void trickle(s, SENT);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = await startNet();
  try {
    const port = (server.address() as AddressInfo).port;
    const err = await a.dial('127.0.0.1', port).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof P2PError, `expected a P2PError, got ${String(err)}`);
    assert.equal(err.reason, 'oversize');
  } finally {
    await a.stop();
    server.close();
  }
});

test('pre-handshake bytes: a listener that sends a large frame right behind its proof is not cut off (the allowance ends at the proof)', async () => {
  const limits = { preHandshakeBytes: 4096 };
  const a = await startNet({ limits });
  const b = await startNet({ limits });
  try {
    // 20,000 inv items (~660 KB) from the listener the moment the dialler is ready on its side.
    const items = Array.from({ length: 20_000 }, (_, i) => ({ type: 'tx' as const, id: new Uint8Array(32).fill(i & 0xff) }));
    b.on('peer:connected', (p) => void b.send(p, { kind: 'inv', items }));
    const got = nextEvent(a, 'message', (_p, m) => m.kind === 'inv');
    const ab = await a.dial('127.0.0.1', b.port);
    const [from, m] = await got;
    assert.equal(from, ab);
    assert.equal(m.kind === 'inv' && m.items.length, 20_000);
    assert.equal(ab.dropped, false);
  } finally {
    await stopAll(a, b);
  }
});
