// chain/: consensus rules (pure functions) and the Chain (fork choice, reorgs, orphans) on the store.
export { checkProofOfWork, hasValidWork, blockReward, retargetWindow, retargetTarget, medianTimePast, MEDIAN_TIME_SPAN, workForTarget } from './pow.js';
export { checkHeader, type ParentContext } from './header-rules.js';
export { checkTransferStateless, checkTransferAgainstAccount, EMPTY_ACCOUNT, type Account } from './tx-rules.js';
export { checkBlockBody, touchedAddresses, applyBlockToState, type BlockStateChange } from './block-rules.js';
export { VerifiedSignatures } from './verified-signatures.js';
export { OrphanPool, DEFAULT_ORPHAN_LIMITS, type OrphanLimits } from './orphans.js';
export { HeldBlocks, DEFAULT_HELD_LIMITS, type HeldLimits } from './held-blocks.js';
export { isHeaderFailure } from './validator.js';
export { MAX_REORG_RETURNED_TXS } from './reorg.js';
export { Chain, type ChainOptions } from './chain.js';
export { MAX_BLOCKS_PER_REQUEST } from './chain-reads.js';
export { DEFAULT_SIDE_BRANCH_LIMITS, type SideBranchLimits } from './side-branches.js';
export { StoreDamagedError } from './store-check.js';
export { rebuildChainState, type RebuildReport } from './rebuild.js';
export type {
  SubmitResult, SubmitStatus, SubmitOptions, IndexEntry, TipInfo, ChainTip, ConnectedBlockEvent, ReorgEvent, ChainEvents, NextBlockContext,
} from './events.js';
