// Diagnostics of the gossip bench (BENCH_GOSSIP_TRACE=1), printed to stderr, never part of the
// figures: each block's relay tree (hops from its miner) and where a hop's milliseconds go.
import type { BlockTrace } from './node-child.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

export const median = (xs: number[]): number => (xs.length ? Math.round(percentile([...xs].sort((a, b) => a - b), 0.5) * 10) / 10 : NaN);

/**
 * The relay tree of each block (a node's parent is the peer its body came from) and, per hop, the
 * medians of: header wait (parent announced -> header here), fetch (header -> body: getdata, serve,
 * transfer), connect (body -> connected), announce (connected -> announced onwards).
 */
export function describeRelay(ids: string[], traces: BlockTrace[][], mined: { id: string; node: number; at: number }[]): string {
  const nodeOf = new Map(ids.map((id, i) => [id, i]));
  const headerMsgs: number[] = [];
  const seg = { headerWait: [] as number[], fetch: [] as number[], headerToGetdata: [] as number[], getdataToServerAsked: [] as number[], serverAskedToSent: [] as number[], sentToBody: [] as number[], connect: [] as number[], announce: [] as number[], minerSubmitToAnnounce: [] as number[], minerAnnounceToLoopFree: [] as number[], minerAnnounceToGetdataSent: [] as number[], minerFirstAsked: [] as number[], minerLastAsked: [] as number[], minerLastSent: [] as number[], minerLastGetdataSent: [] as number[], minerLastHeaderArrived: [] as number[] };
  const depths: number[] = [];
  const lines: string[] = [];
  for (const m of mined) {
    const byNode = traces.map((ts) => ts.find((t) => t.id === m.id));
    const depth = new Map<number, number>([[m.node, 0]]);
    const depthOf = (i: number, guard = 0): number => {
      const d = depth.get(i);
      if (d !== undefined) return d;
      const parent = nodeOf.get(byNode[i]?.bodyFrom ?? '');
      const v = parent === undefined || guard > ids.length ? NaN : depthOf(parent, guard + 1) + 1;
      depth.set(i, v);
      return v;
    };
    const own = byNode[m.node];
    if (own?.announcedAt !== undefined) {
      seg.minerSubmitToAnnounce.push(own.announcedAt - m.at);
      const a = own.announcedAt;
      if (own.loopFreeAt !== undefined) seg.minerAnnounceToLoopFree.push(own.loopFreeAt - a);
      const asked = (own.served ?? []).map((s) => s.askedAt - a).sort((x, y) => x - y);
      const sent = (own.served ?? []).flatMap((s) => (s.sentAt === undefined ? [] : [s.sentAt - a])).sort((x, y) => x - y);
      if (asked.length) seg.minerFirstAsked.push(asked[0]!), seg.minerLastAsked.push(asked[asked.length - 1]!);
      if (sent.length) seg.minerLastSent.push(sent[sent.length - 1]!);
      const gd: number[] = [];
      const hd: number[] = [];
      for (const t of byNode) {
        if (!t || t === own || t.bodyFrom === undefined || nodeOf.get(t.bodyFrom) !== m.node) continue;
        if (t.getdataAt !== undefined) gd.push(t.getdataAt - a);
        if (t.headerAt !== undefined) hd.push(t.headerAt - a);
      }
      seg.minerAnnounceToGetdataSent.push(...gd);
      if (gd.length) seg.minerLastGetdataSent.push(Math.max(...gd));
      if (hd.length) seg.minerLastHeaderArrived.push(Math.max(...hd));
    }
    for (let i = 0; i < ids.length; i++) {
      const t = byNode[i];
      if (t) headerMsgs.push(t.headerMsgs ?? 0);
      if (i === m.node || !t) continue;
      depths.push(depthOf(i));
      const parent = byNode[nodeOf.get(t.bodyFrom ?? '') ?? -1];
      if (t.headerAt !== undefined && parent?.announcedAt !== undefined && nodeOf.get(t.headerFrom ?? '') === nodeOf.get(t.bodyFrom ?? '')) seg.headerWait.push(t.headerAt - parent.announcedAt);
      if (t.headerAt !== undefined && t.bodyAt !== undefined) seg.fetch.push(t.bodyAt - t.headerAt);
      // The fetch split: our getdata, its arrival at the server, the server's answer, its arrival here.
      if (t.headerAt !== undefined && t.getdataAt !== undefined) seg.headerToGetdata.push(t.getdataAt - t.headerAt);
      const served = parent?.served?.find((s) => s.peer === ids[i]);
      if (served && t.getdataAt !== undefined) seg.getdataToServerAsked.push(served.askedAt - t.getdataAt);
      if (served?.sentAt !== undefined) seg.serverAskedToSent.push(served.sentAt - served.askedAt);
      if (served?.sentAt !== undefined && t.bodyAt !== undefined) seg.sentToBody.push(t.bodyAt - served.sentAt);
      if (t.bodyAt !== undefined && t.connectedAt !== undefined) seg.connect.push(t.connectedAt - t.bodyAt);
      if (t.connectedAt !== undefined && t.announcedAt !== undefined) seg.announce.push(t.announcedAt - t.connectedAt);
    }
    const last = Math.max(...byNode.map((t) => t?.connectedAt ?? -Infinity)) - m.at;
    lines.push(`  block ${m.id.slice(0, 8)} miner=${m.node} hops=[${ids.map((_, i) => depthOf(i)).join(',')}] last=${Math.round(last * 10) / 10}ms`);
  }
  const hist = new Map<number, number>();
  for (const d of depths) hist.set(d, (hist.get(d) ?? 0) + 1);
  const summary = Object.fromEntries(Object.entries(seg).map(([k, v]) => [k, median(v)]));
  return `gossip trace: hop histogram ${JSON.stringify(Object.fromEntries([...hist].sort((a, b) => a[0] - b[0])))}; header announcements received per node per block ${median(headerMsgs)} (mean ${Math.round((headerMsgs.reduce((a, b) => a + b, 0) / Math.max(1, headerMsgs.length)) * 10) / 10}); medians (ms) ${JSON.stringify(summary)}\n${lines.join('\n')}\n`;
}

