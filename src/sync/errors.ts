// The sync layer's coded refusals. A reason names what a peer did; the node's penalty table
// decides what it costs (sync never charges a peer itself).
import { KadchainError } from '../core/index.js';
import type { HeaderNode } from './header-tree.js';

export type SyncReason =
  // headers
  | 'malformed-header'
  | 'invalid-header'
  | 'headers-not-connecting'
  | 'time-too-new'
  | 'low-work-headers'
  | 'work-claim-unproven'
  | 'headers-timeout'
  // bodies
  | 'malformed-block'
  | 'invalid-block'
  | 'body-mismatch'
  | 'withheld-bodies'
  | 'stalling'
  | 'inv-flood';

export class SyncError extends KadchainError<SyncReason> {
  constructor(reason: SyncReason, message: string, readonly partial: HeaderNode[] = []) {
    super(reason, message);
  }
}
