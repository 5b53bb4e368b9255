// The handshake, as pure functions. Both sides send, as soon as the socket opens:
//   hello    {version, genesis, publicKey, listenPort, challenge (32 random bytes), tip}
// then each proves its key with
//   helloAck {signature = Ed25519(secretKey, transcript(signer role))}
// over a transcript of the whole exchange: DOMAIN, protocol version, genesis, the dialler's and
// the listener's challenge and public key, and the signer's role. Binding both challenges and both
// keys is what stops a relay: a middleman that passes one node's challenge to another gets a proof
// over a transcript naming the middleman's key (or its own challenge), which the first node does
// not accept. The dialler proves first; the listener verifies that proof before it sends its own,
// so a listener never signs for an unproven peer. The network refuses with close reasons from
// errors.ts; a bad proof is a refusal, never a ban (the peer's claimed id is not proved).
// Known limit: frames after the handshake are not authenticated, so a middleman that forwards
// every byte unchanged ends up as a transparent pipe (as any TCP router is); keying frames to the
// handshake (Noise transport keys) is the step that would make injection into such a pipe fail.
import { bytesEqual, signMessage, verifySignature } from '../crypto/index.js';
import type { P2PReason } from './errors.js';
import { PROTOCOL_VERSION, type MessageOf, type TipInfo } from './messages.js';

const DOMAIN = new TextEncoder().encode('kadchain-handshake-transcript-v2');

/** One side of a handshake: the challenge it sent and the key it claimed. */
export interface HandshakeSide {
  challenge: Uint8Array;
  publicKey: Uint8Array;
}

/** Everything both sides saw in the two hellos, named by role (the dialler opened the socket). */
export interface HandshakeTranscript {
  version: number;
  genesis: Uint8Array;
  dialer: HandshakeSide;
  listener: HandshakeSide;
}

export type HandshakeRole = 'dialer' | 'listener';

/** The exact bytes a helloAck signs. */
export function handshakeProofMessage(t: HandshakeTranscript, signer: HandshakeRole): Uint8Array {
  const fields = [t.genesis, t.dialer.challenge, t.dialer.publicKey, t.listener.challenge, t.listener.publicKey];
  for (const f of fields) if (f.length !== 32) throw new RangeError('handshake transcript: 32-byte fields expected');
  const m = new Uint8Array(DOMAIN.length + 2 + 32 * fields.length + 1);
  m.set(DOMAIN, 0);
  let o = DOMAIN.length;
  m[o++] = (t.version >>> 8) & 0xff;
  m[o++] = t.version & 0xff;
  for (const f of fields) {
    m.set(f, o);
    o += 32;
  }
  m[o] = signer === 'dialer' ? 1 : 2;
  return m;
}

export function signHandshake(t: HandshakeTranscript, signer: HandshakeRole, secretKey: Uint8Array): Uint8Array {
  return signMessage(handshakeProofMessage(t, signer), secretKey);
}

/** True when `signature` is `signer`'s proof over this transcript, by the key that side claimed. */
export function verifyHandshake(t: HandshakeTranscript, signer: HandshakeRole, signature: Uint8Array): boolean {
  return verifySignature(handshakeProofMessage(t, signer), signature, t[signer].publicKey);
}

/** Most work one block adds: work = 2^256 / (target + 1), and a target of 0 gives 2^256. */
const MAX_BLOCK_WORK = 1n << 256n;

/**
 * Whether a claimed tip is arithmetically possible: every block adds at least 1 and at most 2^256
 * of work (the genesis's own work may be left out, so the floor is the height). A claim outside
 * these bounds is a lie no header can back; the codec alone allows 64-byte work at any height.
 */
export function possibleTip(tip: TipInfo): boolean {
  return tip.work >= BigInt(tip.height) && tip.work <= (BigInt(tip.height) + 1n) * MAX_BLOCK_WORK;
}

/** Checks of a hello that need no connection state; undefined when acceptable. */
export function checkHello(hello: MessageOf<'hello'>, ours: { genesis: Uint8Array; publicKey: Uint8Array }): P2PReason | undefined {
  if (hello.version !== PROTOCOL_VERSION) return 'bad-version';
  if (!bytesEqual(hello.genesis, ours.genesis)) return 'wrong-genesis';
  if (bytesEqual(hello.publicKey, ours.publicKey)) return 'self-connection';
  if (!possibleTip(hello.tip)) return 'bad-tip';
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
