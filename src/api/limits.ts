// The API's limits: one table, each with the refusal it causes. Every per-connection and per-IP
// structure of the API is bounded by a row here; node/ and tests override rows by name.

import { DEFAULT_STATS_WINDOW } from './stats.js';

export interface ApiLimits {
  /** Largest request body (POST /api/txs), bytes: more is 413 `body-too-large`. */
  maxBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body (a signed transfer is one flat object): more is 400 `json-too-deep`. */
  maxJsonDepth: number;
  /** Most request headers: more is 431 `too-many-headers`. */
  maxHeaders: number;
  /** Time to send the request headers: slower is 408 `timeout`. */
  headersTimeoutMs: number;
  /** Time to send the whole request (headers and body): slower is 408 `timeout`. */
  requestTimeoutMs: number;
  /** A connection that moves no byte either way for this long is closed (clients that never read). */
  idleTimeoutMs: number;
  /** After an early refusal (413, 415, ...) the rest of the body is read and discarded up to this many bytes so the client can read the answer; a larger body gets the answer and a close. */
  drainMaxBytes: number;
  /** ... and for at most this long before the connection is closed. */
  drainTimeoutMs: number;
  /** Requests of one connection being answered ahead of what the client has read (responses not yet flushed to the socket); later ones wait. */
  maxInFlightPerConnection: number;
  /** Requests one connection may have waiting behind those; a client that pipelines more without reading is disconnected. */
  maxQueuedPerConnection: number;
  /** Open connections in total (event sockets included); Node drops connections beyond. */
  maxConnections: number;
  /** Open connections per remote IP (an IPv6 /64 is one IP), non-loopback clients only: more is 429 `too-many-connections`; past twice this a connection is closed at accept. */
  maxConnectionsPerIp: number;
  /** Sustained requests per second per remote IP (an IPv6 /64 is one IP), non-loopback clients only: more is 429 `rate-limited` with Retry-After. */
  requestsPerSecondPerIp: number;
  /** Requests per remote IP allowed in a burst above the sustained rate. */
  requestBurstPerIp: number;
  /** Remote IPs tracked for the per-IP caps (the longest idle is forgotten first). */
  maxTrackedIps: number;
  /** Loopback clients skip the per-IP caps: local wallets and scripts post thousands of txs in a burst. Tests turn it off to exercise the caps. */
  loopbackExempt: boolean;
  /** /api/events clients at once: more is 503 `too-many-clients`. */
  maxEventClients: number;
  /** Bytes queued for one event client before it is dropped as a slow consumer (close 1008 `slow-consumer`). */
  maxEventBufferedBytes: number;
  /** A slow consumer that does not complete the close handshake is cut off after this long. */
  eventCloseGraceMs: number;
  /** Ping interval for event clients; one that misses a pong is dropped. */
  eventPingIntervalMs: number;
  /** Most blocks one /api/blocks call returns: more is 400 `bad-query`. */
  maxBlocksPerPage: number;
  /** Bytes of encoded large answers (blocks, block pages, mempool) kept to be shared between requests. */
  responseCacheBytes: number;
  /** Recent main-chain blocks /api/stats computes over. */
  statsWindow: number;
  /** Reorgs /api/reorgs keeps. */
  reorgHistory: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 1 << 20,
  maxJsonDepth: 8,
  maxHeaders: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  drainMaxBytes: 8 << 20,
  drainTimeoutMs: 10_000,
  maxInFlightPerConnection: 2,
  maxQueuedPerConnection: 64,
  maxConnections: 1024,
  maxConnectionsPerIp: 16,
  requestsPerSecondPerIp: 20,
  requestBurstPerIp: 100,
  maxTrackedIps: 4096,
  loopbackExempt: true,
  maxEventClients: 64,
  maxEventBufferedBytes: 1 << 20,
  eventCloseGraceMs: 5000,
  eventPingIntervalMs: 30_000,
  maxBlocksPerPage: 100,
  responseCacheBytes: 32 << 20,
  statsWindow: DEFAULT_STATS_WINDOW,
  reorgHistory: 100,
};
