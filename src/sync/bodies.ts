// Block bodies coming in: a requested body is checked against its header (merkle root) before the
// download window buffers it; a body nobody asked for (a late answer to a moved request, a pushed
// block) has its header checked like an announced one first; a `notfound` for a body on the header
// chain the peer proved is withholding. Remembers which peer delivered each block (relay skips it).
import type { Chain } from '../chain/index.js';
import { blockId, blockMerkleRoot, decodeBlock, encodeHeader, type Block } from '../core/index.js';
import { bytesEqual, toHex } from '../crypto/index.js';
import { blockIdHexOf, type InvItem, type LruSet, type Peer } from '../p2p/index.js';
import { SyncError, type SyncReason } from './errors.js';
import type { HeaderNode, HeaderTree } from './header-tree.js';
import type { PeerHeaders } from './peer-headers.js';
import type { DownloadWindow } from './window.js';

/** Delivering peers remembered, oldest forgotten first. */
const MAX_SOURCES = 4_096;

export interface BodyStats {
  bodiesReceived: number;
  duplicateBodies: number;
}

export interface BodyIntakeDeps {
  chain: Chain;
  tree: HeaderTree;
  window: DownloadWindow;
  headers: PeerHeaders;
  recentlyStored: LruSet;
  stats: BodyStats;
  refuse: (peer: Peer, reason: SyncReason, detail: string) => void;
  schedule: () => void;
  failed: (what: string, e: unknown) => void;
}

export class BodyIntake {
  /** Which peer delivered a block: its announcement skips it. */
  private readonly sources = new Map<string, Peer>();

  constructor(private readonly d: BodyIntakeDeps) {}

  sourceOf(idHex: string): Peer | undefined {
    return this.sources.get(idHex);
  }

  onBody(peer: Peer, bytes: Uint8Array): void {
    const d = this.d;
    let block: Block;
    try {
      block = decodeBlock(bytes);
    } catch {
      return d.refuse(peer, 'malformed-block', 'block does not decode');
    }
    // The router hashed these bytes already (memoised per bytes object): no second hash.
    const idHex = blockIdHexOf(bytes);
    d.stats.bodiesReceived++;
    if (!d.window.requestedFrom(idHex)) {
      d.window.lateAnswer(idHex, peer);
      void this.onUnrequested(peer, block, idHex).catch((e: unknown) => d.failed('block', e));
      return;
    }
    // The body must be the one the header commits to before it goes anywhere near the chain.
    if (!bytesEqual(blockMerkleRoot(block.txs), block.header.merkleRoot)) {
      d.window.release(idHex);
      d.schedule();
      return d.refuse(peer, 'body-mismatch', `body of ${idHex.slice(0, 16)} does not match its header's merkle root`);
    }
    d.window.arrived(idHex, peer, block);
    this.remember(idHex, peer);
    d.schedule();
  }

  onNotFound(peer: Peer, items: InvItem[]): void {
    const d = this.d;
    let withheld = 0;
    for (const it of items) {
      if (it.type !== 'block') continue;
      const k = toHex(it.id);
      if (d.window.requestedFrom(k) !== peer) continue;
      d.window.release(k);
      withheld++;
    }
    if (withheld) d.refuse(peer, 'withheld-bodies', `notfound for ${withheld} block(s) on the header chain it proved`);
    d.schedule();
  }

  private remember(idHex: string, peer: Peer): void {
    this.sources.set(idHex, peer);
    if (this.sources.size > MAX_SOURCES) this.sources.delete(this.sources.keys().next().value!);
  }

  /**
   * A body we did not ask for (a late answer to a reassigned request, or a pushed block): its
   * header is checked like an announced one before the body goes anywhere.
   */
  private async onUnrequested(peer: Peer, block: Block, idHex: string): Promise<void> {
    const d = this.d;
    if (d.window.isWanted(idHex) || d.recentlyStored.has(idHex) || (await d.chain.entry(blockId(block)))) {
      d.stats.duplicateBodies++;
      return;
    }
    if (!bytesEqual(blockMerkleRoot(block.txs), block.header.merkleRoot)) return d.refuse(peer, 'body-mismatch', `body of ${idHex.slice(0, 16)} does not match its header's merkle root`);
    let nodes: HeaderNode[];
    try {
      nodes = await d.tree.check([encodeHeader(block.header)]);
    } catch (e) {
      if (!(e instanceof SyncError)) throw e;
      if (e.reason === 'headers-not-connecting') return d.headers.askHeaders(peer);
      if (e.reason !== 'time-too-new') d.refuse(peer, e.reason, e.message);
      return;
    }
    const node = nodes[0] ?? d.tree.get(idHex);
    if (!node) return;
    if (await d.chain.entry(block.header.prevHash)) {
      // The parent is stored: the chain decides at once (a side branch is stored, not connected).
      const r = await d.chain.submitBlock(block, { source: peer.id });
      if (r.status === 'invalid' && r.reason !== 'time-too-new') d.refuse(peer, 'invalid-block', `${r.reason ?? 'invalid'}: ${r.message ?? ''}`);
      else if (r.status === 'connected' || r.status === 'side') this.remember(idHex, peer);
      return;
    }
    d.tree.admit(nodes);
    d.headers.proved(peer, node);
    d.headers.resolveClaims();
    d.window.offer(idHex, peer, block);
    d.schedule();
  }
}
