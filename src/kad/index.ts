// kad/: Kademlia discovery over UDP: packets, routing table, lookups, value store, transports.
export { KadNode, type KadOptions, type KadEvents, type KadStats, type LookupResult, type PeerRecord, type TablePersistence } from './kad-node.js';
export { RoutingTable, sharedPrefixLength, compareDistance, randomIdInBucket, isPublicIPv4, K, type Contact, type UpdateResult } from './routing-table.js';
export { encodePacket, decodePacket, MAX_PACKET_BYTES, MAX_NODES_PER_PACKET, type Packet, type DecodedPacket, type Body, type NodeRecord, type DropReason } from './packet.js';
export { LookupHistory, LOOKUP_HISTORY_SIZE, type LookupRecord, type LookupRoundRecord } from './lookup-history.js';
export { ValueStore, DEFAULT_VALUE_LIMITS, type ValueStoreLimits } from './value-store.js';
export { UdpTransport, SimNetwork, SimTransport, SimClock, realClock, type Transport, type Clock, type Datagram, type SimOptions } from './transport.js';
export { runSimulation, buildSimulation, type SimulationOptions, type SimulationResult } from './simulation.js';
