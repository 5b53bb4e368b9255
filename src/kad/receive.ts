// The receive path's tiers, cheapest first, before any handler runs: framing; then a response must
// answer a request of ours still waiting (a late duplicate or a stray costs no verification) and a
// request spends its source's budget; then the signature (inline on an idle loop, on a worker
// thread on a busy one: crypto-gate.ts) and the expiry. What passes reaches the node's handler
// (which never throws out of here); the rest is counted by reason and dropped.
import { KeyedTokenBuckets } from '../core/index.js';
import type { Logger } from '../log/index.js';
import type { CryptoGate } from './crypto-gate.js';
import { RESPONSE_TYPES, decodePacket, decodePacketGated, peekPacket, type DecodedPacket, type DropReason } from './packet.js';
import type { Clock, Datagram } from './transport.js';

/** What the receive path needs from its node. */
export interface ReceiveHost {
  running(): boolean;
  /** Is this response's request id one of ours, waiting on this endpoint (rpc.ts)? */
  expects(requestId: bigint, host: string, port: number): boolean;
  drop(reason: DropReason): void;
  handle(p: DecodedPacket, host: string, port: number, now: number): void;
}

export class ReceivePath {
  private readonly budget: KeyedTokenBuckets;

  constructor(
    private readonly node: ReceiveHost,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Undefined: always verify on the loop. */
    private readonly gate: CryptoGate | undefined,
    budget: { burst: number; perSecond: number; cap: number },
  ) {
    this.budget = new KeyedTokenBuckets({ burst: budget.burst, perSecond: budget.perSecond }, budget.cap);
  }

  /** Sources with a budget now (bounded by the cap). */
  get budgetSize(): number {
    return this.budget.size;
  }

  receive(data: Datagram, host: string, port: number): void {
    const now = this.clock.now(); // packet expiry: wall time; the request budget is a rate (monotonic)
    let p: DecodedPacket;
    if (data instanceof Uint8Array) {
      const peek = peekPacket(data);
      if (typeof peek === 'string') return this.node.drop(peek);
      if (RESPONSE_TYPES.has(peek.type)) {
        if (!this.node.expects(peek.requestId, host, port)) return this.node.drop('unsolicited');
      } else if (!this.budget.take(sourceKey(host, port), this.clock.monotonic())) return this.node.drop('over-budget');
      const d = this.gate ? decodePacketGated(data, () => this.clock.now(), this.gate, peek) : decodePacket(data, now, peek);
      if (d instanceof Promise) {
        // Verified on a worker (the loop is busy): the loop reads and routes other datagrams meanwhile.
        void d.then((r) => {
          if (!this.node.running()) return;
          if (typeof r === 'string') return this.node.drop(r);
          this.handle(r, host, port, this.clock.now());
        });
        return;
      }
      if (typeof d === 'string') return this.node.drop(d);
      p = d;
    } else {
      // The simulated wire carries decoded packets: only the expiry and the budget apply.
      if (data.expiry < now) return this.node.drop('expired');
      if (!RESPONSE_TYPES.has(data.body.type) && !this.budget.take(sourceKey(host, port), this.clock.monotonic())) return this.node.drop('over-budget');
      p = data;
    }
    this.handle(p, host, port, now);
  }

  private handle(p: DecodedPacket, host: string, port: number, now: number): void {
    try {
      this.node.handle(p, host, port, now);
    } catch (e) {
      this.log.debug('packet handler error', { err: String(e) });
      this.node.drop('malformed');
    }
  }
}

/** Budget key: the IP (one machine, one budget), except loopback where each port is a node. */
function sourceKey(host: string, port: number): string {
  return host === '127.0.0.1' || host === '::1' ? `${host}|${port}` : host;
}
