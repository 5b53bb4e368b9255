// The sending side of the network: one message to one peer (cut or refused to fit maxPayload),
// bodies at most once per peer, announcements (`inv`, a new tip's header) to every peer that does
// not know the id yet, request/reply exchanges through the request tracker, and the one place
// bytes hit a socket, where the hard send-buffer bound drops a slow reader.
import { WebSocket } from 'ws';
import type { NetContext } from './config.js';
import { P2PError } from './errors.js';
import { idKey } from './lru.js';
import { MAX_INV_ITEMS, bodyId, encodeBlockMessage, encodeMessage, type InvItem, type InvType, type Message, type MessageOf } from './messages.js';
import type { Peer } from './peer.js';
import type { RequestTracker } from './requests.js';
import { fitBlocks, noteSent } from './routing.js';

export class Sender {
  constructor(private readonly ctx: NetContext, private readonly requests: RequestTracker) {}

  /** See P2PNetwork.send. */
  send(peer: Peer, m: Message): boolean {
    if (!peer.connected) return false;
    const msg = m.kind === 'blocks' ? fitBlocks(m, this.ctx.limits.maxPayload, this.ctx.log) : m;
    return this.sendEncoded(peer, msg, msg.kind === 'block' ? encodeBlockMessage(msg) : encodeMessage(msg));
  }

  /** Sends `m` already encoded as `bytes` (one encoding shared by many peers). */
  private sendEncoded(peer: Peer, m: Message, bytes: Uint8Array): boolean {
    if (bytes.length > this.ctx.limits.maxPayload) {
      this.ctx.log.warn('message over maxPayload not sent', { kind: m.kind, bytes: bytes.length, peer: peer.id.slice(0, 16) });
      return false;
    }
    noteSent(this.ctx, this.requests, peer, m);
    return this.write(peer, bytes);
  }

  /** A body unless the peer already has it (it announced or was sent it). */
  sendBody(peer: Peer, type: InvType, bytes: Uint8Array): boolean {
    const k = idKey(bodyId(type, bytes));
    if (peer.has.has(k)) return false;
    return type === 'block' ? this.send(peer, { kind: 'block', bytes }) : this.send(peer, { kind: 'tx', bytes });
  }

  /** See P2PNetwork.broadcast. */
  broadcast(m: Message, except?: Peer): number {
    let n = 0;
    for (const p of [...this.ctx.byId.values()]) if (p !== except && this.send(p, m)) n++;
    return n;
  }

  /** See P2PNetwork.announce. */
  announce(type: InvType, ids: Uint8Array[], except?: Peer): number {
    const keys = ids.map((id) => idKey(id));
    for (const k of keys) this.ctx.seen.add(k);
    let n = 0;
    for (const p of [...this.ctx.byId.values()]) {
      if (p === except) continue;
      const items: InvItem[] = [];
      for (let i = 0; i < ids.length; i++) if (!p.known.has(keys[i]!)) items.push({ type, id: ids[i]! });
      if (!items.length) continue;
      let ok = false;
      for (let i = 0; i < items.length; i += MAX_INV_ITEMS) ok = this.send(p, { kind: 'inv', items: items.slice(i, i + MAX_INV_ITEMS) }) || ok;
      if (ok) n++;
    }
    return n;
  }

  /** See P2PNetwork.announceHeader. */
  announceHeader(id: Uint8Array, header: Uint8Array, except?: Peer): number {
    const k = idKey(id);
    this.ctx.seen.add(k);
    // The same bytes go to every peer: encoded once, not once per peer (this is on the relay's hot path).
    const m: Message = { kind: 'headers', headers: [header] };
    let bytes: Uint8Array | undefined;
    let n = 0;
    for (const p of [...this.ctx.byId.values()]) {
      if (p === except || p.known.has(k) || !p.connected) continue;
      p.markAnnounced(k);
      bytes ??= encodeMessage(m);
      if (this.sendEncoded(p, m, bytes)) n++;
    }
    return n;
  }

  /** See P2PNetwork.exchange. */
  exchange(peer: Peer, m: MessageOf<'getheaders'> | MessageOf<'getblocks'>): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      if (!peer.connected) return reject(new P2PError('closed', `peer ${peer.id.slice(0, 16)} is gone`));
      this.requests.openExchange(peer, m.kind, (reply, reason) => {
        if (reply) resolve(reply);
        else reject(new P2PError(reason === 'timeout' ? 'timeout' : 'closed', `${m.kind} to ${peer.id.slice(0, 16)}: ${reason ?? 'no reply'}`));
      });
      if (!this.write(peer, encodeMessage(m))) this.requests.dropped(peer);
    });
  }

  /** The one place bytes hit a socket: enforces the hard send-buffer bound. */
  write(peer: Peer, bytes: Uint8Array): boolean {
    const ws = peer.ws;
    if (peer.dropped || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount + bytes.length > 4 * this.ctx.limits.maxBufferedBytes) {
      this.ctx.disconnect(peer, 'slow-reader');
      return false;
    }
    ws.send(bytes, { binary: true });
    return true;
  }
}
