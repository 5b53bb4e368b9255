// p2p/: WebSocket peers: handshake, message codec, announce/fetch plumbing, scoring, bans, peer manager.
export {
  PROTOCOL_VERSION, MAX_INV_ITEMS, MAX_LOCATOR, MAX_BLOCKS_PER_MSG, encodeMessage, decodeMessage,
  type Message, type MessageKind, type MessageOf, type Payloads, type InvItem, type InvType, type TipInfo,
} from './messages.js';
export { Peer, LruSet, type PeerInfo, type Direction } from './peer.js';
export { P2PNetwork, P2PError, DEFAULT_P2P_LIMITS, type P2PLimits, type P2POptions, type P2PEvents, type P2PReason, type BanStore, type Candidate } from './network.js';
