// Requests and their answers: request ids, per-attempt timeouts and retries (geth's discover: an
// answer within 500 ms or the request is sent again, at most 3 times), replies split across
// several packets, and the check that an answer comes from the endpoint and the key we asked.
import { toHex } from '../crypto/index.js';
import type { Body, BodyType, DecodedPacket } from './packet.js';
import type { Clock } from './transport.js';

export interface RequestOptions {
  /** Only a reply signed by this node id counts (undefined: any signer, e.g. a bootstrap address). */
  expectId?: string;
  attempts?: number;
  timeoutMs?: number;
}

interface Attempt {
  call: Call;
  got: DecodedPacket[];
  total: number;
}

interface Call {
  endpoint: string;
  expect: readonly BodyType[];
  expectId: string | undefined;
  ids: string[];
  timer: unknown;
  attempts: Attempt[];
  done: boolean;
  resolve: (p: DecodedPacket[] | undefined) => void;
}

/** Parts of one multi-packet reply we accept at most (a reply's `total` is capped to this). */
const MAX_PARTS = 4;

export class Rpc {
  private readonly pending = new Map<string, Attempt>();
  private counter: bigint;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    random: () => number,
    private readonly sendRaw: (host: string, port: number, requestId: bigint, body: Body) => void,
    private readonly defaults: { attempts: number; timeoutMs: number },
  ) {
    this.counter = BigInt(Math.floor(random() * 2 ** 48)) << 16n;
  }

  get inflight(): number {
    return this.pending.size;
  }

  nextId(): bigint {
    this.counter = (this.counter + 1n) & 0xffff_ffff_ffff_ffffn;
    return this.counter;
  }

  /**
   * Sends `body` and resolves with the reply packets, or undefined when every attempt timed out
   * (or the node stopped). A multi-packet reply that stays incomplete resolves with its parts.
   */
  request(host: string, port: number, body: Body, expect: readonly BodyType[], opts: RequestOptions = {}): Promise<DecodedPacket[] | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const attempts = opts.attempts ?? this.defaults.attempts;
    const timeoutMs = opts.timeoutMs ?? this.defaults.timeoutMs;
    return new Promise((resolve) => {
      const call: Call = { endpoint: `${host}|${port}`, expect, expectId: opts.expectId, ids: [], timer: undefined, attempts: [], done: false, resolve };
      const attempt = (n: number): void => {
        if (call.done) return;
        if (this.closed || n >= attempts) return this.finish(call, bestPartial(call));
        const id = this.nextId();
        const a: Attempt = { call, got: [], total: 1 };
        call.attempts.push(a);
        call.ids.push(id.toString());
        this.pending.set(id.toString(), a);
        call.timer = this.clock.setTimeout(() => attempt(n + 1), timeoutMs);
        this.sendRaw(host, port, id, body);
      };
      attempt(0);
    });
  }

  /** A response packet: true when it answered one of our requests (else the caller drops it). */
  handleResponse(p: DecodedPacket, host: string, port: number): boolean {
    const a = this.pending.get(p.requestId.toString());
    if (!a) return false;
    const call = a.call;
    if (call.endpoint !== `${host}|${port}` || !call.expect.includes(p.body.type)) return false;
    if (call.expectId !== undefined && toHex(p.senderId) !== call.expectId) return false;
    a.got.push(p);
    if (p.body.type === 'nodes' || p.body.type === 'value') a.total = Math.min(p.body.total, MAX_PARTS);
    if ((p.body.type !== 'nodes' && p.body.type !== 'value') || a.got.length >= a.total) this.finish(call, a.got);
    return true;
  }

  /** Every call in flight resolves undefined now; later requests resolve undefined at once. */
  close(): void {
    this.closed = true;
    for (const a of [...this.pending.values()]) this.finish(a.call, undefined);
    this.pending.clear();
  }

  private finish(call: Call, result: DecodedPacket[] | undefined): void {
    if (call.done) return;
    call.done = true;
    this.clock.clearTimeout(call.timer);
    for (const id of call.ids) this.pending.delete(id);
    call.resolve(result && result.length ? result : undefined);
  }
}

function bestPartial(call: Call): DecodedPacket[] | undefined {
  let best: DecodedPacket[] | undefined;
  for (const a of call.attempts) if (a.got.length && (!best || a.got.length > best.length)) best = a.got;
  return best;
}
