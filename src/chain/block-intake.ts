// The submission path of the Chain (chain.ts): a block through the validation tiers in order,
// cheapest first; an orphan kept until its parent comes, a future block held until its time, a
// side block stored, a better one handed to the reorg executor; then the orphans it was the
// missing parent of, and held blocks come due. Header refusals are remembered by id (bounded).
// Runs inside the chain's one-writer section: the Chain calls it there and nowhere else.
import {
  blockId, blockBytes, workForTarget, isCodedError, RuleError, monotonicNow,
  type Block,
} from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { BlockStatus, type ChainStore } from '../store/index.js';
import type { Logger } from '../log/index.js';
import { OrphanPool, type OrphanLimits } from './orphans.js';
import { HeldBlocks, DEFAULT_HELD_LIMITS, type HeldLimits } from './held-blocks.js';
import type { BlockIndex } from './block-index.js';
import { isHeaderFailure, type BlockValidator } from './validator.js';
import type { ReorgExecutor } from './reorg.js';
import { beats } from './fork-choice.js';
import type { SideBranches } from './side-branches.js';
import type { IndexEntry, SubmitResult } from './events.js';

/** Refusals remembered by block id (header failures only), oldest forgotten first. */
const MAX_REMEMBERED_REFUSALS = 10_000;

/** What the intake needs of the chain around it. */
export interface IntakeHost {
  /** The connected tip. */
  tip(): IndexEntry;
  /** Told before each block is processed (the chain drops what it cached per tip). */
  blockArrived(): void;
  /** Runs `fn` in the chain's one-writer section (the held-block timer goes through it). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface IntakeParts {
  store: ChainStore;
  index: BlockIndex;
  validator: BlockValidator;
  reorgs: ReorgExecutor;
  sides: SideBranches;
  log: Logger;
  /** The wall clock (the header drift check and held blocks' due times). */
  now: () => number;
  maxFutureDriftMs: number;
  orphanLimits?: Partial<OrphanLimits>;
  heldLimits?: Partial<HeldLimits>;
}

export class BlockIntake {
  private readonly orphans: OrphanPool;
  private readonly held: HeldBlocks;
  private heldTimer: NodeJS.Timeout | undefined;
  /** Header failures: refused again without rework (bounded). */
  private readonly rejected = new Map<string, string>();
  private closed = false;
  private readonly store: ChainStore;
  private readonly index: BlockIndex;
  private readonly validator: BlockValidator;
  private readonly reorgs: ReorgExecutor;
  private readonly sides: SideBranches;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly maxFutureDriftMs: number;

  constructor(parts: IntakeParts, private readonly host: IntakeHost) {
    ({ store: this.store, index: this.index, validator: this.validator, reorgs: this.reorgs, sides: this.sides, log: this.log, now: this.now, maxFutureDriftMs: this.maxFutureDriftMs } = parts);
    this.orphans = new OrphanPool(parts.orphanLimits);
    this.held = new HeldBlocks({ ...DEFAULT_HELD_LIMITS, ...parts.heldLimits });
  }

  /** No more held-block retries; held blocks are dropped. Idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.heldTimer);
    this.held.clear();
  }

  get orphanCount(): number {
    return this.orphans.size;
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** A header refusal remembered for this id, if any. */
  knownInvalid(idHex: string): string | undefined {
    return this.rejected.get(idHex);
  }

  /** True when `idHex` waits here, as an orphan or a held future block. */
  holds(idHex: string): boolean {
    return this.orphans.has(idHex, monotonicNow()) || this.held.has(idHex);
  }

  orphanMissingRoot(idHex: string): string | undefined {
    return this.orphans.missingRoot(idHex);
  }

  /** One block, then the orphans it completes, then held blocks come due. In the one-writer section. */
  async submit(block: Block, source: string, provenWork?: bigint): Promise<SubmitResult> {
    const first = await this.process(block, source, provenWork);
    await this.drainChildren(first);
    // Held blocks may have come due while we worked.
    await this.processDueHeld();
    return first;
  }

  /** Retries held future blocks whose time has come. In the one-writer section. */
  async processDueHeld(): Promise<void> {
    for (const h of this.held.takeDue(this.now())) await this.drainChildren(await this.process(h.block, h.source));
    this.scheduleHeld();
  }

  private scheduleHeld(): void {
    clearTimeout(this.heldTimer);
    const due = this.held.nextDue();
    if (due === undefined || this.closed) return;
    const retry = (): void => void this.host.exclusive(() => this.processDueHeld()).catch((e: unknown) => this.log.warn('held block retry failed', { err: String(e) }));
    this.heldTimer = setTimeout(retry, Math.max(0, due - this.now()) + 10);
    this.heldTimer.unref();
  }

  /** Children that were waiting for a stored block (and their children) now have a parent. */
  private async drainChildren(first: SubmitResult): Promise<void> {
    if (first.status !== 'connected' && first.status !== 'side') return;
    const pending = this.orphans.takeChildren(first.id);
    while (pending.length) {
      const child = pending.shift()!;
      const r = await this.process(child.block, child.source);
      if (r.status === 'connected' || r.status === 'side') pending.push(...this.orphans.takeChildren(r.id));
    }
  }

  private async process(block: Block, source: string, provenWork?: bigint): Promise<SubmitResult> {
    this.host.blockArrived();
    const idBytes = blockId(block);
    const id = toHex(idBytes);
    const height = block.header.height;
    const invalid = (e: unknown): SubmitResult => {
      if (!isCodedError(e)) throw e;
      if (isHeaderFailure(e.reason)) {
        this.rejected.set(id, e.reason);
        if (this.rejected.size > MAX_REMEMBERED_REFUSALS) this.rejected.delete(this.rejected.keys().next().value!);
      }
      this.log.debug('block refused', { id, height, reason: e.reason, source });
      return { status: 'invalid', id, height, reason: e.reason, message: e.message };
    };

    // A new child of a tip stored here (the relay's case) is known absent without a store read.
    const known = this.index.knownAbsent(id, toHex(block.header.prevHash)) ? undefined : await this.index.entry(idBytes);
    if (known) return known.status === BlockStatus.Invalid ? { status: 'invalid', id, height, reason: 'known-invalid' } : { status: 'duplicate', id, height };
    const rej = this.rejected.get(id);
    if (rej) return { status: 'invalid', id, height, reason: rej };
    if (this.orphans.has(id, monotonicNow()) || this.held.has(id)) return { status: 'duplicate', id, height };

    let bytes: Uint8Array;
    try {
      this.validator.checkWork(block, idBytes);
      // The decoded bytes when the block came off the wire or the disk: storing it copies nothing.
      bytes = blockBytes(block);
    } catch (e) {
      return invalid(e);
    }

    const parent = await this.index.entry(block.header.prevHash);
    if (!parent) {
      // An orphan takes a slot only with a body its header commits to.
      try {
        this.validator.checkCommitment(block, bytes.length);
      } catch (e) {
        return invalid(e);
      }
      // An in-memory expiry: on the monotonic clock (`now` is the wall clock of the drift check).
      this.orphans.add(block, bytes.length, monotonicNow(), source);
      return { status: 'orphan', id, height, missing: this.orphans.missingRoot(id) ?? toHex(block.header.prevHash) };
    }
    if (parent.status === BlockStatus.Invalid) return invalid(new RuleError('bad-prev', 'parent block is invalid'));
    // A side block too far behind the tip is refused before any header or body check costs us.
    const work = parent.work + workForTarget(block.header.target);
    if (!beats({ work }, this.host.tip())) {
      const no = await this.sides.refusal({ work, height }, parent, this.host.tip(), provenWork);
      if (no) {
        this.log.debug('side block not stored', { id, height, reason: no.reason, source });
        return { status: 'low-work', id, height, ...no };
      }
    }

    try {
      const now = this.now();
      try {
        this.validator.checkHeader(block, await this.index.parentContext(parent), now, idBytes);
      } catch (e) {
        if (!isCodedError(e) || e.reason !== 'time-too-new') throw e;
        // Too new for now: hold it (if committed to and not absurdly far ahead) and retry later.
        this.validator.checkCommitment(block, bytes.length);
        if (!this.held.add(block, source, block.header.timestamp - this.maxFutureDriftMs, now)) throw e;
        this.scheduleHeld();
        this.log.debug('holding future block', { id, height, timestamp: block.header.timestamp, source });
        return { status: 'held', id, height, reason: 'time-too-new', message: e.message };
      }
      await this.validator.checkBody(block, id, bytes.length);
    } catch (e) {
      return invalid(e);
    }

    const entry: IndexEntry = {
      id: idBytes, idHex: id, height, parent: parent.id, timestamp: block.header.timestamp, target: block.header.target,
      work, status: BlockStatus.Stored, size: bytes.length,
    };
    if (!beats(entry, this.host.tip())) {
      await this.store.batch().putBlock(idBytes, bytes, entry).putSide(height, idBytes).write();
      this.index.stored(entry);
      this.sides.noteSide(height);
      this.log.debug('stored side block', { id, height });
      return { status: 'side', id, height };
    }
    const err = await this.reorgs.reorganize(entry, { block, bytes });
    if (err) return invalid(err);
    // The block is connected whatever pruning does: a failed prune is retried on the next block.
    await this.sides.prune(this.host.tip().height).catch((e: unknown) => this.log.warn('side-branch pruning failed', { err: String(e) }));
    return { status: 'connected', id, height };
  }
}
