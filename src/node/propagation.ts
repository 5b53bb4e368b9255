// A small bounded record, kept at the node's gossip edge, of how recent blocks reached this node:
// when each connected peer announced a block (inv) or sent its body, who it was first seen from,
// and when it connected. It only listens; it never changes what gossip does. The explorer's
// propagation view and GET /api/propagation read it.
import { toHex } from '../crypto/index.js';
import type { Chain, ConnectedBlockEvent } from '../chain/index.js';
import { blockIdHexOf, type Message, type P2PNetwork, type Peer } from '../p2p/index.js';
import type { PropagationJson } from '../api/index.js';

export const PROPAGATION_BLOCKS = 32;
/** Announcements kept per block (one per peer). */
export const PROPAGATION_PEERS = 64;
/** A `headers` message this short is a tip announcement (relay sends one header per new tip). */
const ANNOUNCED_HEADERS = 8;

export class PropagationRecorder {
  /** Block id -> record, oldest first (Map keeps insertion order). */
  private readonly blocks = new Map<string, PropagationJson>();
  private started = false;

  private readonly onMessage = (peer: Peer, m: Message): void => {
    if (m.kind === 'inv') {
      for (const it of m.items) if (it.type === 'block') this.saw(toHex(it.id), peer, 'inv');
    } else if (m.kind === 'headers' && m.headers.length <= ANNOUNCED_HEADERS) {
      // New tips are announced with their header; a long headers reply is sync, not an announcement.
      for (const h of m.headers) this.saw(blockIdHexOf(h), peer, 'header');
    } else if (m.kind === 'block') {
      this.saw(blockIdHexOf(m.bytes), peer, 'block');
    }
  };
  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    const r = this.record(e.id);
    r.height = e.height;
    r.connectedAt ??= this.now();
    // Connected before any peer mentioned it: mined here, or submitted through the API.
    if (r.firstFrom === null && r.announcements.length === 0) r.firstFrom = 'local';
  };

  constructor(private readonly chain: Chain, private readonly net: P2PNetwork, private readonly now: () => number = Date.now) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    this.chain.on('block', this.onBlock);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.chain.off('block', this.onBlock);
  }

  /** Newest first. */
  list(): PropagationJson[] {
    return [...this.blocks.values()].reverse().map((r) => ({ ...r, announcements: [...r.announcements] }));
  }

  private record(id: string): PropagationJson {
    let r = this.blocks.get(id);
    if (!r) {
      r = { id, height: null, firstSeenAt: this.now(), firstFrom: null, connectedAt: null, announcements: [] };
      this.blocks.set(id, r);
      if (this.blocks.size > PROPAGATION_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    }
    return r;
  }

  private saw(id: string, peer: Peer, via: 'inv' | 'header' | 'block'): void {
    // Only blocks we hear about fresh; an inv for a long-known block (a peer catching up) is noise.
    if (!this.blocks.has(id) && this.chain.tip.idHex === id) return;
    const r = this.record(id);
    if (r.firstFrom === null) r.firstFrom = peer.id;
    if (r.announcements.some((a) => a.peer === peer.id) || r.announcements.length >= PROPAGATION_PEERS) return;
    r.announcements.push({ peer: peer.id, host: `${peer.host}:${peer.listenPort}`, at: this.now(), via });
  }
}
