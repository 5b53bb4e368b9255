// p2p/: WebSocket peers: listener and handshake, message codec, the request tracker, keep-alive,
// scoring and bans, peer manager. Imports only core, crypto and log; knows nothing of chains (DESIGN "Layers").
export {
  PROTOCOL_VERSION, MAX_INV_ITEMS, MAX_LOCATOR, MAX_BLOCKS_PER_MSG, MAX_HEADERS_PER_MSG, MAX_BLOCK_BYTES, MAX_TX_BYTES, MESSAGE_KINDS,
  encodeMessage, encodeBlockMessage, decodeMessage, bodyId, blockIdHexOf,
  type Message, type MessageKind, type MessageOf, type Payloads, type InvItem, type InvType, type TipInfo,
} from './messages.js';
export { P2PError, CLOSE_CODES, type P2PReason } from './errors.js';
export { handshakeProofMessage, possibleTip, signHandshake, verifyHandshake, type HandshakeRole, type HandshakeSide, type HandshakeTranscript } from './handshake.js';
export { LruSet } from './lru.js';
export { Peer, type PeerInfo, type Direction, type PendingExchange } from './peer.js';
export { CandidatePool, type Candidate, type BackoffPolicy } from './candidates.js';
export { type BanStore, type BanEntry, isPublicAddress, netGroup, ipv6Prefix64 } from './bans.js';
export { selectPeerToEvict, DEFAULT_EVICTION_PROTECTION, type EvictionCandidate, type EvictionProtection } from './eviction.js';
export { HalfOpenBudget } from './budget.js';
export { ConnectRateLimiter, type ConnectRateLimits } from './connect-rate.js';
export { HandshakeBudget, type HandshakeBudgetLimits } from './handshake-budget.js';
export {
  DEFAULT_P2P_LIMITS, DEFAULT_PENALTIES, BAN_THRESHOLD, SILENT_SOCKETS_RSS_BOUND,
  type P2PLimits, type P2PPenalties, type P2POptions, type P2PEvents, type BanEvent, type RefusedEvent, type RequestResult, type P2PStats, type ExchangeKind,
} from './config.js';
export { RequestTracker } from './requests.js';
export { P2PNetwork } from './network.js';
export { MAX_ANNOUNCED_HEADERS } from './routing.js';
