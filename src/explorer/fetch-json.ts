/// <reference lib="dom" />
// Typed GET of the node's JSON API (same origin). A refusal carries the API's stable reason.
export class ApiRefusal extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const body = (await r.json().catch(() => ({}))) as unknown;
  if (!r.ok) {
    const e = body as { error?: string; reason?: string };
    throw new ApiRefusal(r.status, e.reason ?? 'http-error', e.error ?? `HTTP ${r.status}`);
  }
  return body as T;
}
