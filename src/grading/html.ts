/**
 * A small, tolerant HTML reader for what the checker reads: nbconvert's export
 * of a notebook and the lab's own outputs (tables, notes, photo grids). It
 * builds a tree without running anything: no scripts, no styles applied, no
 * network. Broken markup never throws: unclosed elements close at the end, a
 * stray end tag closes up to its match or is dropped.
 *
 * @example
 * const doc = parseHtml('<table><tr><td>a &amp; b</td></tr></table>');
 * textOf(findAll(doc, (e) => e.tag === 'td')[0]);   // 'a & b'
 */

export interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
  parent?: HtmlElement;
}
export type HtmlNode = HtmlElement | string;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Elements whose content is text up to their end tag (no markup inside). */
const RAW = new Set(['script', 'style', 'textarea', 'title']);
/** Start tags that close an open element of the same kind (p, li, tr, td ...), as browsers do. */
const CLOSES: Record<string, string[]> = {
  p: ['p'],
  li: ['li'],
  tr: ['tr', 'td', 'th'],
  td: ['td', 'th'],
  th: ['td', 'th'],
  option: ['option'],
};

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '\u2013',
  mdash: '\u2014',
  hellip: '\u2026',
  middot: '\u00b7',
  rarr: '\u2192',
  larr: '\u2190',
  times: '\u00d7',
  ldquo: '\u201c',
  rdquo: '\u201d',
  lsquo: '\u2018',
  rsquo: '\u2019',
  auml: '\u00e4',
  ouml: '\u00f6',
  uuml: '\u00fc',
  Auml: '\u00c4',
  Ouml: '\u00d6',
  Uuml: '\u00dc',
  szlig: '\u00df',
  copy: '\u00a9',
  infin: '\u221e',
};

/** Text with HTML character references decoded (named ones the lab and nbconvert write, and numeric ones). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[ref] ?? whole;
  });
}

const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

function parseAttrs(s: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of s.matchAll(ATTR)) {
    const name = m[1].toLowerCase();
    if (!(name in attrs)) attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The document as a tree under a root element (tag '#root'). Never throws on bad markup. */
export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [] };
  const stack: HtmlElement[] = [root];
  const top = () => stack[stack.length - 1];
  const text = (s: string) => {
    if (s) top().children.push(decodeEntities(s));
  };
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      text(html.slice(i));
      break;
    }
    text(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      const end = html.indexOf('>', lt);
      i = end < 0 ? n : end + 1;
      continue;
    }
    const m = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/.exec(html.slice(lt, lt + 65536));
    if (!m) {
      text('<');
      i = lt + 1;
      continue;
    }
    i = lt + m[0].length;
    const tag = m[2].toLowerCase();
    if (m[1]) {
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const closes = CLOSES[tag];
    if (closes) {
      // Close an open p/li/td... but never past a table or list that holds it.
      for (let j = stack.length - 1; j > 0; j--) {
        const t = stack[j].tag;
        if (closes.includes(t)) {
          stack.length = j;
          break;
        }
        if (t === 'table' || t === 'ul' || t === 'ol' || t === 'div') break;
      }
    }
    const el: HtmlElement = { tag, attrs: parseAttrs(m[3]), children: [], parent: top() };
    top().children.push(el);
    if (RAW.has(tag)) {
      const close = html.toLowerCase().indexOf(`</${tag}`, i);
      const end = close < 0 ? n : close;
      const body = html.slice(i, end);
      if (body) el.children.push(tag === 'script' || tag === 'style' ? body : decodeEntities(body));
      const gt = close < 0 ? -1 : html.indexOf('>', close);
      i = gt < 0 ? n : gt + 1;
      continue;
    }
    if (!VOID.has(tag) && !/\/\s*$/.test(m[3])) stack.push(el);
  }
  return root;
}

/** Every element under `node` (depth first, document order) for which `test` holds. */
export function findAll(node: HtmlElement, test: (e: HtmlElement) => boolean): HtmlElement[] {
  const out: HtmlElement[] = [];
  const todo: HtmlNode[] = [...node.children].reverse();
  while (todo.length) {
    const x = todo.pop()!;
    if (typeof x === 'string') continue;
    if (test(x)) out.push(x);
    for (let j = x.children.length - 1; j >= 0; j--) todo.push(x.children[j]);
  }
  return out;
}

/** Whether the element's class attribute lists `name`. */
export function hasClass(e: HtmlElement, name: string): boolean {
  return (e.attrs.class ?? '').split(/\s+/).includes(name);
}

/** The text under a node as a browser would show it, roughly: script and style left out, <br> and blocks as newlines. */
export function textOf(node: HtmlNode): string {
  const out: string[] = [];
  const todo: HtmlNode[] = [node];
  while (todo.length) {
    const x = todo.pop()!;
    if (typeof x === 'string') {
      out.push(x);
      continue;
    }
    if (x.tag === 'script' || x.tag === 'style') continue;
    if (x.tag === 'br' || x.tag === 'p' || x.tag === 'div' || x.tag === 'tr' || x.tag === 'li') out.push('\n');
    for (let j = x.children.length - 1; j >= 0; j--) todo.push(x.children[j]);
  }
  return out.join('');
}

/** A table's rows as objects keyed by its header cells' text (th in thead, or the first row). */
export function tableRows(table: HtmlElement): Array<Record<string, string>> {
  const rows = findAll(table, (e) => e.tag === 'tr');
  if (rows.length === 0) return [];
  const cells = (tr: HtmlElement) =>
    tr.children
      .filter((c): c is HtmlElement => typeof c !== 'string' && (c.tag === 'td' || c.tag === 'th'))
      .map((c) => textOf(c).replace(/\s+/g, ' ').trim());
  const header = cells(rows[0]);
  return rows.slice(1).map((tr) => {
    const row: Record<string, string> = {};
    cells(tr).forEach((v, i) => {
      row[header[i] || `#${i}`] = v;
    });
    return row;
  });
}
