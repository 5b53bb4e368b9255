// The reorg executor: moves the tip to a target block one atomic batch per block (disconnect with
// undo, then connect), so a reorg of any depth runs in bounded memory and every intermediate state
// on disk is a consistent chain. A marker in `meta` names the target until the last step, and
// start-up resumes an interrupted reorg (Bitcoin Core's step-wise ActivateBestChain).
import type { EventEmitter } from 'node:events';
import { decodeBlock, decodeTx, txBytes, txId, isCodedError, RuleError, type Block, type ChainParams, type TransferTx } from '../core/index.js';
import { toHex, fromHex, bytesEqual } from '../crypto/index.js';
import { BlockStatus, type ChainStore } from '../store/index.js';
import type { Logger } from '../log/index.js';
import { applyBlockToState, touchedAddresses } from './block-rules.js';
import { beats, branchForward, findBranch } from './fork-choice.js';
import type { BlockIndex } from './block-index.js';
import type { TxIndexer } from './tx-index.js';
import type { SideBranches } from './side-branches.js';
import type { ChainEvents, IndexEntry } from './events.js';

/** Transfers a reorg hands back to the mempool at most (the oldest are kept: nonces stay in order). */
export const MAX_REORG_RETURNED_TXS = 5000;

/** The chain's tip, which only the executor moves. */
export interface TipHolder {
  tip(): IndexEntry;
  setTip(e: IndexEntry): void;
}

interface StepLog {
  disconnected: string[];
  connected: string[];
  /** Transfers of disconnected blocks, one array per block, newest block first (capped). */
  returned: TransferTx[][];
  returnedCount: number;
}

export class ReorgExecutor {
  constructor(
    private readonly store: ChainStore,
    private readonly index: BlockIndex,
    private readonly params: ChainParams,
    private readonly log: Logger,
    private readonly tips: TipHolder,
    private readonly events: EventEmitter<ChainEvents>,
    private readonly txIndex: TxIndexer,
    /** Told of each side record a disconnect writes, so pruning looks there again. */
    private readonly sides: Pick<SideBranches, 'noteSide'>,
    /** Work for this thread while a block's batch is being written (the next block's signatures). */
    private readonly whileWriting: () => void = () => {},
  ) {}

  /**
   * Makes `target` the tip. `fresh` is a body-checked block not yet stored (`target`'s own). If a
   * branch block breaks a state rule it is marked invalid; the better of the valid prefix and the
   * old tip stays. Returns the rule error when `target` itself (or an ancestor) is invalid.
   */
  async reorganize(target: IndexEntry, fresh?: { block: Block; bytes: Uint8Array }): Promise<RuleError | undefined> {
    const oldTip = this.tips.tip();
    // The common case, a child of the tip: one batch, nothing written if it fails.
    if (fresh && bytesEqual(target.parent, oldTip.id)) {
      const err = await this.connect(target, fresh.block, { fresh: fresh.bytes });
      if (err) return err;
      this.events.emit('block', { block: fresh.block, id: target.idHex, height: target.height, bytes: fresh.bytes });
      return undefined;
    }
    const path = await findBranch(this.index, target);
    if (path.invalid) return new RuleError('bad-prev', 'branch contains an invalid block');
    if (path.fork.idHex === target.idHex) {
      await this.store.batch().clearReorgTarget().write();
      return undefined;
    }
    // Name the target (and store its body) before the first step, so a crash anywhere resumes.
    const first = this.store.batch().setReorgTarget(target.id);
    if (fresh) first.putBlock(target.id, fresh.bytes, target);
    await first.write();
    if (fresh) this.index.stored(target);

    const steps: StepLog = { disconnected: [], connected: [], returned: [], returnedCount: 0 };
    while (this.tips.tip().height > path.fork.height) await this.disconnectTip(steps);
    let failure: { at: IndexEntry; error: RuleError } | undefined;
    for await (const e of branchForward(this.index, path)) {
      const block = fresh && e.idHex === target.idHex ? fresh.block : await this.loadBlock(e.id);
      const error = await this.connect(e, block, { last: e.idHex === target.idHex });
      if (error) {
        failure = { at: e, error };
        break;
      }
      steps.connected.push(e.idHex);
    }
    if (failure) await this.markInvalidFrom(failure.at, target, failure.error, oldTip);
    await this.announce(path.fork.height, steps);
    if (!failure) return undefined;
    // Back to the old tip if the valid prefix has less work (its blocks were valid before).
    if (beats(oldTip, this.tips.tip())) await this.reorganize(oldTip);
    else await this.store.batch().clearReorgTarget().write();
    const bad = failure.at;
    return bad.idHex === target.idHex ? failure.error : new RuleError('bad-prev', `ancestor ${bad.idHex} is invalid: ${failure.error.reason}`);
  }

  /** Finishes a reorg that a crash interrupted (called once at open). */
  async resume(): Promise<void> {
    const id = await this.store.getReorgTarget();
    if (!id) return;
    const target = await this.index.entry(id);
    if (target && target.status !== BlockStatus.Invalid && beats(target, this.tips.tip())) {
      this.log.warn('resuming an interrupted reorg', { target: target.idHex, height: target.height, tip: this.tips.tip().idHex });
      await this.reorganize(target);
    } else {
      await this.store.batch().clearReorgTarget().write();
    }
  }

  private async loadBlock(id: Uint8Array): Promise<Block> {
    const b = await this.store.getBlockBytes(id);
    if (!b) throw new Error(`block ${toHex(id)} missing from store`);
    return decodeBlock(b);
  }

  /** One step back: restores the prior accounts from the tip's undo record, in one batch. */
  private async disconnectTip(steps: StepLog): Promise<void> {
    const tip = this.tips.tip();
    const block = await this.loadBlock(tip.id);
    const undo = await this.store.getUndo(tip.id);
    if (!undo) throw new Error(`undo data missing for ${tip.idHex}`);
    const parent = await this.index.require(tip.parent, `parent of ${tip.idHex}`);
    const batch = this.store.batch();
    for (const u of undo) batch.putAccount(u.address, u.prior);
    // The block becomes a side block in the same step: pruning will find it when it is deep enough.
    batch.delMain(tip.height).delUndo(tip.id).setTip(parent.id).putSide(tip.height, tip.id);
    const indexMoved = this.txIndex.disconnecting(batch, tip, block);
    await batch.write();
    indexMoved();
    this.sides.noteSide(tip.height);
    this.tips.setTip(parent);
    steps.disconnected.push(tip.idHex);
    const transfers = block.txs.filter((t): t is TransferTx => t.kind === 'transfer');
    steps.returned.push(transfers);
    steps.returnedCount += transfers.length;
    // Deeper blocks come later and are older: drop the newest when over the cap.
    while (steps.returnedCount > MAX_REORG_RETURNED_TXS && steps.returned.length > 1) steps.returnedCount -= steps.returned.shift()!.length;
  }

  /**
   * One step forward: applies `block` on top of the tip in one batch (undo record, main index,
   * accounts, tip; the tx index follows in its own batches). Writes nothing and returns the error if
   * a state rule fails.
   */
  private async connect(e: IndexEntry, block: Block, opts: { fresh?: Uint8Array; last?: boolean }): Promise<RuleError | undefined> {
    const keys = touchedAddresses(block);
    // Each address decoded from its key once: read, undo record and write share the bytes.
    const addresses: Uint8Array[] = new Array(keys.length);
    const slot = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) {
      addresses[i] = fromHex(keys[i]!);
      slot.set(keys[i]!, i);
    }
    const vals = await this.store.getAccounts(addresses, { keys });
    let change;
    try {
      change = applyBlockToState(block, (k) => vals[slot.get(k)!] ?? { balance: 0n, nonce: 0n }, this.params);
    } catch (err) {
      if (!isCodedError(err)) throw err;
      return err as RuleError;
    }
    const batch = this.store.batch();
    if (opts.fresh) batch.putBlock(e.id, opts.fresh, e);
    const undo: { address: Uint8Array; prior: { balance: bigint; nonce: bigint } }[] = [];
    change.before.forEach((prior, k) => undo.push({ address: addresses[slot.get(k)!]!, prior }));
    batch.putUndo(e.id, undo).putMain(e.height, e.id);
    change.after.forEach((acct, k) => batch.putAccount(addresses[slot.get(k)!]!, acct, k));
    batch.setTip(e.id);
    if (opts.last) batch.clearReorgTarget();
    // LevelDB writes on its own thread: this one checks what comes next meanwhile.
    const written = batch.write();
    this.whileWriting();
    await written;
    if (opts.fresh) this.index.stored(e);
    else this.index.remember(e);
    this.tips.setTip(e);
    await this.txIndex.connected(e, block);
    return undefined;
  }

  /** Marks `bad` and every branch block above it up to `target` invalid, never to be tried again. */
  private async markInvalidFrom(bad: IndexEntry, target: IndexEntry, error: RuleError, oldTip: IndexEntry): Promise<void> {
    this.log.warn('branch block breaks a state rule', { id: bad.idHex, height: bad.height, reason: error.reason });
    const mark = this.store.batch();
    for (let cur = target; ; cur = await this.index.require(cur.parent, `parent of ${cur.idHex}`)) {
      cur.status = BlockStatus.Invalid;
      mark.putIndex(cur.id, cur);
      if (cur.height <= bad.height) break;
    }
    // If the prefix is worse than the old tip, the way back is the reorg now in progress.
    mark.setReorgTarget(beats(oldTip, this.tips.tip()) ? oldTip.id : this.tips.tip().id);
    await mark.write();
  }

  /** Events after the steps: the reorg (if any block left the main chain), then each connected block. */
  private async announce(forkHeight: number, steps: StepLog): Promise<void> {
    if (steps.disconnected.length) {
      const removedTxs: TransferTx[] = [];
      // Which returned txs the new branch confirmed again: the index answers once it has caught up.
      await this.txIndex.catchUp();
      for (let i = steps.returned.length - 1; i >= 0; i--) {
        // Each gets bytes of its own: a decoded tx views its block's bytes, which the mempool must
        // not keep alive (a tx each from many blocks would pin every one of them).
        for (const tx of steps.returned[i]!) if (!(await this.store.getTxLocation(txId(tx)))) removedTxs.push(decodeTx(txBytes(tx)) as TransferTx);
      }
      this.log.info('reorganized', { forkHeight, disconnected: steps.disconnected.length, connected: steps.connected.length, tip: this.tips.tip().idHex });
      this.events.emit('reorg', { forkHeight, disconnected: steps.disconnected, connected: steps.connected, removedTxs });
      if (removedTxs.length) this.events.emit('tx-removed', removedTxs);
    }
    for (const idHex of steps.connected) {
      const id = fromHex(idHex, 32);
      const block = await this.loadBlock(id);
      const e = await this.index.require(id, 'connected block');
      this.log.debug('connected block', { height: e.height, id: idHex, txs: block.txs.length });
      this.events.emit('block', { block, id: idHex, height: e.height });
    }
  }
}
