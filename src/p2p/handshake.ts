// The handshake, as pure functions. Both sides send, as soon as the socket opens:
//   hello    {version, genesis, publicKey, listenPort, challenge (32 random bytes), tip}
// and, on receiving the other's hello:
//   helloAck {signature = Ed25519(secretKey, DOMAIN || theirChallenge || genesis || ourPublicKey)}
// The signature proves the node id (SHA-256 of publicKey) for this connection only (fresh
// challenge: no replay), for this chain only (genesis), and binds the signer's key (no reflection:
// a relay cannot pass our own ack back to us as its proof). A connection is ready when we have the
// peer's hello and a valid ack. The network refuses with close reasons from errors.ts.
import { bytesEqual, signMessage, verifySignature } from '../crypto/index.js';
import type { P2PReason } from './errors.js';
import { PROTOCOL_VERSION, type MessageOf } from './messages.js';

const DOMAIN = new TextEncoder().encode('kadchain-handshake-v1');

/** The exact bytes a helloAck signs. */
export function handshakeProofMessage(challenge: Uint8Array, genesis: Uint8Array, signerPublicKey: Uint8Array): Uint8Array {
  const m = new Uint8Array(DOMAIN.length + 96);
  m.set(DOMAIN, 0);
  m.set(challenge, DOMAIN.length);
  m.set(genesis, DOMAIN.length + 32);
  m.set(signerPublicKey, DOMAIN.length + 64);
  return m;
}

export function signHandshake(theirChallenge: Uint8Array, genesis: Uint8Array, ourSecretKey: Uint8Array, ourPublicKey: Uint8Array): Uint8Array {
  return signMessage(handshakeProofMessage(theirChallenge, genesis, ourPublicKey), ourSecretKey);
}

export function verifyHandshake(ourChallenge: Uint8Array, genesis: Uint8Array, theirPublicKey: Uint8Array, signature: Uint8Array): boolean {
  return verifySignature(handshakeProofMessage(ourChallenge, genesis, theirPublicKey), signature, theirPublicKey);
}

/** Checks of a hello that need no connection state; undefined when acceptable. */
export function checkHello(hello: MessageOf<'hello'>, ours: { genesis: Uint8Array; publicKey: Uint8Array }): P2PReason | undefined {
  if (hello.version !== PROTOCOL_VERSION) return 'bad-version';
  if (!bytesEqual(hello.genesis, ours.genesis)) return 'wrong-genesis';
  if (bytesEqual(hello.publicKey, ours.publicKey)) return 'self-connection';
  return undefined;
}

/**
 * Two connections between the same pair of nodes (both dialled at once, or a reconnect racing
 * the old socket): both ends must keep the same one. Rule: keep the connection dialled by the node
 * with the smaller id. Same direction on our side means a plain duplicate: keep the existing one.
 */
export function keepNewConnection(ourId: string, theirId: string, existing: 'inbound' | 'outbound', incoming: 'inbound' | 'outbound'): boolean {
  if (existing === incoming) return false;
  const weDialledNew = incoming === 'outbound';
  const weAreSmaller = ourId < theirId;
  return weDialledNew === weAreSmaller;
}
