// Block validation in tiers, cheapest first: work (tier 1), commitment of the body to the header
// (tier 2, enough to hold an orphan), header against its parent (tier 3), then body rules and
// signatures on the worker threads (tier 4). Also which refusals may be remembered by block id.
import {
  blockId, blockMerkleRoot, targetToBigInt, txIdHex, RuleError,
  type Block, type ChainParams, type TransferTx,
} from '../core/index.js';
import { bytesEqual, toHex } from '../crypto/index.js';
import { checkHeader, type ParentContext } from './header-rules.js';
import { checkBlockBody } from './block-rules.js';
import { checkProofOfWork, hasValidWork } from './pow.js';
import { SignatureVerifier, type PendingVerification } from './sig-verifier.js';
import { VerifiedSignatures } from './verified-signatures.js';

/**
 * Failures that hold for every body under the header (its work, its fields, its parent): only these
 * are remembered by block id. A body failure refuses that body alone, so a relay that swaps the
 * body under an honest header cannot get the honest block refused everywhere.
 */
const HEADER_REASONS: ReadonlySet<string> = new Set(['bad-pow', 'bad-target', 'bad-height', 'bad-prev', 'time-too-old', 'bad-version']);

export function isHeaderFailure(reason: string): boolean {
  return HEADER_REASONS.has(reason);
}

/** How many blocks `preverify` may run ahead of submitBlock (sync asks for fewer, so none is dropped unused). */
const MAX_PREVERIFIED = 8;

export class BlockValidator {
  /** Transfers already verified here or by the mempool: a block of relayed txs skips them. */
  readonly signatures = new VerifiedSignatures();
  private readonly verifier: SignatureVerifier;
  /** Signature checks started by `preverify`, by block id (a few blocks ahead at most). */
  private readonly preverified = new Map<string, { block: Block; unchecked: TransferTx[]; pending: PendingVerification }>();

  constructor(
    private readonly params: ChainParams,
    private readonly chainId: Uint8Array,
    parallelVerify: boolean,
  ) {
    // No worker threads when parallelVerify is off: every signature is checked inline.
    this.verifier = new SignatureVerifier(parallelVerify ? undefined : 0);
  }

  /** Tier 1: the work is real and within powLimit. */
  checkWork(block: Block, id: Uint8Array): void {
    if (targetToBigInt(block.header.target) > this.params.powLimit) throw new RuleError('bad-target', 'target easier than powLimit');
    checkProofOfWork(block.header, id);
  }

  /** Tier 2: the body is the one the header commits to, within the size bound. */
  checkCommitment(block: Block, encodedSize: number): void {
    if (!bytesEqual(blockMerkleRoot(block.txs), block.header.merkleRoot)) throw new RuleError('bad-merkle', 'merkle root does not match transactions');
    if (encodedSize > this.params.maxBlockBytes) throw new RuleError('block-too-large', `expected at most ${this.params.maxBlockBytes} bytes, got ${encodedSize}`);
  }

  /** Tier 3: the header against its parent and our clock. */
  checkHeader(block: Block, parent: ParentContext, now: number, id: Uint8Array): void {
    checkHeader(block.header, parent, this.params, now, id);
  }

  /**
   * Tier 4: body rules while the workers verify signatures; a bad signature re-runs the rules with
   * every signature inline so the reported reason never depends on the thread count.
   */
  async checkBody(block: Block, id: string, encodedSize: number): Promise<void> {
    // Only for this very object: another body under the same header must be checked on its own.
    const found = this.preverified.get(id);
    this.preverified.delete(id);
    const pre = found?.block === block ? found : undefined;
    const unchecked = pre?.unchecked ?? this.uncheckedTransfers(block);
    const pending = pre?.pending ?? this.verifier.beginTransfers(unchecked);
    let bodyError: unknown;
    try {
      checkBlockBody(block, this.params, this.chainId, encodedSize, true);
    } catch (e) {
      bodyError = e;
    }
    const bad = await pending.finish();
    if (bad >= 0) {
      checkBlockBody(block, this.params, this.chainId, encodedSize, false);
      throw new RuleError('bad-signature', `transaction ${txIdHex(unchecked[bad]!)} signature does not verify`);
    }
    if (bodyError) throw bodyError;
    for (let i = 0; i < unchecked.length; i++) this.signatures.add(unchecked[i]!);
  }

  /**
   * Starts verifying a block's signatures on the worker threads before it is submitted. Only blocks
   * with valid work are taken, and only a few at a time. True if it started.
   */
  preverify(block: Block): boolean {
    if (!this.verifier.parallel) return false;
    const idBytes = blockId(block);
    const id = toHex(idBytes);
    if (this.preverified.has(id) || !hasValidWork(idBytes, targetToBigInt(block.header.target))) return false;
    const unchecked = this.uncheckedTransfers(block);
    this.preverified.set(id, { block, unchecked, pending: this.verifier.beginTransfers(unchecked) });
    if (this.preverified.size > MAX_PREVERIFIED) this.preverified.delete(this.preverified.keys().next().value!);
    return true;
  }

  /** Starts the worker threads ahead of the first big block (see Chain.prepareToVerify). */
  prepare(): void {
    if (this.verifier.parallel) this.verifier.start();
  }

  /** The signature workers alive and ready (see SignatureVerifier.workerCounts). */
  get verifyWorkers(): { spawned: number; ready: number } {
    return this.verifier.workerCounts;
  }

  /** Verifies signatures of blocks already begun (preverified) for up to `ms` ms on this thread. */
  helpAhead(ms: number): void {
    this.verifier.help(ms);
  }

  stop(): Promise<void> {
    return this.verifier.stop();
  }

  private uncheckedTransfers(block: Block): TransferTx[] {
    return block.txs.filter((t): t is TransferTx => t.kind === 'transfer' && !this.signatures.has(t));
  }
}
