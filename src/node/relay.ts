// Relay: what announcements mean for this node. New tips go out as their header (peers check it
// before fetching the body; a relayed tip at the end of the turn it connected in, see
// queueAnnouncement); transactions go out as `inv` and are fetched through the request
// tracker; block ids announced by `inv` are handed to sync. Every check on an announcement is made
// in memory (mempool, recent LRUs): an `inv` never costs one store read per item. Transaction
// validation is rationed per peer (tx-admission.ts): past its budget a peer's txs are neither
// fetched nor checked, and requested txs refused for reasons that cost CPU are charged.
import { EventEmitter } from 'node:events';
import type { Chain, ConnectedBlockEvent } from '../chain/index.js';
import { decodeTx, encodeHeader, txIdHex } from '../core/index.js';
import { fromHex, toHex } from '../crypto/index.js';
import { TX_REFUSALS_JUNK, TX_REFUSALS_MAY_BECOME_VALID, type Mempool, type MempoolEntry } from '../mempool/index.js';
import { LruSet, type InvItem, type Message, type P2PNetwork, type Peer } from '../p2p/index.js';
import type { SyncService } from '../sync/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import type { RefusalReason } from './penalties.js';
import { TxAdmissionBudget, type TxAdmissionLimits } from './tx-admission.js';

/** Tx refusals that prove the sender relayed junk (the rest can be honest races). */
const INVALID_TX_REASONS = new Set(['bad-signature', 'bad-chain-id', 'bad-amount', 'bad-kind', 'malformed', 'truncated', 'trailing-bytes']);

/** Tips waiting for the end of the turn; more than this in one turn keeps the newest. */
const MAX_PENDING_ANNOUNCEMENTS = 64;

interface PendingAnnouncement {
  id: string;
  header: Uint8Array;
  height: number;
  /** The peer its body came from (not announced back to it). */
  except: Peer | undefined;
}

export interface GossipStats {
  /** Block bodies received (counted by sync, which downloads every body). */
  readonly bodiesReceived: number;
  /** Bodies received for a block we already had or were already receiving. */
  readonly duplicateBodies: number;
  txsReceived: number;
  /** Tips announced to at least one peer (read by /metrics as kadchain_blocks_relayed_total). */
  blocksRelayed: number;
  /** Txs announced to at least one peer (kadchain_txs_relayed_total). */
  txsRelayed: number;
  /** Transactions handed to the mempool for validation (each spent a token of its peer's budget). */
  txsValidated: number;
  /** Transactions (bodies, or announcements not fetched) dropped unchecked: the peer was over budget. */
  txsOverBudget: number;
}

export interface RelayEvents {
  /** A new tip was announced to this many peers. */
  announced: [{ id: string; height: number; peers: number }];
}

export class Relay extends EventEmitter<RelayEvents> {
  readonly stats: GossipStats;
  private readonly log: Logger;
  private readonly rejectedTxs = new LruSet(10_000);
  /** Txs confirmed recently: an inv for them needs no store read. */
  private readonly confirmedTxs = new LruSet(50_000);
  /**
   * Tx id -> the node id that relayed it, so it is not announced back there. An id, not the Peer:
   * a tx that never becomes ready (gapped, then evicted) leaves its entry until the cap pushes it
   * out, and that must not keep a disconnected peer (and its id LRUs) in memory.
   */
  private readonly txSources = new Map<string, string>();
  private readonly txBudget: TxAdmissionBudget;
  private started = false;
  /** Tips connected this turn, announced at its end (see queueAnnouncement). */
  private readonly pending: PendingAnnouncement[] = [];
  private flush: NodeJS.Immediate | undefined;

  private readonly onMessage = (peer: Peer, m: Message): void => {
    if (m.kind === 'inv') this.onInv(peer, m.items);
    else if (m.kind === 'tx') void this.onTx(peer, m.bytes).catch((e: unknown) => this.log.error('tx handler failed', { err: String(e) }));
  };
  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    // Relay only what validated, only the tip, and not while catching up (no flooding history).
    // Confirmed txs are remembered only once synced: while catching up nobody announces history's
    // txs to us, and keying every synced tx cost the syncing main thread ~9 us each. A late inv of
    // one costs at most one refused validation, which the peer's tx budget already bounds.
    if (this.sync.syncing) return;
    if (e.height === this.chain.tip.height) this.queueAnnouncement({ id: e.id, header: encodeHeader(e.block.header), height: e.height, except: this.sync.sourceOf(e.id) });
    for (const tx of e.block.txs) this.confirmedTxs.add(txIdHex(tx));
  };
  private readonly onSynced = (): void => {
    const t = this.chain.tip;
    void this.chain.getHeader(t.id).then((h) => h && this.announceTip(t.idHex, encodeHeader(h), t.height));
  };
  private readonly onTxAdded = (e: MempoolEntry): void => {
    const srcId = this.txSources.get(e.id);
    this.txSources.delete(e.id);
    const src = srcId === undefined ? undefined : this.net.peer(srcId);
    if (this.net.announce('tx', [fromHex(e.id)], src) > 0) this.stats.txsRelayed++;
  };

  constructor(
    private readonly chain: Chain,
    private readonly mempool: Mempool,
    private readonly net: P2PNetwork,
    private readonly sync: SyncService,
    private readonly charge: (peer: Peer, reason: RefusalReason, detail: string) => void,
    logger: Logger = silentLogger,
    txAdmission: Partial<TxAdmissionLimits> = {},
  ) {
    super();
    this.log = logger.child({ module: 'relay' });
    this.txBudget = new TxAdmissionBudget(txAdmission);
    const s = sync.stats;
    this.stats = {
      get bodiesReceived() {
        return s.bodiesReceived;
      },
      get duplicateBodies() {
        return s.duplicateBodies;
      },
      txsReceived: 0,
      blocksRelayed: 0,
      txsRelayed: 0,
      txsValidated: 0,
      txsOverBudget: 0,
    };
  }

  /** True while sync is catching up (kept for callers of the old gossip service). */
  get syncing(): boolean {
    return this.sync.syncing;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    // First in line for every connected block, whatever started before us (mempool, serving, API,
    // miner): the announcement is queued ahead of the work they defer out of the chain's event.
    this.chain.prependListener('block', this.onBlock);
    this.sync.on('synced', this.onSynced);
    this.mempool.on('added', this.onTxAdded);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.chain.off('block', this.onBlock);
    this.sync.off('synced', this.onSynced);
    this.mempool.off('added', this.onTxAdded);
    clearImmediate(this.flush);
    this.flush = undefined;
    this.pending.length = 0;
  }

  /**
   * A tip connected from a peer's body is announced at the end of this turn of the event loop (a
   * setImmediate, queued ahead of the work the other block listeners defer), not inside the
   * chain's event: the rest of this turn's I/O runs first, so a peer whose announcement of the
   * same block arrived while we connected it is known to have it and is not sent it back. In a
   * full mesh every peer connects a new block at about the same time; such crossings were ~1 in
   * 15 header announcements of the 12-node bench, each a wake of its receiver (~0.3 ms of CPU on
   * the loaded 2-core machine). Bitcoin Core, too, queues block announcements and sends them after
   * processing its peers' messages. In order.
   */
  private queueAnnouncement(a: PendingAnnouncement): void {
    // A block with no peer source was mined or submitted here: no peer can have announced it to us,
    // so nothing can cross it, and the first hop is not delayed (unless one is queued: order).
    if (a.except === undefined && !this.pending.length) return this.announceTip(a.id, a.header, a.height);
    if (this.pending.length >= MAX_PENDING_ANNOUNCEMENTS) this.pending.shift();
    this.pending.push(a);
    this.flush ??= setImmediate(() => {
      this.flush = undefined;
      for (const p of this.pending.splice(0)) this.announceTip(p.id, p.header, p.height, p.except);
    });
  }

  private announceTip(idHex: string, header: Uint8Array, height: number, except?: Peer): void {
    const peers = this.net.announceHeader(fromHex(idHex), header, except);
    if (peers > 0) this.stats.blocksRelayed++;
    this.emit('announced', { id: idHex, height, peers });
  }

  private onInv(peer: Peer, items: InvItem[]): void {
    const blocks: Uint8Array[] = [];
    const want: InvItem[] = [];
    // Fetch no more than the peer may have validated now, less what it is already sending (the
    // tracker bounds what waits for a slot).
    let room = this.txBudget.available(peer.id) - peer.inflightCount('tx');
    for (const it of items) {
      if (it.type === 'block') {
        blocks.push(it.id);
        continue;
      }
      const k = toHex(it.id);
      if (this.mempool.has(k) || this.rejectedTxs.has(k) || this.confirmedTxs.has(k)) continue;
      if (room <= 0) {
        this.stats.txsOverBudget++;
        continue;
      }
      room--;
      want.push(it);
    }
    if (blocks.length) this.sync.onBlockInv(peer, blocks);
    if (want.length && peer.connected) this.net.request(peer, want);
  }

  private async onTx(peer: Peer, bytes: Uint8Array): Promise<void> {
    this.stats.txsReceived++;
    let tx;
    try {
      tx = decodeTx(bytes);
    } catch {
      return this.charge(peer, 'malformed-tx', 'tx does not decode');
    }
    if (tx.kind !== 'transfer') return this.charge(peer, 'coinbase-relayed', 'a coinbase relayed as a tx');
    const id = txIdHex(tx);
    if (this.mempool.get(id)) return;
    if (!this.txBudget.take(peer.id)) {
      // Over budget: dropped unchecked and not remembered, so an honest peer can still supply it.
      this.stats.txsOverBudget++;
      return;
    }
    this.stats.txsValidated++;
    this.txSources.set(id, peer.id);
    if (this.txSources.size > 10_000) this.txSources.delete(this.txSources.keys().next().value!);
    const r = await this.mempool.add(tx, peer.id);
    if (!r.accepted) {
      this.txSources.delete(id);
      // Refusals that may turn valid (funds arrive, a gap closes) are not remembered.
      if (!TX_REFUSALS_MAY_BECOME_VALID.has(r.reason)) this.rejectedTxs.add(id);
      if (INVALID_TX_REASONS.has(r.reason)) this.charge(peer, 'invalid-tx', r.reason);
      else if (TX_REFUSALS_JUNK.has(r.reason)) this.charge(peer, 'junk-tx', r.reason);
      // Unfunded costs us a store read and the checks before it; while we catch up it may be our
      // state that is behind, so it is charged only once synced.
      else if (r.reason === 'insufficient-funds' && !this.sync.syncing) this.charge(peer, 'unfunded-tx', r.message);
    }
  }
}
