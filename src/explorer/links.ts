/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The explorer's shared page parts: links to blocks, txs and accounts, live-ageing time cells,
// key/value lists, and the loading and error messages every detail page shows the same way.
import { el, replace, type Kid } from './dom.js';
import { age, short, shortAddr, when } from './format.js';
import { ApiRefusal } from './fetch-json.js';

export function blockLink(id: string, text?: string): HTMLAnchorElement {
  return el('a', { class: 'mono', href: `#/block/${id}`, title: id }, text ?? short(id));
}

export function txLink(id: string, text?: string): HTMLAnchorElement {
  return el('a', { class: 'mono', href: `#/tx/${id}`, title: id }, text ?? short(id));
}

export function acctLink(addr: string | null | undefined, text?: string): Node {
  return addr ? el('a', { class: 'mono', href: `#/account/${addr}`, title: addr }, text ?? shortAddr(addr)) : document.createTextNode('–');
}

/** A relative time that tick() keeps current, with the absolute time as its title. */
export function timeCell(ms: number): HTMLTimeElement {
  return el('time', { datetime: new Date(ms).toISOString(), 'data-time': ms, title: when(ms) }, age(ms));
}

/** Re-renders every relative time on the page (once a second). */
export function tick(): void {
  for (const t of document.querySelectorAll<HTMLTimeElement>('time[data-time]')) t.textContent = age(Number(t.getAttribute('data-time')));
}

export type KvRow = [label: string, value: Kid, attrs?: Record<string, string>] | null;

export function kv(rows: KvRow[]): HTMLDListElement {
  return el('dl', { class: 'kv' }, rows.flatMap((r) => (r ? [el('dt', {}, r[0]), el('dd', r[2] ?? {}, r[1])] : [])));
}

export function cell(content: Kid | Kid[], cls?: string): HTMLTableCellElement {
  return el('td', cls ? { class: cls } : {}, content);
}

export function message(target: HTMLElement, text: string, cls = 'muted'): void {
  replace(target, el('p', { class: cls, role: cls === 'error' ? 'alert' : null }, text));
}

/** A one-cell row across a table body: "empty" notes and errors. */
export function noteRow(body: HTMLElement, cols: number, text: string, cls = 'muted'): void {
  replace(body, el('tr', {}, el('td', { colspan: cols, class: cls, role: cls === 'error' ? 'alert' : null }, text)));
}

/** "Loading…" only when the target shows something else: live refreshes do not flicker. */
export function loading(target: HTMLElement, ref: string): void {
  if (target.getAttribute('data-ref') === ref) return;
  target.setAttribute('data-ref', ref);
  message(target, 'Loading…');
}

export function showError(target: HTMLElement, e: unknown, what: string): void {
  const status = e instanceof ApiRefusal ? e.status : 0;
  const text = e instanceof Error ? e.message : String(e);
  if (status === 404) message(target, `No ${what} found.`, 'error');
  else if (status === 400) message(target, `Not a valid ${what} reference: ${text}`, 'error');
  else message(target, text, 'error');
}
