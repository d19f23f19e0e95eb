/**
 * A submitted HTML export (nbconvert's, as `jupyter nbconvert --to html` and
 * the main job write it with the lab template, or the classic template of
 * `--template classic` and Notebook 6's "Download as HTML") read for
 * checking: its cells' input and output text, and its scripts. Then: does it
 * show the same notebook (same cells, same sources, same outputs) and does it
 * carry scripts that neither nbconvert's page nor the notebook's own outputs
 * put there?
 *
 * Nothing of the HTML is run or shown: it is parsed as text (./html).
 *
 * @example
 * const html = readExportHtml('anna/02-knn-queries.html');
 * compareWithNotebook(html, readNotebook('anna/02-knn-queries.ipynb'));   // { same: true, ... }
 */
import * as fs from 'node:fs';
import { findAll, type HtmlElement, hasClass, parseHtml, textOf } from './html';
import type { SubmittedNotebook } from './notebook';

/** HTML exports bigger than this are not read (the lab's largest is about 2 MB). */
export const MAX_HTML_BYTES = 128 * 2 ** 20;

export interface ExportCell {
  type: 'code' | 'markdown' | 'raw';
  /** The code as shown (code cells) or the rendered text (markdown). */
  input: string;
  /** The text of the outputs, prompts left out. */
  output: string;
  /** data: URIs' payloads of the images in the outputs. */
  images: string[];
}

export interface ExportScript {
  src?: string;
  type?: string;
  body: string;
}

export interface ExportHtml {
  file: string;
  damaged?: string;
  /** Whether it looks like nbconvert's export (jp-Cell elements, or the classic template's cells); else no cells. */
  nbconvert: boolean;
  /** Which of nbconvert's templates made it: lab (jp-Cell) or classic (div.cell, code_cell / text_cell). */
  template?: 'lab' | 'classic';
  title?: string;
  cells: ExportCell[];
  scripts: ExportScript[];
  /** Inline event handlers (onload=..., onerror=...) and javascript: links: "tag attribute". */
  handlers: string[];
}

const cellType = (e: HtmlElement): ExportCell['type'] =>
  hasClass(e, 'jp-CodeCell') ? 'code' : hasClass(e, 'jp-MarkdownCell') ? 'markdown' : 'raw';

/** The classic template's cell: div.cell with code_cell or text_cell (raw cells are written without a wrapper). */
const isClassicCell = (e: HtmlElement) =>
  e.tag === 'div' && hasClass(e, 'cell') && (hasClass(e, 'code_cell') || hasClass(e, 'text_cell'));

/** Where each template puts a cell's input, its rendered markdown and its outputs (prompts left out). */
const TEMPLATES = {
  lab: {
    isCell: (e: HtmlElement) => e.tag === 'div' && hasClass(e, 'jp-Cell'),
    type: cellType,
    code: (e: HtmlElement) => hasClass(e, 'jp-InputArea-editor'),
    markdown: (e: HtmlElement) => hasClass(e, 'jp-RenderedMarkdown') || hasClass(e, 'jp-InputArea'),
    output: (e: HtmlElement) => hasClass(e, 'jp-OutputArea-output'),
  },
  classic: {
    isCell: isClassicCell,
    type: (e: HtmlElement): ExportCell['type'] => (hasClass(e, 'code_cell') ? 'code' : 'markdown'),
    code: (e: HtmlElement) => hasClass(e, 'input_area'),
    markdown: (e: HtmlElement) => hasClass(e, 'text_cell_render'),
    // Each output_area holds a prompt ("Out[3]:") and the output itself, the output_subarea.
    output: (e: HtmlElement) => hasClass(e, 'output_subarea'),
  },
};

/** Reads an HTML export; never throws (a file that cannot be read comes back `damaged`). */
export function readExportHtml(file: string): ExportHtml {
  const empty = { file, nbconvert: false, cells: [], scripts: [], handlers: [] };
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_HTML_BYTES) return { ...empty, damaged: `${(size / 2 ** 20).toFixed(0)} MB (at most 128 MB)` };
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { ...empty, damaged: `cannot be read (${(e as Error).message})` };
  }
  const doc = parseHtml(text);
  const scripts = findAll(doc, (e) => e.tag === 'script').map((s) => ({
    src: s.attrs.src,
    type: s.attrs.type,
    body: s.children.filter((c): c is string => typeof c === 'string').join(''),
  }));
  const handlers = findAll(doc, () => true).flatMap((e) =>
    Object.entries(e.attrs)
      .filter(
        ([k, v]) => /^on[a-z]+$/.test(k) || (/^(href|src|action|formaction)$/.test(k) && /^\s*javascript:/i.test(v)),
      )
      .map(([k]) => `<${e.tag} ${k}>`),
  );
  const title = findAll(doc, (e) => e.tag === 'title')[0];
  // The lab template's cells when there are any, else the classic template's.
  let template: 'lab' | 'classic' | undefined = 'lab';
  let cellEls = findAll(doc, TEMPLATES.lab.isCell);
  if (cellEls.length === 0) {
    cellEls = findAll(doc, TEMPLATES.classic.isCell);
    template = cellEls.length ? 'classic' : undefined;
  }
  const how = TEMPLATES[template ?? 'lab'];
  const cells = cellEls.map((c): ExportCell => {
    const type = how.type(c);
    const inputEl = findAll(c, type === 'code' ? how.code : how.markdown)[0];
    const outputs = type === 'code' ? findAll(c, how.output) : [];
    return {
      type,
      input: inputEl ? textOf(inputEl) : '',
      output: outputs.map((o) => textOf(o)).join('\n'),
      images: outputs.flatMap((o) =>
        findAll(o, (e) => e.tag === 'img' && /^data:image\//.test(e.attrs.src ?? '')).map((i) =>
          i.attrs.src.replace(/^data:[^,]*,/, '').replace(/\s+/g, ''),
        ),
      ),
    };
  });
  return {
    file,
    nbconvert: cellEls.length > 0,
    template,
    title: title ? textOf(title).trim() : undefined,
    cells,
    scripts,
    handlers,
  };
}

/**
 * nbconvert's own page scripts: require.js, MathJax (MathJax.js, or latest.js as nbconvert 5 loads it) and its
 * configuration; with the classic template also jQuery. From a CDN (cdnjs) or where a packager points them (Debian:
 * file:///usr/share/javascript/...); known by their file names, as nbconvert's settings may move them.
 */
export function isTemplateScript(s: ExportScript, template?: ExportHtml['template']): boolean {
  if (s.src) {
    if (s.body.trim()) return false;
    const file = /\/(require(\.min)?\.js|MathJax\.js|mathjax\/[\w.-]+\/latest\.js)(\?[^/]*)?$/;
    return file.test(s.src) || (template === 'classic' && /\/jquery(\.min)?\.js(\?[^/]*)?$/.test(s.src));
  }
  return s.type === 'text/x-mathjax-config' && /init_mathjax/.test(s.body);
}

const ANSI = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*[A-Za-z]', 'g');
const squash = (s: string) => s.replace(ANSI, '').replace(/\s+/g, '');

/** The scripts of a notebook's own outputs (charts), as squashed bodies and sources. */
function notebookScripts(nb: SubmittedNotebook | undefined): Set<string> {
  const out = new Set<string>();
  for (const c of nb?.cells ?? []) {
    for (const o of c.outputs) {
      if (!o.html || !/<script/i.test(o.html)) continue;
      for (const s of findAll(parseHtml(o.html), (e) => e.tag === 'script')) {
        out.add(s.attrs.src ? `src:${s.attrs.src}` : squash(s.children.join('')));
      }
    }
  }
  return out;
}

/** Scripts in the export that neither nbconvert's page nor the notebook's outputs hold. */
export function foreignScripts(html: ExportHtml, nb?: SubmittedNotebook): ExportScript[] {
  const own = notebookScripts(nb);
  return html.scripts.filter(
    (s) =>
      !isTemplateScript(s, html.template) &&
      !own.has(s.src ? `src:${s.src}` : squash(s.body)) &&
      (s.src || s.body.trim()),
  );
}

type Cell = SubmittedNotebook['cells'][number];

/** What a notebook cell's outputs show in nbconvert's HTML: their text and their images' payloads. */
function outputsShown(cell: Cell): { text: string; images: string[] } {
  const images: string[] = [];
  const text = cell.outputs.map((o) => {
    images.push(...o.images);
    if (o.html === undefined) return o.type === 'error' ? o.text.split('\n')[0] : o.text;
    const doc = parseHtml(o.html);
    for (const img of findAll(doc, (e) => e.tag === 'img' && /^data:image\//.test(e.attrs.src ?? ''))) {
      images.push(img.attrs.src.replace(/^data:[^,]*,/, '').replace(/\s+/g, ''));
    }
    return textOf(doc);
  });
  return { text: text.join(''), images };
}

const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Whether rendered markdown shows the source's words: nothing that is not in the source, most of what is. */
function sameMarkdown(source: string, rendered: string): boolean {
  const have = new Map<string, number>();
  const src = words(source);
  for (const w of src) have.set(w, (have.get(w) ?? 0) + 1);
  let found = 0;
  for (const w of words(rendered)) {
    const n = have.get(w) ?? 0;
    if (n === 0) return false;
    have.set(w, n - 1);
    found++;
  }
  return src.length === 0 || found / src.length >= 0.8;
}

export interface HtmlComparison {
  /** Whether the export shows the same cells, sources and outputs as the notebook. */
  same: boolean;
  /** The first differences, as sentences. */
  differences: string[];
}

/**
 * Compares an export with its notebook cell by cell: the order of cell types,
 * each code cell's source (whitespace aside), each markdown cell's words, and
 * each code cell's output text and images.
 */
export function compareWithNotebook(html: ExportHtml, nb: SubmittedNotebook): HtmlComparison {
  const differences: string[] = [];
  if (!html.nbconvert) {
    return {
      same: false,
      differences: ["not an nbconvert export of a notebook (no cells of nbconvert's lab or classic template)"],
    };
  }
  const cells = nb.cells.filter((c) => c.type !== 'raw');
  const shown = html.cells.filter((c) => c.type !== 'raw');
  if (cells.length !== shown.length) {
    differences.push(`${shown.length} cells in the HTML, ${cells.length} in the notebook`);
  }
  for (let i = 0; i < Math.min(cells.length, shown.length) && differences.length < 5; i++) {
    const c = cells[i];
    const h = shown[i];
    const where = `cell ${c.index + 1}`;
    if (c.type !== h.type) {
      differences.push(`${where}: a ${c.type} cell in the notebook, ${h.type} in the HTML`);
      continue;
    }
    if (c.type === 'markdown') {
      if (!sameMarkdown(c.source, h.input)) differences.push(`${where}: other text in the HTML`);
      continue;
    }
    const out = outputsShown(c);
    if (squash(c.source) !== squash(h.input)) differences.push(`${where}: other code in the HTML`);
    else if (squash(out.text) !== squash(h.output.replace(/Out\s*\[\s*\d*\s*\]:/g, ''))) {
      differences.push(`${where}: other output in the HTML`);
    } else if (out.images.length !== h.images.length || out.images.some((img) => !h.images.includes(img))) {
      differences.push(`${where}: other images in the HTML`);
    }
  }
  return { same: differences.length === 0, differences };
}
