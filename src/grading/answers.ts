/**
 * What a submitted notebook printed, read back as data: the lab's tables
 * (src/show/table.ts), its answer notes (showNote(..., 'answer')) and its
 * neighbour grids (showNeighbours: per query a row of tiles captioned
 * "#1 beagle"), and the checks built on them: precision@k re-computed from the
 * printed neighbours (tasks 2 and 3), and task 4's named settings held against
 * the student's own table.
 *
 * @example
 * const nb = readNotebook('anna/04-hnsw-grid.ipynb');
 * checkTask4(nb);   // { status: 'ok', fastest: 'HNSWFlat(M=32, ...) L1 efSearch=10', ... }
 */
import { findAll, type HtmlElement, hasClass, parseHtml, tableRows, textOf } from './html';
import type { SubmittedNotebook } from './notebook';

export interface PrintedTable {
  cell: number;
  caption?: string;
  rows: Array<Record<string, string>>;
}

export interface PrintedGrid {
  cell: number;
  title?: string;
  /** Per query: its caption, its breed (when shown) and its neighbours' classes in rank order. */
  rows: Array<{ query: string; breed?: string; neighbours: string[] }>;
}

/** The outcome of one check: ok, a difference a teacher should look at, or nothing to check. */
export type Status = 'ok' | 'differs' | 'missing' | 'n/a';

export interface Finding {
  status: Status;
  /** One line for the table. */
  summary: string;
  /** Sentences for the details. */
  notes: string[];
}

const htmlOutputs = (nb: SubmittedNotebook) =>
  nb.cells.flatMap((c) =>
    c.outputs.filter((o) => o.html !== undefined).map((o) => ({ cell: c.index, doc: parseHtml(o.html!) })),
  );

/** Every HTML table the notebook's outputs show, with its header cells as keys. */
export function printedTables(nb: SubmittedNotebook): PrintedTable[] {
  return htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => e.tag === 'table').map((t) => {
      const caption = findAll(t, (e) => e.tag === 'caption')[0];
      return { cell, caption: caption ? textOf(caption).trim() : undefined, rows: tableRows(t) };
    }),
  );
}

/** The text of the answer notes (the lab's green boxes), and of printed lines starting "Answer". */
export function answerTexts(nb: SubmittedNotebook): Array<{ cell: number; text: string }> {
  const notes = htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => hasClass(e, 'lab-note-answer')).map((n) => ({ cell, text: textOf(n).trim() })),
  );
  const printed = nb.cells.flatMap((c) =>
    c.outputs
      .filter((o) => o.type === 'stream' && o.name === 'stdout')
      .flatMap((o) => o.text.split('\n'))
      .filter((l) => /^\s*(Answer|Antwort)\b/i.test(l))
      .map((text) => ({ cell: c.index, text: text.trim() })),
  );
  return [...notes, ...printed];
}

const divKids = (e: HtmlElement) => e.children.filter((c): c is HtmlElement => typeof c !== 'string');

/** The neighbour grids the notebook shows (the lab's lab-photo-grid), read from their captions. */
export function printedGrids(nb: SubmittedNotebook): PrintedGrid[] {
  return htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => hasClass(e, 'lab-photo-grid')).map((g) => {
      const rows: PrintedGrid['rows'] = [];
      let title: string | undefined;
      for (const part of divKids(g)) {
        if (!/display:\s*flex/.test(part.attrs.style ?? '')) {
          title ??= textOf(part).trim();
          continue;
        }
        // A tile: a frame, then a caption block of lines.
        const captions = divKids(part).map((tile) => {
          const kids = divKids(tile);
          const caption = kids[kids.length - 1];
          return caption ? divKids(caption).map((l) => textOf(l).trim()) : [];
        });
        const [query, ...hits] = captions;
        if (!query) continue;
        const kind = query[1] ?? '';
        const breed = /^query · (.+)$/.exec(kind)?.[1];
        rows.push({
          query: query[0] ?? '',
          breed: breed === 'breed unknown' ? undefined : breed,
          neighbours: hits.map((h) => (h[0] ?? '').replace(/^#\d+\s+/, '')),
        });
      }
      return { cell, title, rows };
    }),
  );
}

/** A printed number ("0.433", "1", "12,345"), or undefined for "-", "—" and text. */
export function printedNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/,/g, '').trim();
  return /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(t) ? Number(t) : undefined;
}

/** Whether a printed value agrees with an exact one to the printed digits (0.333 for 1/3). */
export function agrees(printed: string | undefined, exact: number): boolean {
  const v = printedNumber(printed);
  if (v === undefined) return false;
  const digits = (printed!.split('.')[1] ?? '').replace(/e.*/i, '').length;
  return Math.abs(v - exact) <= 0.5 * 10 ** -digits + 1e-12;
}

const hitsOf = (breed: string, neighbours: string[], k: number) =>
  neighbours.slice(0, k).filter((n) => n === breed).length / k;

/**
 * Task 2: each printed precision@k (the per-query table: query, breed,
 * neighbours, precision@k) re-computed from the neighbours printed beside it,
 * the mean re-computed and held against the answer, and the table's neighbours
 * held against the photo grid's.
 */
export function checkTask2(nb: SubmittedNotebook): Finding {
  const table = printedTables(nb).find((t) => t.rows[0] && 'neighbours' in t.rows[0]);
  if (!table) return { status: 'missing', summary: 'no table of neighbours', notes: [] };
  const pcol = Object.keys(table.rows[0]).find((c) => /^precision@\d+$/.test(c));
  if (!pcol) return { status: 'missing', summary: 'no precision@k column', notes: [] };
  const k = Number(pcol.split('@')[1]);
  const notes: string[] = [];
  const counted: number[] = [];
  for (const r of table.rows) {
    if (!r.breed || r.breed === '(unknown)') continue;
    const p = hitsOf(r.breed, r.neighbours.split(/,\s*/), k);
    if (r[pcol] !== '-' && !agrees(r[pcol], p)) {
      notes.push(`${r.query}: printed ${pcol} ${r[pcol]}, its neighbours give ${p.toFixed(3)}`);
    }
    if (!r['left out']) counted.push(p);
  }
  const mean = counted.reduce((s, v) => s + v, 0) / counted.length;
  const answer = answerTexts(nb)
    .map((a) => new RegExp(`mean ${pcol.replace('@', '@')}[^.]*? is (\\d+(?:\\.\\d+)?)`).exec(a.text))
    .find((m) => m);
  if (!answer) notes.push(`no answer names the mean ${pcol}`);
  else if (counted.length && !agrees(answer[1], mean)) {
    notes.push(`the answer's mean ${pcol} is ${answer[1]}, the printed neighbours give ${mean.toFixed(3)}`);
  }
  const grid = printedGrids(nb)[0];
  if (grid) {
    const byName = new Map(table.rows.map((r) => [r.query, r.neighbours]));
    const other = grid.rows.filter((g) => byName.has(g.query) && byName.get(g.query) !== g.neighbours.join(', '));
    if (other.length)
      notes.push(`the photo grid shows other neighbours than the table for ${other.map((g) => g.query).join(', ')}`);
  }
  const summary = counted.length
    ? `${pcol} ${mean.toFixed(3)} re-computed${notes.length ? '' : ', as printed'}`
    : 'no query of known breed';
  return { status: notes.length ? 'differs' : counted.length ? 'ok' : 'n/a', summary, notes };
}

/**
 * Task 3: precision@k re-computed from the HNSW neighbours the grid shows
 * (queries of known breed; those task 2 left out, when given), held against the
 * table's row for that efSearch.
 */
export function checkTask3(nb: SubmittedNotebook, leftOut: string[] = []): Finding {
  const table = printedTables(nb).find((t) => t.rows[0] && Object.keys(t.rows[0]).some((c) => /^precision@/.test(c)));
  const grid = printedGrids(nb)[0];
  if (!table || !grid) return { status: 'missing', summary: `no ${table ? 'neighbour grid' : 'table'}`, notes: [] };
  const pcol = Object.keys(table.rows[0]).find((c) => /^precision@\d+$/.test(c))!;
  const k = Number(pcol.split('@')[1]);
  const ef = /efSearch\s*=\s*(\d+)/.exec(grid.title ?? '')?.[1];
  const row = table.rows.find((r) => ef !== undefined && r.efSearch === ef && /HNSW/i.test(r.index ?? ''));
  const known = grid.rows.filter((g) => g.breed && !leftOut.includes(g.query));
  if (!row || known.length === 0) {
    return { status: 'n/a', summary: row ? 'no query of known breed' : 'no table row for the grid', notes: [] };
  }
  const mean = known.reduce((s, g) => s + hitsOf(g.breed!, g.neighbours, k), 0) / known.length;
  const ok = agrees(row[pcol], mean);
  return {
    status: ok ? 'ok' : 'differs',
    summary: `${pcol} ${mean.toFixed(3)} re-computed${ok ? ', as printed' : ''}`,
    notes: ok ? [] : [`efSearch=${ef}: printed ${pcol} ${row[pcol]}, the grid's neighbours give ${mean.toFixed(3)}`],
  };
}

/** A setting of the task-4 grid as named in text: M, efConstruction, efSearch and the metric. */
export interface Setting {
  M: number;
  efConstruction: number;
  efSearch: number;
  metric?: 'L1' | 'L2';
}

/** The first setting named in a piece of text ("HNSWFlat(M=8, efConstruction=40) L2 efSearch=10", or in any order). */
export function parseSetting(text: string): Setting | undefined {
  const num = (name: string) => {
    const m = new RegExp(`\\b${name}\\s*[=:]\\s*(\\d+)`, 'i').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const M = num('M');
  const efConstruction = num('efConstruction');
  const efSearch = num('efSearch');
  if (M === undefined || efConstruction === undefined || efSearch === undefined) return undefined;
  const metric = /\b(?:METRIC_)?(L1|L2)\b/.exec(text)?.[1] as Setting['metric'];
  return { M, efConstruction, efSearch, metric };
}

export const settingLabel = (s: Setting) =>
  `M=${s.M}, efConstruction=${s.efConstruction}, efSearch=${s.efSearch}${s.metric ? `, ${s.metric}` : ''}`;

/** The answer sentences for "fastest" and "most precise": the lab's "Answer 1/2" lines or lines naming them. */
function namedSettings(nb: SubmittedNotebook): { fastest?: Setting; mostPrecise?: Setting } {
  const lines = answerTexts(nb).flatMap((a) => a.text.split(/\n+/));
  const find = (re: RegExp) => lines.find((l) => re.test(l));
  const fast = find(/Answer 1\b|fastest|schnellste/i);
  const precise = find(/Answer 2\b|most precise|genaueste/i);
  // "27 settings tie ... Picked by the rule "...": <the pick>." names the pick last.
  const picked = precise ? /Picked by[^:]*:\s*(.*)$/s.exec(precise)?.[1] : undefined;
  return {
    fastest: fast ? parseSetting(fast.replace(/^.*?(fastest search|schnellste[^:]*):/i, '')) : undefined,
    mostPrecise: precise ? parseSetting(picked ?? precise.replace(/^.*?:/, '')) : undefined,
  };
}

export interface Task4Finding extends Finding {
  fastest?: Setting;
  mostPrecise?: Setting;
  /** The table's rows read (settings). */
  settings: number;
}

/**
 * Task 4: does the notebook name a fastest and a most precise setting, and do
 * its own table's numbers bear them out (the named fastest has the lowest
 * printed latency, or the table marks it equally fast; the named most precise
 * has the highest printed precision@5, or recall@5 when no breeds were known)?
 */
export function checkTask4(nb: SubmittedNotebook): Task4Finding {
  const { fastest, mostPrecise } = namedSettings(nb);
  const table = printedTables(nb).find(
    (t) => t.rows[0] && ['M', 'efConstruction', 'efSearch'].every((c) => c in t.rows[0]) && 'metric' in t.rows[0],
  );
  const notes: string[] = [];
  if (!fastest) notes.push('names no fastest setting');
  if (!mostPrecise) notes.push('names no most precise setting');
  if (!table) {
    notes.push('shows no table of the settings');
    return { status: 'missing', summary: notes.join('; '), notes, fastest, mostPrecise, settings: 0 };
  }
  const cols = Object.keys(table.rows[0]);
  const latency = cols.find((c) => /latency/i.test(c));
  const quality = cols.find((c) => /^precision@/.test(c) && table.rows.some((r) => printedNumber(r[c]) !== undefined));
  const qcol = quality ?? cols.find((c) => /^recall@/.test(c));
  const tag = cols[cols.length - 1];
  const find = (s: Setting) =>
    table.rows.find(
      (r) =>
        Number(r.M) === s.M &&
        Number(r.efConstruction) === s.efConstruction &&
        Number(r.efSearch) === s.efSearch &&
        (!s.metric || r.metric === s.metric),
    );
  const label = (r: Record<string, string>) =>
    settingLabel({ M: +r.M, efConstruction: +r.efConstruction, efSearch: +r.efSearch, metric: r.metric as 'L1' });
  const value = (r: Record<string, string>, c: string | undefined) => (c ? printedNumber(r[c]) : undefined);
  if (table.rows.length < 54) notes.push(`its table has ${table.rows.length} settings, the sheet's grid 54`);
  if (fastest && latency) {
    const r = find(fastest);
    const best = Math.min(...table.rows.map((x) => value(x, latency) ?? Infinity));
    const top = table.rows.find((x) => value(x, latency) === best);
    if (!r) notes.push(`its fastest (${settingLabel(fastest)}) is not in its table`);
    else if (value(r, latency) !== best && !/fastest|equally fast/i.test(r[tag] ?? '')) {
      notes.push(
        `its fastest (${label(r)}, ${r[latency]} ms) is not the table's fastest (${top ? label(top) : '?'}, ${best} ms)`,
      );
    }
  }
  if (mostPrecise && qcol) {
    const r = find(mostPrecise);
    const best = Math.max(...table.rows.map((x) => value(x, qcol) ?? -Infinity));
    if (!r) notes.push(`its most precise (${settingLabel(mostPrecise)}) is not in its table`);
    else if (value(r, qcol) !== best) {
      notes.push(`its most precise (${label(r)}) has ${qcol} ${r[qcol]}, the table's best is ${best}`);
    }
  }
  const named = fastest && mostPrecise;
  const status: Status = !named ? 'missing' : notes.length ? 'differs' : 'ok';
  const summary = !named
    ? notes.filter((n) => n.startsWith('names no')).join('; ')
    : notes.length
      ? notes[0]
      : `fastest ${settingLabel(fastest)}; most precise ${settingLabel(mostPrecise)}: as its table shows`;
  return { status, summary, notes, fastest, mostPrecise, settings: table.rows.length };
}

/** Queries task 2's table leaves out of the mean (dataset photos, unknown breed), by name. */
export function leftOutQueries(nb: SubmittedNotebook | undefined): string[] {
  const table = nb && printedTables(nb).find((t) => t.rows[0] && 'neighbours' in t.rows[0]);
  return table ? table.rows.filter((r) => r['left out']).map((r) => r.query) : [];
}
