// Wire bounds that consensus parameters must respect. core cannot import p2p, so the bound lives
// here and p2p can take its default from it: a block the rules allow must fit one message.

/** WebSocket maxPayload every node accepts (DESIGN limits: 4 MiB). */
export const WIRE_MAX_PAYLOAD = 4 * 1024 * 1024;
/**
 * Envelope bytes around one block in a message: protocol version, type, count and length prefixes
 * (8 bytes today), rounded up generously so the envelope may grow without a new genesis.
 */
export const WIRE_BLOCK_FRAMING = 64;
/** The largest maxBlockBytes a genesis may set: such a block plus framing still fits maxPayload. */
export const MAX_RELAYABLE_BLOCK_BYTES = WIRE_MAX_PAYLOAD - WIRE_BLOCK_FRAMING;
