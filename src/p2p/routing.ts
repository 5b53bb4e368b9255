// Per-message bookkeeping on both directions: what a received message updates (known ids, the
// request tracker, keep-alive, wire-level penalties) before the node sees it, and what a sent one
// records. Pure routing over the network's parts; no policy beyond p2p's own wire faults.
import type { Logger } from '../log/index.js';
import type { NetContext } from './config.js';
import { possibleTip } from './handshake.js';
import type { KeepAlive } from './keepalive.js';
import { idKey } from './lru.js';
import { bodyId, type Message, type MessageOf } from './messages.js';
import type { Peer } from './peer.js';
import type { RequestTracker } from './requests.js';
import type { Scoring } from './scoring.js';

/** An unasked `headers` message of at most this many is a new-tip announcement, not a reply. */
export const MAX_ANNOUNCED_HEADERS = 8;

/** Handles a received message's bookkeeping; true when it should reach the node as a `message` event. */
export function routeIncoming(ctx: NetContext, req: RequestTracker, scoring: Scoring, keepAlive: KeepAlive, peer: Peer, m: Message, now: number): boolean {
  switch (m.kind) {
    case 'hello':
    case 'helloAck':
      scoring.misbehave(peer, ctx.penalties.malformed, 'handshake-repeated');
      return false;
    case 'ping':
      keepAlive.onPing(peer, m.nonce);
      return false;
    case 'pong':
      keepAlive.onPong(peer, m.nonce, now);
      return false;
    case 'tip':
      if (!possibleTip(m.tip)) {
        scoring.misbehave(peer, ctx.penalties.malformed, 'impossible-tip');
        return false;
      }
      peer.tip = m.tip;
      return true;
    case 'inv':
      for (const it of m.items) peer.markKnown(idKey(it.id));
      return true;
    case 'block':
    case 'tx': {
      const k = idKey(bodyId(m.kind, m.bytes));
      peer.markKnown(k);
      ctx.seen.add(k);
      if (req.answered(peer, k)) req.pump(peer);
      else scoring.misbehave(peer, ctx.penalties.unrequested, `unrequested-${m.kind}`);
      return true;
    }
    case 'notfound': {
      let freed = false;
      for (const it of m.items) freed = req.answered(peer, idKey(it.id)) || freed;
      if (freed) req.pump(peer);
      return true;
    }
    case 'blocks': {
      let freed = false;
      for (const b of m.blocks) {
        const k = idKey(bodyId('block', b));
        peer.markKnown(k);
        ctx.seen.add(k);
        freed = req.answered(peer, k) || freed;
      }
      if (freed) req.pump(peer);
      const ex = req.closeExchange(peer, 'getblocks', m);
      if (!ex) scoring.misbehave(peer, ctx.penalties.unrequested, 'unrequested-blocks');
      // An awaited reply goes to its awaiting caller only.
      return !ex?.settle;
    }
    case 'headers': {
      const ex = req.closeExchange(peer, 'getheaders', m);
      if (!ex && m.headers.length > MAX_ANNOUNCED_HEADERS) scoring.misbehave(peer, ctx.penalties.unrequested, 'unrequested-headers');
      // An announcement: the peer knows (and has) these blocks; they are not announced back to it.
      else if (!ex) for (const h of m.headers) peer.markKnown(idKey(bodyId('block', h)));
      return !ex?.settle;
    }
    case 'getdata':
    case 'getblocks':
    case 'getheaders':
      return true;
  }
}

/** Bookkeeping for what a peer now has or was asked for, whatever path the message took. */
export function noteSent(ctx: NetContext, req: RequestTracker, peer: Peer, m: Message): void {
  switch (m.kind) {
    case 'inv':
      for (const it of m.items) {
        const k = idKey(it.id);
        peer.markAnnounced(k);
        if (it.type === 'tx') peer.markTxOffered(k);
      }
      return;
    case 'block':
    case 'tx': {
      const k = idKey(bodyId(m.kind, m.bytes));
      peer.markKnown(k);
      ctx.seen.add(k);
      return;
    }
    case 'blocks':
      for (const b of m.blocks) peer.markKnown(idKey(bodyId('block', b)));
      return;
    case 'getdata':
      // The node may fetch with a raw getdata too: record it so the answer counts as requested.
      return req.noteGetdata(peer, m.items);
    case 'getblocks':
    case 'getheaders':
      return req.openExchange(peer, m.kind);
    default:
      return;
  }
}

/** A `blocks` reply cut to fit maxPayload (the receiver asks again from its new locator). */
export function fitBlocks(m: MessageOf<'blocks'>, maxPayload: number, log: Logger): MessageOf<'blocks'> {
  let size = 2 + 2;
  let n = 0;
  for (const b of m.blocks) {
    if (size + 4 + b.length > maxPayload) break;
    size += 4 + b.length;
    n++;
  }
  if (n === m.blocks.length) return m;
  log.debug('blocks reply cut to fit maxPayload', { asked: m.blocks.length, sent: n });
  return { kind: 'blocks', blocks: m.blocks.slice(0, n) };
}
