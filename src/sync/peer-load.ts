// What the download window knows of each serving peer: how long a body takes when nothing is queued
// ahead of it (latency) and how long each further queued body adds (service time), measured from
// its own deliveries, and its in-flight limit, grown by each body it delivers up to what keeps it
// busy, and halved each time a request has to be taken away from it (AIMD, as TCP's window; Bitcoin
// Core caps at 16, lodestar scores peers by delivery). Latency and service time are kept apart because a peer far away has a
// long latency but may deliver a deep pipeline quickly, while a busy peer answers its first request
// fast and the sixteenth late: one smoothed response time that already includes the queue, times
// the queue again, made a busy fast peer look slower than an idle slow one.

/** Estimates for a peer we have not heard from yet. */
const PRIOR_LATENCY_MS = 200;
const PRIOR_SERVICE_MS = 20;
/** In-flight limit of a peer we have not measured (slow start): enough to find a staller in a few strikes. */
export const INITIAL_LIMIT = 4;
const WEIGHT = 0.2;
/**
 * Arrivals the service time is measured over. The syncing node reads its sockets between connects,
 * so bodies that came evenly are often handled in one burst: per-gap samples would be mostly zero
 * and make a peer look many times faster than it is.
 */
const SPAN = 8;

/** Per-peer download record. */
export interface PeerLoad {
  /** Requests it owes that are still its own (not moved to another peer). */
  inflight: number;
  /** Smoothed response time of its block requests, request to body, ms (queueing included). */
  ewmaMs: number;
  /** Smoothed time to a body with nothing queued ahead of it, ms. */
  latencyMs: number;
  /** Smoothed extra time per body queued ahead, ms. */
  serviceMs: number;
  /** Adaptive in-flight limit (1 .. the fill cap). */
  limit: number;
  /** Bodies it answered to requests it still owned: how far its estimates can be trusted. */
  samples: number;
  /** Of those, bodies that had a queue ahead of them (service-time samples). */
  queuedSamples: number;
  lastArrival: number;
  /** Arrival times of its latest bodies that had a queue ahead (at most SPAN): service time over a span, not per gap. */
  queuedArrivals: number[];
  /** Bodies it delivered (for the share figures). */
  served: number;
  strikes: number;
  /** When it was last asked, in the window's count of requests (whose turn is next among equals). */
  lastAsk: number;
}

export function newPeerLoad(): PeerLoad {
  return { inflight: 0, ewmaMs: PRIOR_LATENCY_MS, latencyMs: PRIOR_LATENCY_MS, serviceMs: PRIOR_SERVICE_MS, limit: INITIAL_LIMIT, samples: 0, queuedSamples: 0, lastArrival: 0, queuedArrivals: [], served: 0, strikes: 0, lastAsk: 0 };
}

const smooth = (old: number, sample: number, first: boolean): number => (first ? sample : old * (1 - WEIGHT) + sample * WEIGHT);

/**
 * A body arrived for a request sent at `sentAt` with `ahead` requests already queued at the peer.
 * The gap since its previous body is the service time of a queued request; the response time less
 * the queue ahead of it is its latency.
 */
export function noteDelivery(l: PeerLoad, sentAt: number, ahead: number, now: number, cap: number): void {
  const first = l.samples === 0;
  const response = Math.max(0, now - sentAt);
  l.ewmaMs = smooth(l.ewmaMs, response, first);
  if (ahead > 0) {
    const a = l.queuedArrivals;
    if (!a.length) a.push(Math.max(sentAt, l.lastArrival));
    a.push(now);
    if (a.length > SPAN) a.shift();
    l.serviceMs = smooth(l.serviceMs, (a[a.length - 1]! - a[0]!) / (a.length - 1), l.queuedSamples++ === 0);
  } else l.queuedArrivals.length = 0;
  l.latencyMs = smooth(l.latencyMs, Math.max(1, response - ahead * l.serviceMs), first);
  l.lastArrival = now;
  l.samples++;
  // Deep enough to keep it busy over its latency (Little's law), no deeper: a longer queue only
  // delays a re-asked low-edge block that has to wait behind it.
  const busy = Math.ceil(l.latencyMs / Math.max(1, l.serviceMs)) + 2;
  l.limit = Math.min(cap, l.limit + 1, Math.max(INITIAL_LIMIT, busy));
}

/** A body it was asked for came after the request had moved on: its response time still counts. */
export function noteLateDelivery(l: PeerLoad, sentAt: number, now: number): void {
  const response = Math.max(0, now - sentAt);
  l.ewmaMs = smooth(l.ewmaMs, response, l.samples === 0);
  // Whatever was queued ahead of it, it lagged: all of it counts as latency.
  l.latencyMs = smooth(l.latencyMs, response, l.samples === 0);
  l.lastArrival = now;
  l.samples++;
}

/** A request it owed stalled and was taken away: half the in-flight limit (never below one). */
export function noteLagging(l: PeerLoad): void {
  l.limit = Math.max(1, Math.floor(l.limit / 2));
}

/**
 * A request moved to a peer expected sooner (not a stall): one less in flight. Halving here let a
 * fast peer that answered its first bodies slowly (cold) lose most of its limit before it was
 * measured, and serve a tenth of a short sync.
 */
export function noteOvertaken(l: PeerLoad): void {
  l.limit = Math.max(1, l.limit - 1);
}

/** Expected ms until a new request is answered with `depth` requests already queued at the peer. */
export function expectedMs(l: Pick<PeerLoad, 'latencyMs' | 'serviceMs'>, depth: number): number {
  return l.latencyMs + depth * l.serviceMs;
}
