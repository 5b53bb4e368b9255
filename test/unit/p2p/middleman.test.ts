// Handshake relay through a middleman (issue 15, item 1), on the real wire codec: M sits between
// honest nodes A and B, passes A's challenge to B as its own and forwards B's proof to A as if it
// were B's proof for this connection. The transcript proof (handshake.ts) binds both challenges and
// both keys, so A refuses the connection (`bad-proof`) and nobody is banned: a later direct
// connection between A and B works both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { generateKeyPair } from '../../../src/crypto/index.js';
import { P2PError, PROTOCOL_VERSION, decodeMessage, encodeMessage, signHandshake, verifyHandshake, type Message, type MessageOf } from '../../../src/p2p/index.js';
import { GENESIS_A, TIP, MemoryBanStore, nextEvent, startNet, stopAll, within } from './helpers.js';

function decodeOrUndefined(data: Buffer): Message | undefined {
  try {
    return decodeMessage(new Uint8Array(data));
  } catch {
    return undefined;
  }
}

test('handshake relay through a middleman: the connection fails and nobody is banned', async (t) => {
  const banStoreA = new MemoryBanStore();
  const banStoreB = new MemoryBanStore();
  const a = await startNet({ banStore: banStoreA });
  const b = await startNet({ banStore: banStoreB });
  const m = generateKeyPair();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  t.after(async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((r) => server.close(() => r()));
    await stopAll(a, b);
  });
  await within<void>('middleman listening', 5_000, (resolve) => server.once('listening', () => resolve()));
  const mPort = (server.address() as AddressInfo).port;

  // M: towards B, a dialler with M's own key and A's challenge; towards A, B's key and B's challenge.
  server.on('connection', (toA: WebSocket) => {
    sockets.push(toA);
    toA.on('error', () => {});
    const toB = new WebSocket(`ws://127.0.0.1:${b.port}`, { perMessageDeflate: false });
    sockets.push(toB);
    toB.on('error', () => {});
    let helloA: MessageOf<'hello'> | undefined;
    let helloB: MessageOf<'hello'> | undefined;
    const sendTo = (ws: WebSocket, msg: Message): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(msg));
    };
    const maybeOpenToB = (): void => {
      if (!helloA || !helloB) return;
      sendTo(toA, helloB);
      sendTo(toB, { kind: 'hello', version: PROTOCOL_VERSION, genesis: GENESIS_A, publicKey: m.publicKey, listenPort: 1, challenge: helloA.challenge, tip: TIP });
      // M proves its own key honestly to B (B answers only a proved dialler), over A's challenge.
      const transcript = { version: PROTOCOL_VERSION, genesis: GENESIS_A, dialer: { challenge: helloA.challenge, publicKey: m.publicKey }, listener: { challenge: helloB.challenge, publicKey: helloB.publicKey } };
      sendTo(toB, { kind: 'helloAck', signature: signHandshake(transcript, 'dialer', m.secretKey) });
    };
    toA.on('message', (data: Buffer) => {
      const msg = decodeOrUndefined(data);
      if (msg?.kind === 'hello') {
        helloA = msg;
        maybeOpenToB();
      }
    });
    toB.on('message', (data: Buffer) => {
      const msg = decodeOrUndefined(data);
      if (msg?.kind === 'hello') {
        helloB = msg;
        maybeOpenToB();
      } else if (msg?.kind === 'helloAck') {
        // B's proof, forwarded as if B had signed it for A; then misbehave in B's name.
        sendTo(toA, msg);
        for (let i = 0; i < 6; i++) if (toA.readyState === WebSocket.OPEN) toA.send(Uint8Array.of(0xff, 0xff, 0xff));
      }
    });
  });

  await assert.rejects(a.dial('127.0.0.1', mPort), (e: unknown) => e instanceof P2PError && e.reason === 'bad-proof', 'A refuses the relayed proof');
  assert.equal(a.peers().length, 0, 'A lists nobody as B');
  // M's malformed frames (if any got through) must not have cost B anything.
  assert.equal(a.isBanned(b.nodeId), false, 'B is not banned at A');
  assert.deepEqual(a.bannedList(), []);
  assert.deepEqual(b.bannedList(), []);
  // The honest nodes still connect directly, in both directions.
  const ab = await a.dial('127.0.0.1', b.port);
  assert.equal(ab.id, b.nodeId);
  const goneAtA = nextEvent(a, 'peer:disconnected', (p) => p.id === b.nodeId);
  const goneAtB = nextEvent(b, 'peer:disconnected', (p) => p.id === a.nodeId);
  a.disconnect(ab, 'closed');
  await Promise.all([goneAtA, goneAtB]);
  const ba = await b.dial('127.0.0.1', a.port);
  assert.equal(ba.id, a.nodeId);
});

test('handshake transcript: a proof holds only for the exact exchange, role and version it signed', () => {
  const dialer = generateKeyPair();
  const listener = generateKeyPair();
  const c = (v: number): Uint8Array => new Uint8Array(32).fill(v);
  const base = { version: PROTOCOL_VERSION, genesis: GENESIS_A, dialer: { challenge: c(1), publicKey: dialer.publicKey }, listener: { challenge: c(2), publicKey: listener.publicKey } };
  const sig = signHandshake(base, 'dialer', dialer.secretKey);
  assert.equal(verifyHandshake(base, 'dialer', sig), true);
  assert.equal(verifyHandshake(base, 'listener', sig), false, 'not as the other role');
  assert.equal(verifyHandshake({ ...base, version: PROTOCOL_VERSION + 1 }, 'dialer', sig), false, 'not for another version');
  assert.equal(verifyHandshake({ ...base, genesis: c(3) }, 'dialer', sig), false, 'not for another chain');
  assert.equal(verifyHandshake({ ...base, listener: { ...base.listener, challenge: c(4) } }, 'dialer', sig), false, "not for another listener's challenge");
  assert.equal(verifyHandshake({ ...base, dialer: { ...base.dialer, challenge: c(4) } }, 'dialer', sig), false, 'not for another own challenge');
  assert.equal(verifyHandshake({ ...base, listener: { ...base.listener, publicKey: generateKeyPair().publicKey } }, 'dialer', sig), false, 'not towards another verifier');
});
