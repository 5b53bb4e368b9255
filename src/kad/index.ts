// kad/: Kademlia discovery over UDP: packets, routing table, lookups, value store, network records, transports.
export { KadNode, type KadOptions, type KadEvents, type KadStats, type LookupResult, type PeerRecord, type TablePersistence } from './kad-node.js';
export { RoutingTable, sharedPrefixLength, compareDistance, randomIdInBucket, K, MAX_FAILURES, type Contact, type Entry, type UpdateResult, type SubnetLimits } from './routing-table.js';
export { ipClass, isPublicIp, isPublicIPv4, ipFamily, ipToBytes, ipFromBytes, normaliseIp, relayAllowed, subnetKey, endpointString, type IpClass, type IpFamily } from './addr.js';
export {
  encodePacket, decodePacket, peekPacket, MAX_PACKET_BYTES, MAX_NODES_PER_PACKET, MAX_VALUES_PER_PACKET, DROP_REASONS,
  type Packet, type DecodedPacket, type Body, type BodyType, type NodeRecord, type DropReason,
} from './packet.js';
export { LookupHistory, LOOKUP_HISTORY_SIZE, type LookupRecord, type LookupRoundRecord } from './lookup-history.js';
export { ValueStore, DEFAULT_VALUE_LIMITS, type ValueStoreLimits } from './value-store.js';
export { networkKey, encodeNetworkRecord, decodeNetworkRecord, type NetworkRecord } from './network-record.js';
export { ExpiringLru } from './bounded.js';
export { UdpTransport, SimNetwork, SimTransport, SimClock, realClock, type Transport, type Clock, type Datagram, type SimOptions } from './transport.js';
export { runSimulation, buildSimulation, startSimulation, stopSimulation, measureLookups, type Sim, type SimulationOptions, type SimulationResult } from './simulation.js';
export { CryptoGate, processCryptoGate, DEFAULT_MAX_IN_FLIGHT, type CryptoGateOptions, type CryptoGateStats, type OffloadPool } from './crypto-gate.js';
