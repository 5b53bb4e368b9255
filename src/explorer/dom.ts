/// <reference lib="dom" />
// Small typed DOM helpers shared by the explorer's views: element builders that only ever set
// text (never HTML), so data from the node cannot inject markup.
export type Kid = Node | string | null | undefined;

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const n = document.getElementById(id);
  if (!n) throw new Error(`explorer: missing element #${id}`);
  return n as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | null | undefined> = {}, kids: Kid | Kid[] = []): HTMLElementTagNameMap[K] {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) n.setAttribute(k, String(v));
  for (const c of Array.isArray(kids) ? kids : [kids]) if (c !== null && c !== undefined) n.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return n;
}

export function replace(target: HTMLElement, kids: Kid | Kid[]): void {
  target.replaceChildren(...(Array.isArray(kids) ? kids : [kids]).filter((c): c is Node | string => c !== null && c !== undefined));
}

/** Sets a figure's text and its raw value (data-value), which tests and scrapers read exactly. */
export function figure(id: string, text: string, value: number | null): void {
  const n = document.getElementById(id);
  if (!n) return;
  n.textContent = text;
  if (value === null) n.removeAttribute('data-value');
  else n.setAttribute('data-value', String(value));
}

export function table(head: string[], rows: Kid[][], attrs: Record<string, string> = {}): HTMLTableElement {
  return el('table', { class: 'grid', ...attrs }, [
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))),
  ]);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; like el(), children are nodes or text only. */
export function svg(tag: string, attrs: Record<string, string | number | null | undefined> = {}, kids: Kid | Kid[] = []): SVGElement {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) n.setAttribute(k, String(v));
  for (const c of Array.isArray(kids) ? kids : [kids]) if (c !== null && c !== undefined) n.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return n;
}
