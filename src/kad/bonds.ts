// Endpoint proofs ("bonds"), keyed by (node id, IP) as geth's discv4 keys them: which signers
// answered our PING from an IP (we may answer their FIND_*), which ones we answered (they may answer
// ours), the ping-backs that verify an unbonded asker, and the one request per (id, IP) held until
// that asker's PONG arrives. Bonding is lazy (one round trip, on demand): the asker never runs a bond
// round of its own, and a spoofer gets one PING, no larger than its request. Every map is bounded
// and expires. A signed answer to any of our requests bonds its signer the same way a PONG does,
// and so does a PONG that arrives after its PING gave up (a loaded peer's queue).
import { ExpiringLru } from './bounded.js';
import type { DecodedPacket } from './packet.js';
import type { Contact } from './routing-table.js';
import type { Rpc } from './rpc.js';
import type { Clock } from './transport.js';

// Bond keys, one string per (id, IP) made once: every request, PING and answer looks a bond up
// (3-5 times per datagram), and a key built each time is a new 70-odd-character string to allocate
// and hash again. An id's key is kept with the IP it was made for (one IP per id, nearly always).
// Bounded; cleared when full.
const keyOf = new Map<string, { host: string; key: string }>();
function bondKey(idHex: string, host: string): string {
  const k = keyOf.get(idHex);
  if (k !== undefined && k.host === host) return k.key;
  const key = `${idHex}@${host}`;
  if (keyOf.size >= 8192) keyOf.clear();
  keyOf.set(idHex, { host, key });
  return key;
}

/** What the bonds need from their node. */
export interface BondsHost {
  running(): boolean;
  /** A verified contact: the routing table hears of it. */
  observe(c: Contact): void;
  /** A held request whose sender has just bonded: handle it now. */
  release(p: DecodedPacket, host: string, port: number): void;
  /** A ping-back went out (counted: it is what the endpoint proof costs in datagrams). */
  pingedBack(): void;
}

export interface BondsOptions {
  /** Entries per map (endpoint proofs); ping-backs and held requests get a quarter, 8..256. */
  cap: number;
  /** How long a proof lasts. */
  proofMs: number;
  /** The configured per-attempt timeout (ping-backs wait twice this; held requests three times). */
  responseTimeoutMs: number;
  /** Off: every (id, IP) counts as bonded (large seeded simulations measure routing alone). */
  endpointProof: boolean;
  /** Our own id (hex): when two nodes ask each other at once, the lower one waits for the other's ping-back. */
  selfHex: string;
}

export class Bonds {
  /** (id, IP) -> it answered our PING from there (we may answer its FIND_*). */
  private readonly verified: ExpiringLru<true>;
  /** (id, IP) -> we answered its PING (it may answer our FIND_*). */
  private readonly proved: ExpiringLru<true>;
  /** (id, IP) -> our ping-backs to it in flight and when the last went out (bounded by maxPingBacks). */
  private readonly pingingBack = new Map<string, { sentAt: number; out: number }>();
  /** (id, IP) -> a FIND_* or STORE held until that sender answers our PING (at most one each, short-lived). */
  private readonly held: ExpiringLru<{ port: number; packet: DecodedPacket }>;
  private readonly maxPingBacks: number;

  constructor(private readonly rpc: Rpc, private readonly clock: Clock, private readonly node: BondsHost, private readonly opts: BondsOptions) {
    this.verified = new ExpiringLru(opts.cap, opts.proofMs);
    this.proved = new ExpiringLru(opts.cap, opts.proofMs);
    this.maxPingBacks = Math.max(8, Math.min(256, opts.cap >> 2));
    this.held = new ExpiringLru(this.maxPingBacks, opts.responseTimeoutMs * 3);
  }

  get sizes(): { verified: number; provedTo: number; held: number } {
    return { verified: this.verified.size, provedTo: this.proved.size, held: this.held.size };
  }

  /** Did this signer answer our PING from this IP (may we answer its FIND_*)? */
  isVerified(idHex: string, host: string, now: number): boolean {
    return !this.opts.endpointProof || this.verified.get(bondKey(idHex, host), now) === true;
  }

  /** Did we answer this signer's PING from this IP (will it answer our FIND_* at once)? */
  provedTo(idHex: string, host: string, now: number): boolean {
    return !this.opts.endpointProof || this.proved.get(bondKey(idHex, host), now) === true;
  }

  /** We answered its PING: our endpoint is proved to it. */
  answeredPing(idHex: string, host: string, now: number): void {
    this.proved.set(bondKey(idHex, host), true, now);
  }

  /**
   * A PONG that arrives after its PING gave up (a loaded peer's queue, e.g. a bootstrap while many
   * join) still bonds its signer: it is signed, echoes our request id and comes from the endpoint
   * we pinged. Dropping it left a joiner's held FIND_NODE unanswered and its table empty for seconds.
   */
  latePong(host: string, port: number): (p: DecodedPacket) => void {
    return (p) => {
      if (this.node.running() && p.body.type === 'pong') this.onPong(p, host, port);
    };
  }

  onPong(p: DecodedPacket, host: string, port: number): Contact {
    const now = this.clock.monotonic();
    if (p.body.type === 'pong' && p.body.verified) this.proved.set(bondKey(p.senderHex, host), true, now);
    return this.bonded(p.senderId, p.senderHex, host, port, now);
  }

  /** A signed answer to our request came from (id, IP): it is bonded; a request it sent while unbonded is handled now. */
  bonded(id: Uint8Array, idHex: string, host: string, port: number, now: number): Contact {
    const key = bondKey(idHex, host);
    this.verified.set(key, true, now);
    const c = { id, idHex, host, port, lastSeen: now };
    this.node.observe(c);
    const held = this.held.get(key, now);
    if (held) {
      this.held.delete(key);
      this.node.release(held.packet, host, held.port);
    }
    return c;
  }

  /** A request from an unbonded (id, IP): held (the latest one) until the sender answers our PING. */
  hold(p: DecodedPacket, host: string, port: number, senderHex: string, now: number): void {
    const key = bondKey(senderHex, host);
    const pinging = this.pingingBack.has(key);
    if (!pinging && this.pingingBack.size >= this.maxPingBacks) return;
    this.held.set(key, { port, packet: p }, now);
    if (!pinging && this.answerComing(host, port, senderHex, now)) return;
    this.pingBack(host, port, senderHex);
  }

  /**
   * Will a signed answer from this sender, to a request of ours already out, bond it (and release
   * what it asked) without a ping-back? Yes when that request is a PING (answered at once), when
   * we answered the sender's own bond PING (it can answer us now), and when both ask each other at
   * once: the lower id waits while the higher pings (one ping-back, not two crossing; the sender's
   * ping-back for our request is what makes its answer come). A lost datagram is recovered by the
   * retries of either request. In a 150-node join a quarter of the held requests came from a node
   * we were awaiting.
   */
  private answerComing(host: string, port: number, senderHex: string, now: number): boolean {
    if (!this.opts.endpointProof) return false;
    const awaited = this.rpc.awaiting(host, port, senderHex);
    if (awaited === undefined) return false;
    return awaited === 'ping' || this.provedTo(senderHex, host, now) || this.opts.selfHex < senderHex;
  }

  /**
   * One PING to verify an unbonded sender; bounded in flight. No retries of its own: the sender's
   * retries drive ours. A request from it that arrives once our PING has been out half a timeout is
   * the sender's retry, so that PING or its PONG was probably lost: it goes again (one PING per
   * request received, at most 3 out per sender, each no larger than the request). Sent once only,
   * one lost bond datagram lost the held request: the asker gave up before the ping-back's window ended.
   */
  pingBack(host: string, port: number, idHex: string): void {
    const key = bondKey(idHex, host);
    const now = this.clock.monotonic();
    const cur = this.pingingBack.get(key);
    if (cur ? cur.out >= 3 || now - cur.sentAt < this.rpc.timeoutMs / 2 : this.pingingBack.size >= this.maxPingBacks) return;
    const entry = cur ?? { sentAt: now, out: 0 };
    entry.sentAt = now;
    entry.out++;
    this.pingingBack.set(key, entry);
    // The full (not the adaptive) timeout, doubled: a loaded peer is not pinged again while its
    // answer is on the way (and a PONG later still bonds, through latePong).
    const timeoutMs = 2 * this.opts.responseTimeoutMs;
    this.node.pingedBack();
    void this.rpc.request(host, port, { type: 'ping' }, ['pong'], { expectId: idHex, attempts: 1, timeoutMs, onLate: this.latePong(host, port) }).then((r) => {
      if (--entry.out === 0 && this.pingingBack.get(key) === entry) this.pingingBack.delete(key);
      const p = r?.[0];
      if (p && p.body.type === 'pong' && this.node.running()) this.onPong(p, host, port);
    });
  }
}
