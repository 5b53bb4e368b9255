/// <reference lib="dom" />
// Typed GET of the node's JSON API (same origin). A refusal carries the API's stable reason; a
// request that never reaches the node, or is not answered within REQUEST_TIMEOUT_MS, is an
// ApiRefusal with status 0 and reason "unreachable", and flips the page's reachability (the "node
// unreachable, retrying" banner) until one succeeds.
export class ApiRefusal extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

/** A request the node has not answered by then counts as unreachable (the next refresh retries). */
const REQUEST_TIMEOUT_MS = 10_000;

type ReachabilityListener = (reachable: boolean) => void;
const listeners = new Set<ReachabilityListener>();
let reachable = true;

/** Called with false when a request cannot reach the node, and with true when one does again. */
export function onReachability(fn: ReachabilityListener): void {
  listeners.add(fn);
}

function setReachable(v: boolean): void {
  if (v === reachable) return;
  reachable = v;
  for (const fn of listeners) fn(v);
}

export async function getJson<T>(path: string): Promise<T> {
  let r: Response;
  try {
    r = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    setReachable(false);
    throw new ApiRefusal(0, 'unreachable', 'node unreachable, retrying');
  }
  setReachable(true);
  const body = (await r.json().catch(() => ({}))) as unknown;
  if (!r.ok) {
    const e = body as { error?: string; reason?: string };
    throw new ApiRefusal(r.status, e.reason ?? 'http-error', e.error ?? `HTTP ${r.status}`);
  }
  return body as T;
}
